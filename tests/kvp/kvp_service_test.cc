// The KVP service (vmbus::kvp) against hvsim's KVP host, as separate
// processes: hvsim is Hyper-V, this test process is the guest running
// kvp::Service on the claimed KVP device, and the host's requests are made
// with `hvsim ctl kvp`. Each test checks what both ends see: the host's
// status and values, and hv_kvp_daemon's pool files on the guest.
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "../../sdk/tests/temp_dir.h"
#include "hvsim/config.h"
#include "hvsim_process.h"
#include "shell_command.h"
#include "kvp/protocol/ic.h"
#include "kvp/service.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/discovery.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// `hvsim ctl --root R kvp kvp ARGS --json`: exit status and what it printed
// (JSON, or the error text). A request the guest answers with a status
// other than HV_S_OK exits 1 and still prints its result.
struct CtlResult {
  int exit_status = -1;
  std::string output;
  json result;  // parsed output, when it is JSON
};

CtlResult host(const vmbus_it::HvsimProcess& sim, const std::vector<std::string>& args) {
  std::string command = vmbus_support::shell_quote(HVSIM_BINARY) + " ctl --root " +
                        vmbus_support::shell_quote(sim.root().string()) + " kvp kvp";
  for (const std::string& a : args) command += " " + vmbus_support::shell_quote(a);
  const vmbus_support::ShellResult shell = vmbus_support::run_shell(command + " --json");
  CtlResult r;
  r.exit_status = shell.status;
  r.output = shell.output;
  r.result = json::parse(r.output, nullptr, /*allow_exceptions=*/false);
  return r;
}

class KvpService : public ::testing::Test {
 protected:
  void start(std::optional<json> config = std::nullopt, bool poll_mode = false) {
    sim_.emplace(vmbus_it::HvsimProcess::Options{.config = std::move(config)});
    const vmbus::SysfsRoot root = sim_->sysfs();
    const vmbus::Guid instance = vmbus::Guid::parse(sim_->device("kvp")["instance"].get<std::string>()).value();
    claim_.emplace(vmbus::claim_device(root, instance));
    kvp::ServiceOptions options;
    options.pool_directory = pools_dir_.path();
    options.poll_mode = poll_mode;
    options.hooks.on_host_change = [this](const kvp::HostChange& c) {
      std::lock_guard lock(mutex_);
      changes_.push_back(c);
    };
    service_ = kvp::Service::open(claim_->device(), options);
    runner_ = std::thread([this] { outcome_ = service_->run(); });
  }
  void TearDown() override {
    if (service_) service_->stop();
    if (runner_.joinable()) runner_.join();
    service_.reset();
  }
  // Waits until the host reports negotiation finished one way or the other.
  json negotiation() {
    json n;
    for (int i = 0; i < 250; ++i) {
      const CtlResult s = host(*sim_, {"status"});
      if (s.result.is_object() && s.result.contains("negotiation")) {
        n = s.result["negotiation"];
        if (n.value("state", "") != "waiting" && n.value("state", "") != "not_sent") return n;
      }
      std::this_thread::sleep_for(20ms);
    }
    return n;
  }
  // The guest's pool file read back as hv_kvp_daemon would (kvp::pool).
  std::optional<std::string> in_file(int pool, const std::string& key) {
    auto r = kvp::pool::PoolStore(pools_dir_.path()).get(pool, key);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->value : std::nullopt;
  }

  vmbus::test::TempDir pools_dir_;
  std::optional<vmbus_it::HvsimProcess> sim_;
  std::optional<vmbus::Claim> claim_;
  std::unique_ptr<kvp::Service> service_;
  std::thread runner_;
  vmbus::Status outcome_;
  std::mutex mutex_;
  std::vector<kvp::HostChange> changes_;
};

json kvp_offer(std::vector<std::string> framework, std::vector<std::string> kvp_versions) {
  json config = hvsim::to_json(hvsim::default_config());
  for (json& d : config["devices"]) {
    if (d.value("class", "") == "kvp") d["kvp"] = {{"framework_versions", framework}, {"kvp_versions", kvp_versions}};
  }
  return config;
}

struct Offer {
  const char* name;
  std::vector<std::string> framework, kvp_versions;
  const char* expected_framework;  // nullptr: no common version
  const char* expected_kvp;
};
void PrintTo(const Offer& o, std::ostream* os) { *os << o.name; }

class Negotiation : public KvpService, public ::testing::WithParamInterface<Offer> {};

TEST_P(Negotiation, TheGuestPicksAsLinuxDoes) {
  const Offer& o = GetParam();
  start(kvp_offer(o.framework, o.kvp_versions));
  const json n = negotiation();
  if (o.expected_framework == nullptr) {
    EXPECT_EQ(n.value("state", ""), "no_common_version") << n.dump();
    EXPECT_FALSE(service_->versions().has_value());
    return;
  }
  ASSERT_EQ(n.value("state", ""), "done") << n.dump();
  EXPECT_EQ(n.value("framework", ""), o.expected_framework);
  EXPECT_EQ(n.value("kvp", ""), o.expected_kvp);
  ASSERT_TRUE(service_->versions().has_value());
  // And it serves at that version.
  const CtlResult set = host(*sim_, {"set", "Negotiated", o.expected_kvp});
  EXPECT_EQ(set.exit_status, 0) << set.output;
  EXPECT_EQ(in_file(0, "Negotiated"), o.expected_kvp);
}

INSTANTIATE_TEST_SUITE_P(
    Kvp, Negotiation,
    ::testing::Values(Offer{"HyperVDefault", {"1.0", "3.0"}, {"3.0", "4.0", "5.0"}, "3.0", "4.0"},
                      Offer{"Win7Kvp3", {"1.0", "3.0"}, {"3.0"}, "3.0", "3.0"},
                      Offer{"Ws2008Framework1Kvp1", {"1.0"}, {"1.0"}, "1.0", "1.0"},
                      Offer{"NothingInCommon", {"3.0"}, {"2.0", "5.0"}, nullptr, nullptr}),
    [](const ::testing::TestParamInfo<Offer>& p) { return std::string(p.param.name); });

// Every operation on every pool, as the host sees it and as the files hold it.
TEST_F(KvpService, EveryOperationOnEveryPool) {
  start();
  ASSERT_EQ(negotiation().value("state", ""), "done");
  const char* pools[] = {"external", "guest", "auto", "auto_external", "auto_internal"};
  for (int p = 0; p < 5; ++p) {
    SCOPED_TRACE(pools[p]);
    const std::string key = std::string("Key-") + pools[p];
    CtlResult r = host(*sim_, {"set", "--pool", pools[p], key, "v1"});
    ASSERT_EQ(r.exit_status, 0) << r.output;
    EXPECT_EQ(r.result.value("status_name", ""), "HV_S_OK");
    EXPECT_EQ(in_file(p, key), "v1");
    r = host(*sim_, {"set", "--pool", pools[p], key, "v2"});  // replace
    EXPECT_EQ(in_file(p, key), "v2");
    r = host(*sim_, {"get", "--pool", pools[p], key});
    ASSERT_EQ(r.exit_status, 0) << r.output;
    EXPECT_EQ(r.result.value("value", ""), "v2");
    if (p != 2) {  // the AUTO pool is enumerated from the running system, not its file
      r = host(*sim_, {"enumerate", "--pool", pools[p]});
      ASSERT_EQ(r.exit_status, 0) << r.output;
      ASSERT_EQ(r.result.value("count", 0), 1) << r.output;
      EXPECT_EQ(r.result["entries"][0].value("key", ""), key);
    }
    r = host(*sim_, {"delete", "--pool", pools[p], key});
    ASSERT_EQ(r.exit_status, 0) << r.output;
    EXPECT_FALSE(in_file(p, key).has_value());
    r = host(*sim_, {"get", "--pool", pools[p], key});
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_EQ(r.result.value("status_name", ""), "HV_S_CONT") << r.output;
  }
  std::lock_guard lock(mutex_);
  EXPECT_EQ(changes_.size(), 15u) << "two sets and a delete per pool reached on_host_change";
}

TEST_F(KvpService, TheAutoPoolIsTheRunningSystemToHvSCont) {
  start();
  const CtlResult r = host(*sim_, {"enumerate", "--pool", "auto"});
  ASSERT_EQ(r.exit_status, 0) << r.output;
  ASSERT_EQ(r.result.value("count", 0), 10) << r.output;
  EXPECT_EQ(r.result["entries"][0].value("key", ""), "FullyQualifiedDomainName");
  EXPECT_EQ(r.result["entries"][9].value("key", ""), "ProcessorArchitecture");
  utsname u{};
  ASSERT_EQ(::uname(&u), 0);
  EXPECT_EQ(r.result["entries"][9].value("value", ""), u.machine);
  EXPECT_EQ(r.result.value("status_name", ""), "HV_S_CONT") << "the walk ends as the daemon ends it";
}

TEST_F(KvpService, IntegerValuesAndNonAsciiKeys) {
  start();
  EXPECT_EQ(host(*sim_, {"set", "--type", "u32", "Cores", "4294967295"}).exit_status, 0);
  EXPECT_EQ(host(*sim_, {"set", "--type", "u64", "Bytes", "18446744073709551615"}).exit_status, 0);
  EXPECT_EQ(in_file(0, "Cores"), "4294967295");
  EXPECT_EQ(in_file(0, "Bytes"), "18446744073709551615");
  const std::string key = "Standort-Zürich-東京-🚀";
  const CtlResult set = host(*sim_, {"set", key, "Grüße"});
  ASSERT_EQ(set.exit_status, 0) << set.output;
  EXPECT_EQ(in_file(0, key), "Grüße");
  // The guest's own non-ASCII key, read by the host.
  ASSERT_TRUE(service_->set("Größe", "ÄÖÜ").ok());
  const CtlResult get = host(*sim_, {"get", "--pool", "guest", "Größe"});
  ASSERT_EQ(get.exit_status, 0) << get.output;
  EXPECT_EQ(get.result.value("value", ""), "ÄÖÜ");
}

TEST_F(KvpService, MaximumSizesFitAndOneMoreIsRefusedByName) {
  start();
  // The wire's limits: a key of 255 UTF-16 units and a value of 1023, each
  // with its NUL (512 and 2048 bytes).
  const std::string key(255, 'k'), value(1023, 'v');
  CtlResult r = host(*sim_, {"set", key, value});
  ASSERT_EQ(r.exit_status, 0) << r.output;
  EXPECT_EQ(in_file(0, key), value);
  r = host(*sim_, {"get", key});
  EXPECT_EQ(r.result.value("value", ""), value);
  // One more: the host refuses to build it (never truncates).
  r = host(*sim_, {"set", key + "k", value});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_NE(r.output.find("hv_kvp_exchg_msg_value.key"), std::string::npos) << r.output;
  r = host(*sim_, {"set", key, value + "v"});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_NE(r.output.find("hv_kvp_exchg_msg_value.value"), std::string::npos) << r.output;
  // The guest's API: a pool record holds 511 bytes of key and 2047 of value.
  EXPECT_TRUE(service_->set(std::string(511, 'g'), std::string(2047, 'x')).ok());
  auto too_long = service_->set(std::string(512, 'g'), "x");
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message().find("key"), std::string::npos) << too_long.error().message();
  EXPECT_FALSE(service_->set("g", std::string(2048, 'x')).ok());
}

TEST_F(KvpService, TheApplianceApiAndTheHostSeeEachOther) {
  start();
  ASSERT_TRUE(service_->set("ApplianceRole", "edge-router").ok());
  CtlResult r = host(*sim_, {"enumerate", "--pool", "guest"});
  ASSERT_EQ(r.exit_status, 0) << r.output;
  ASSERT_EQ(r.result.value("count", 0), 1);
  EXPECT_EQ(r.result["entries"][0].value("value", ""), "edge-router");
  ASSERT_EQ(host(*sim_, {"set", "Location", "Rack 12"}).exit_status, 0);
  auto got = service_->get(kvp::Pool::external, "Location");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value, "Rack 12");
  std::lock_guard lock(mutex_);
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_EQ(changes_[0].key, "Location");
  EXPECT_EQ(changes_[0].value, "Rack 12");
}

TEST_F(KvpService, GetIpInfoAnswersFromThisMachinesInterfaces) {
  // A real interface of this machine with a MAC; the daemon matches the
  // upper-case form of /sys/class/net/<if>/address.
  std::string mac;
  for (const auto& e : std::filesystem::directory_iterator("/sys/class/net")) {
    std::ifstream in(e.path() / "address");
    std::string a;
    if (std::getline(in, a) && !a.empty() && a != "00:00:00:00:00:00") {
      mac = a;
      break;
    }
  }
  if (mac.empty()) GTEST_SKIP() << "no interface with a MAC address here";
  for (char& c : mac) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  start();
  CtlResult r = host(*sim_, {"ip-info", mac});
  EXPECT_EQ(r.exit_status, 0) << r.output;
  EXPECT_EQ(r.result["info"].value("adapter_id", ""), mac) << r.output;
  r = host(*sim_, {"ip-info", "00:15:5D:FF:FF:FE"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.result.value("status_name", ""), "HV_E_FAIL") << r.output;
}

TEST_F(KvpService, PollModeServesToo) {
  start(std::nullopt, /*poll_mode=*/true);
  const CtlResult r = host(*sim_, {"set", "Mode", "poll"});
  ASSERT_EQ(r.exit_status, 0) << r.output;
  EXPECT_EQ(in_file(0, "Mode"), "poll");
}

TEST_F(KvpService, ARescindWhileIdleEndsTheServiceAndKeepsThePools) {
  start();
  ASSERT_EQ(host(*sim_, {"set", "Kept", "yes"}).exit_status, 0);
  sim_->ctl({"rescind", "kvp"});
  runner_.join();
  ASSERT_FALSE(outcome_.ok());
  EXPECT_EQ(outcome_.error().code, vmbus::Errc::rescinded);
  EXPECT_EQ(in_file(0, "Kept"), "yes");
  claim_->keep();  // the device is gone: nothing to give back
}

// The host sends a request and rescinds the device before the guest
// answered: the host's request fails saying so; the guest, serving again,
// finds the rescind (answering or not) and its pool files stay whole.
TEST_F(KvpService, ARescindMidTransaction) {
  start();
  ASSERT_EQ(host(*sim_, {"set", "Before", "1"}).exit_status, 0);
  service_->stop();
  runner_.join();  // the guest stops reading: the next request waits
  CtlResult pending;
  std::thread request([&] { pending = host(*sim_, {"set", "During", "2", "--timeout", "5000"}); });
  for (int i = 0; i < 250; ++i) {
    const CtlResult s = host(*sim_, {"status"});
    if (s.result.value("busy", false)) break;
    std::this_thread::sleep_for(10ms);
  }
  sim_->ctl({"rescind", "kvp"});
  request.join();
  EXPECT_NE(pending.exit_status, 0);
  EXPECT_NE(pending.output.find("rescinded"), std::string::npos) << pending.output;
  auto served = service_->poll(500ms);
  for (int i = 0; i < 10 && served.ok(); ++i) served = service_->poll(100ms);
  ASSERT_FALSE(served.ok()) << "the guest must see the rescind";
  EXPECT_EQ(served.error().code, vmbus::Errc::rescinded);
  EXPECT_EQ(in_file(0, "Before"), "1");
  auto all = kvp::pool::PoolStore(pools_dir_.path()).list(0);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->problems.empty()) << "the pool file is whole";
  claim_->keep();
}

}  // namespace
