// vmbusd over hvsim: the real daemon binary serving an hvsim root, called
// through its gRPC sockets as vmbusctl and the Python client call it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <set>

#include "health.grpc.pb.h"
#include "reflection.grpc.pb.h"
#include "vmbusd_process.h"

namespace vmbusd_test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kUnknownGuid = "01234567-89ab-cdef-0123-456789abcdef";

// hvsim's devices by instance: name, class and driver ("" for none).
struct SimDevice {
  std::string name, class_name, driver;
};
std::map<std::string, SimDevice> sim_devices(const vmbus_it::HvsimProcess& sim) {
  std::map<std::string, SimDevice> out;
  const nlohmann::json list = sim.ctl({"list"});  // kept: the loop below walks into it
  for (const auto& d : list["devices"]) {
    out[d["instance"]] = {d["name"], d["class"], d["driver"].is_null() ? "" : d["driver"].get<std::string>()};
  }
  return out;
}

std::string driver_of(const vmbus_it::HvsimProcess& sim, const std::string& name) {
  const auto d = sim.device(name);
  return d["driver"].is_null() ? "" : d["driver"].get<std::string>();
}

class Vmbusd : public ::testing::Test {
 protected:
  vmbus_it::HvsimProcess sim_;
  std::string nic_ = sim_.device("eth0")["instance"];
};

TEST_F(Vmbusd, ListsEveryDeviceHvsimOffersWithClassAndDriver) {
  VmbusdProcess daemon(sim_);
  ASSERT_TRUE(daemon.running()) << daemon.log();
  pb::ListDevicesResponse r;
  const grpc::Status s = daemon.reader_devices()->ListDevices(context().get(), {}, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const auto expected = sim_devices(sim_);
  ASSERT_EQ(static_cast<std::size_t>(r.devices_size()), expected.size());
  for (const pb::Device& d : r.devices()) {
    ASSERT_TRUE(expected.contains(d.device_id())) << d.device_id();
    const SimDevice& e = expected.at(d.device_id());
    EXPECT_EQ(d.class_name(), e.class_name) << e.name;
    EXPECT_EQ(d.driver(), e.driver) << e.name;
    EXPECT_EQ(d.state(), pb::DEVICE_STATE_OFFERED) << e.name;
  }
  EXPECT_EQ(r.problems_size(), 0);

  pb::ListDevicesRequest only_nics;
  only_nics.add_class_names("network");
  pb::ListDevicesResponse nics;
  ASSERT_TRUE(daemon.reader_devices()->ListDevices(context().get(), only_nics, &nics).ok());
  ASSERT_EQ(nics.devices_size(), 1);
  EXPECT_EQ(nics.devices(0).device_id(), nic_);
}

TEST_F(Vmbusd, GetDeviceAndChannelsDescribeTheNic) {
  VmbusdProcess daemon(sim_);
  pb::GetDeviceRequest req;
  req.set_device_id(nic_);
  pb::Device d;
  ASSERT_TRUE(daemon.reader_devices()->GetDevice(context().get(), req, &d).ok());
  const auto sim_nic = sim_.device("eth0");
  EXPECT_EQ(d.class_id(), sim_nic["class_id"]);
  EXPECT_EQ(d.relid(), sim_nic["relid"].get<std::uint32_t>());
  ASSERT_TRUE(d.has_monitor_id());
  EXPECT_EQ(d.monitor_id(), sim_nic["monitor_id"].get<std::uint32_t>());
  EXPECT_EQ(d.owner(), pb::DEVICE_OWNER_KERNEL_DRIVER);

  pb::ListChannelsRequest lreq;
  lreq.set_device_id(nic_);
  pb::ListChannelsResponse channels;
  ASSERT_TRUE(daemon.reader_devices()->ListChannels(context().get(), lreq, &channels).ok());
  ASSERT_EQ(channels.channels_size(), static_cast<int>(sim_nic["channels"].size()));
  EXPECT_TRUE(channels.channels(0).primary());
  EXPECT_EQ(channels.channels(0).relid(), d.relid());

  pb::GetChannelRequest creq;
  creq.set_device_id(nic_);
  creq.set_relid(d.relid());
  pb::Channel c;
  ASSERT_TRUE(daemon.reader_devices()->GetChannel(context().get(), creq, &c).ok());
  EXPECT_EQ(c.relid(), d.relid());
  EXPECT_EQ(c.monitor_id(), d.monitor_id());
}

TEST_F(Vmbusd, BadAndUnknownDevicesGetTheRightStatusCodes) {
  VmbusdProcess daemon(sim_);
  auto devices = daemon.reader_devices();
  pb::Device d;
  pb::GetDeviceRequest bad;
  bad.set_device_id("not-a-guid");
  grpc::Status s = devices->GetDevice(context().get(), bad, &d);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("'not-a-guid' is not a device GUID"));

  pb::GetDeviceRequest unknown;
  unknown.set_device_id(kUnknownGuid);
  s = devices->GetDevice(context().get(), unknown, &d);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr(kUnknownGuid));

  pb::GetChannelRequest relid0;
  relid0.set_device_id(nic_);
  pb::Channel c;
  EXPECT_EQ(devices->GetChannel(context().get(), relid0, &c).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  pb::GetChannelRequest no_such_relid;
  no_such_relid.set_device_id(nic_);
  no_such_relid.set_relid(9999);
  s = devices->GetChannel(context().get(), no_such_relid, &c);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("no channel with relid 9999"));

  pb::ClaimDeviceRequest nothing;
  nothing.set_device("fcopy");  // a known class hvsim does not offer
  pb::Device claimed;
  EXPECT_EQ(daemon.admin_leases()->ClaimDevice(context().get(), nothing, &claimed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  pb::ClaimDeviceRequest nonsense;
  nonsense.set_device("netwrok");
  EXPECT_EQ(daemon.admin_leases()->ClaimDevice(context().get(), nonsense, &claimed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  pb::ReleaseDeviceRequest not_claimed;
  not_claimed.set_device_id(nic_);
  pb::ReleaseDeviceResponse released;
  s = daemon.admin_leases()->ReleaseDevice(context().get(), not_claimed, &released);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("not claimed by this vmbusd"));
}

TEST_F(Vmbusd, AReaderCannotClaimReleaseOrRevoke) {
  VmbusdProcess daemon(sim_);
  auto leases = daemon.reader_leases();
  pb::ClaimDeviceRequest claim;
  claim.set_device(nic_);
  pb::Device d;
  grpc::Status s = leases->ClaimDevice(context().get(), claim, &d);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("admin socket"));
  EXPECT_EQ(driver_of(sim_, "eth0"), "hv_netvsc");  // untouched

  pb::ReleaseDeviceRequest release;
  release.set_device_id(nic_);
  pb::ReleaseDeviceResponse r;
  EXPECT_EQ(leases->ReleaseDevice(context().get(), release, &r).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  pb::RevokeLeaseRequest revoke;
  revoke.set_lease_id("1");
  pb::Lease l;
  EXPECT_EQ(leases->RevokeLease(context().get(), revoke, &l).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Reading leases is allowed on the reader socket.
  pb::ListLeasesResponse list;
  EXPECT_TRUE(leases->ListLeases(context().get(), {}, &list).ok());
}

TEST_F(Vmbusd, ClaimBindsToUioAndReleaseGivesTheDriverBack) {
  VmbusdProcess daemon(sim_);
  pb::ClaimDeviceRequest claim;
  claim.set_device("network");  // by class: hvsim has one NIC
  pb::Device d;
  grpc::Status s = daemon.admin_leases()->ClaimDevice(context().get(), claim, &d);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << daemon.log();
  EXPECT_EQ(d.device_id(), nic_);
  EXPECT_EQ(d.state(), pb::DEVICE_STATE_CLAIMED);
  EXPECT_EQ(d.owner(), pb::DEVICE_OWNER_UIO_HV_GENERIC);
  EXPECT_FALSE(d.uio_name().empty());
  EXPECT_GE(d.maps_size(), 3);  // rings, interrupt page, monitor page (+ netvsc's buffers once open)
  EXPECT_TRUE(d.has_claimed_at());
  EXPECT_EQ(driver_of(sim_, "eth0"), "uio_hv_generic");

  // Claiming again returns it as it is; the reader sees it claimed.
  pb::Device again;
  ASSERT_TRUE(daemon.admin_leases()->ClaimDevice(context().get(), claim, &again).ok());
  EXPECT_EQ(again.uio_name(), d.uio_name());
  pb::GetDeviceRequest get;
  get.set_device_id(nic_);
  pb::Device seen;
  ASSERT_TRUE(daemon.reader_devices()->GetDevice(context().get(), get, &seen).ok());
  EXPECT_EQ(seen.state(), pb::DEVICE_STATE_CLAIMED);

  pb::ReleaseDeviceRequest release;
  release.set_device_id(nic_);
  pb::ReleaseDeviceResponse r;
  s = daemon.admin_leases()->ReleaseDevice(context().get(), release, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.device().state(), pb::DEVICE_STATE_OFFERED);
  EXPECT_EQ(r.device().driver(), "hv_netvsc");
  EXPECT_EQ(driver_of(sim_, "eth0"), "hv_netvsc");
}

TEST_F(Vmbusd, ClaimsItsConfigAtStartAndGivesThemBackAtExit) {
  const std::filesystem::path config =
      std::filesystem::temp_directory_path() / ("vmbusd-test-config-" + std::to_string(::getpid()) + ".json");
  std::ofstream(config) << R"({"claim": ["network", ")" << std::string(sim_.device("echo")["instance"]) << R"("]})";
  VmbusdProcess daemon(sim_, {"--config", config.string()});
  std::filesystem::remove(config);
  ASSERT_TRUE(daemon.running()) << daemon.log();
  EXPECT_EQ(driver_of(sim_, "eth0"), "uio_hv_generic");
  EXPECT_EQ(driver_of(sim_, "echo"), "uio_hv_generic");
  pb::ListDevicesRequest claimed;
  claimed.add_states(pb::DEVICE_STATE_CLAIMED);
  pb::ListDevicesResponse r;
  ASSERT_TRUE(daemon.reader_devices()->ListDevices(context().get(), claimed, &r).ok());
  EXPECT_EQ(r.devices_size(), 2);

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_EQ(driver_of(sim_, "eth0"), "hv_netvsc");
  EXPECT_EQ(driver_of(sim_, "echo"), "");
  EXPECT_THAT(daemon.log(), HasSubstr("released device " + nic_ + " back to hv_netvsc"));
  // The sockets and the lock are gone with it.
  EXPECT_FALSE(std::filesystem::exists(daemon.run_dir() / "reader.sock"));
  EXPECT_FALSE(std::filesystem::exists(daemon.run_dir() / "admin.sock"));
}

TEST_F(Vmbusd, SocketsHaveTheConfiguredModesAndASecondDaemonIsRefused) {
  VmbusdProcess daemon(sim_, {"--reader-socket-mode", "0640", "--admin-socket-mode", "0600"});
  ASSERT_TRUE(daemon.running()) << daemon.log();
  struct stat st {};
  ASSERT_EQ(::stat((daemon.run_dir() / "reader.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ASSERT_EQ(::stat((daemon.run_dir() / "admin.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  VmbusdProcess second(sim_, {}, daemon.run_dir());
  EXPECT_FALSE(second.running());
  EXPECT_EQ(second.exit_status(), 1);
  EXPECT_THAT(second.log(), HasSubstr("another vmbusd (pid " + std::to_string(daemon.pid()) + ")"));
  // The first one still serves.
  pb::ListDevicesResponse r;
  EXPECT_TRUE(daemon.reader_devices()->ListDevices(context().get(), {}, &r).ok());
}

TEST_F(Vmbusd, ServesGrpcHealthOnBothSockets) {
  VmbusdProcess daemon(sim_);
  for (const auto& channel : {daemon.reader_channel(), daemon.admin_channel()}) {
    auto health = grpc::health::v1::Health::NewStub(channel);
    for (const char* service : {"", "vmbus.control.v1.DeviceService", "vmbus.control.v1.LeaseService"}) {
      grpc::health::v1::HealthCheckRequest req;
      req.set_service(service);
      grpc::health::v1::HealthCheckResponse resp;
      const grpc::Status s = health->Check(context().get(), req, &resp);
      ASSERT_TRUE(s.ok()) << service << ": " << s.error_message();
      EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
    }
    grpc::health::v1::HealthCheckRequest unknown;
    unknown.set_service("no.such.Service");
    grpc::health::v1::HealthCheckResponse resp;
    EXPECT_EQ(health->Check(context().get(), unknown, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(Vmbusd, ServesReflectionSoGenericToolsCanCallIt) {
  VmbusdProcess daemon(sim_);
  namespace refl = grpc::reflection::v1alpha;
  auto stub = refl::ServerReflection::NewStub(daemon.reader_channel());
  auto ctx = context();
  auto stream = stub->ServerReflectionInfo(ctx.get());
  refl::ServerReflectionRequest list;
  list.set_list_services("*");
  ASSERT_TRUE(stream->Write(list));
  refl::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::set<std::string> services;
  for (const auto& s : resp.list_services_response().service()) services.insert(s.name());
  EXPECT_TRUE(services.contains("vmbus.control.v1.DeviceService"));
  EXPECT_TRUE(services.contains("vmbus.control.v1.LeaseService"));
  EXPECT_TRUE(services.contains("grpc.health.v1.Health"));

  // A tool can fetch the .proto to build requests: the file defining GetChannel.
  refl::ServerReflectionRequest file;
  file.set_file_containing_symbol("vmbus.control.v1.DeviceService");
  ASSERT_TRUE(stream->Write(file));
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_GT(resp.file_descriptor_response().file_descriptor_proto_size(), 0);
  EXPECT_THAT(resp.file_descriptor_response().file_descriptor_proto(0), HasSubstr("vmbus/control/v1/control.proto"));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST(VmbusdConfig, ABadConfigOrFlagIsRefusedNamingWhatWasWrong) {
  vmbus_it::HvsimProcess sim;
  const std::filesystem::path config =
      std::filesystem::temp_directory_path() / ("vmbusd-test-bad-" + std::to_string(::getpid()) + ".json");
  std::ofstream(config) << R"({"claim": ["network"], "admin_sockt_mode": "0600"})";
  VmbusdProcess typo(sim, {"--config", config.string()});
  std::filesystem::remove(config);
  EXPECT_EQ(typo.exit_status(), 2);
  EXPECT_THAT(typo.log(), HasSubstr("unknown key \"admin_sockt_mode\""));

  VmbusdProcess bad_mode(sim, {"--admin-socket-mode", "0999"});
  EXPECT_EQ(bad_mode.exit_status(), 2);
  EXPECT_THAT(bad_mode.log(), HasSubstr("--admin-socket-mode: '0999' is not an octal file mode"));
  EXPECT_EQ(driver_of(sim, "eth0"), "hv_netvsc");  // nothing was claimed
}

}  // namespace
}  // namespace vmbusd_test
