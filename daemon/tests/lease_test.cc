// Leases through vmbusd over hvsim: an unchanged SDK driver opens a device
// vmbusd claimed, through vmbusd's lease root, and moves traffic; vmbusd
// notices the holder closing or dying and leases the device again; an admin
// revokes a lease and the holder sees a rescind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "vmbus/backing/device_backing.h"
#include "vmbus/device/device.h"
#include "vmbus/device/discovery.h"
#include "vmbus/packet/builders.h"
#include "vmbusd_process.h"

namespace vmbusd_test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// One inband packet to hvsim's echo device and its echo back.
::testing::AssertionResult echo_once(vmbus::Device& device, std::uint64_t id) {
  vmbus::Channel& ch = device.channel(0);
  std::vector<std::byte> payload(64);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = std::byte(id + i);
  if (auto s = ch.send(vmbus::packet::inband(payload, id)); !s) {
    return ::testing::AssertionFailure() << "send: " << s.error().message();
  }
  alignas(8) std::byte buffer[4096];
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto p = ch.receive(buffer);
    if (!p) {
      if (p.error().code != vmbus::Errc::empty) return ::testing::AssertionFailure() << p.error().message();
      std::this_thread::yield();
      continue;
    }
    const bool same = p->payload.size() >= payload.size() &&
                      std::equal(payload.begin(), payload.end(), p->payload.begin());
    (void)ch.finish_receive();
    if (!same) return ::testing::AssertionFailure() << "the echo differs from what was sent";
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no echo within 5 s";
}

class Lease : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.running()) << daemon_.log();
    pb::ClaimDeviceRequest req;
    req.set_device("echo");
    const grpc::Status s = daemon_.admin_leases()->ClaimDevice(context().get(), req, &echo_);
    ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << daemon_.log();
    ASSERT_FALSE(echo_.lease_root().empty());
  }
  pb::Device get() {
    pb::GetDeviceRequest req;
    req.set_device_id(echo_.device_id());
    pb::Device d;
    EXPECT_TRUE(daemon_.reader_devices()->GetDevice(context().get(), req, &d).ok());
    return d;
  }
  std::vector<pb::Lease> leases(bool include_ended) {
    pb::ListLeasesRequest req;
    req.set_include_ended(include_ended);
    pb::ListLeasesResponse r;
    EXPECT_TRUE(daemon_.reader_leases()->ListLeases(context().get(), req, &r).ok());
    return {r.leases().begin(), r.leases().end()};
  }
  // Waits until the device has no active lease (vmbusd noticed the holder go).
  bool lease_ends_within(std::chrono::milliseconds t) {
    const auto deadline = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < deadline) {
      if (get().state() == pb::DEVICE_STATE_CLAIMED) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  vmbus_it::HvsimProcess sim_;
  VmbusdProcess daemon_{sim_};
  pb::Device echo_;
};

TEST_F(Lease, AnUnchangedSdkDriverLeasesTheDeviceAndMovesTraffic) {
  {
    auto device = open_leased(echo_);
    for (std::uint64_t id = 1; id <= 100; ++id) ASSERT_TRUE(echo_once(*device, id)) << "packet " << id;
    const pb::Device d = get();
    EXPECT_EQ(d.state(), pb::DEVICE_STATE_LEASED);
    ASSERT_TRUE(d.has_lease_id());
    const auto active = leases(false);
    ASSERT_EQ(active.size(), 1u);
    EXPECT_EQ(active[0].lease_id(), d.lease_id());
    EXPECT_EQ(active[0].device_id(), echo_.device_id());
    EXPECT_EQ(active[0].peer().pid(), ::getpid());
    EXPECT_TRUE(active[0].active());
  }  // the driver closes the device: the lease ends
  ASSERT_TRUE(lease_ends_within(5s)) << daemon_.log();
  const auto all = leases(true);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_FALSE(all[0].active());
  EXPECT_EQ(all[0].end_reason(), pb::LEASE_END_REASON_HOLDER_CLOSED);

  // Leased again, from a clean device (vmbusd reopened it).
  auto again = open_leased(echo_);
  EXPECT_TRUE(echo_once(*again, 1000));
  EXPECT_NE(get().lease_id(), all[0].lease_id());
}

TEST_F(Lease, ASecondDriverIsRefusedNamingTheHolder) {
  auto holder = open_leased(echo_);
  try {
    auto second = open_leased(echo_);
    FAIL() << "a second lease of a leased device was granted";
  } catch (const vmbus::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("leased to pid " + std::to_string(::getpid())));
  }
  EXPECT_TRUE(echo_once(*holder, 7));  // the holder is undisturbed
}

TEST_F(Lease, AKilledHolderIsNoticedAndTheDeviceIsLeasedAgain) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child is a driver process: lease, move a packet, then hang until killed.
    ::close(ready[0]);
    try {
      auto device = open_leased(echo_);
      const char ok = echo_once(*device, 1) ? 'y' : 'n';
      (void)!::write(ready[1], &ok, 1);
      for (;;) ::pause();
    } catch (...) {
      (void)!::write(ready[1], "n", 1);
    }
    ::_exit(1);
  }
  ::close(ready[1]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(ok, 'y') << "the child could not lease and echo; vmbusd's log:\n" << daemon_.log();
  const auto active = leases(false);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].peer().pid(), child);

  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(lease_ends_within(5s)) << daemon_.log();
  const auto ended = leases(true);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end_reason(), pb::LEASE_END_REASON_HOLDER_CLOSED);

  auto device = open_leased(echo_);
  for (std::uint64_t id = 1; id <= 50; ++id) ASSERT_TRUE(echo_once(*device, id));
}

TEST_F(Lease, RevokeEndsTheLeaseAndTheHolderSeesARescind) {
  auto holder = open_leased(echo_);
  ASSERT_TRUE(echo_once(*holder, 1));
  const std::string id = get().lease_id();

  pb::RevokeLeaseRequest as_reader;
  as_reader.set_lease_id(id);
  pb::Lease l;
  EXPECT_EQ(daemon_.reader_leases()->RevokeLease(context().get(), as_reader, &l).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  pb::RevokeLeaseRequest req;
  req.set_lease_id(id);
  req.set_reason("maintenance");
  const grpc::Status s = daemon_.admin_leases()->RevokeLease(context().get(), req, &l);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(l.active());
  EXPECT_EQ(l.end_reason(), pb::LEASE_END_REASON_REVOKED);
  EXPECT_EQ(l.end_message(), "maintenance");

  const auto r = holder->wait(5s);
  ASSERT_FALSE(r) << "the holder saw no rescind";
  EXPECT_EQ(r.error().code, vmbus::Errc::rescinded);
  EXPECT_EQ(get().state(), pb::DEVICE_STATE_CLAIMED);
  holder.reset();
  // The device stays claimed and can be leased again.
  auto next = open_leased(echo_);
  EXPECT_TRUE(echo_once(*next, 2));

  pb::RevokeLeaseRequest unknown;
  unknown.set_lease_id("999");
  EXPECT_EQ(daemon_.admin_leases()->RevokeLease(context().get(), unknown, &l).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(Lease, ReleasingALeasedDeviceEndsTheLeaseFirst) {
  auto holder = open_leased(echo_);
  ASSERT_TRUE(echo_once(*holder, 1));
  pb::ReleaseDeviceRequest req;
  req.set_device_id(echo_.device_id());
  pb::ReleaseDeviceResponse r;
  const grpc::Status s = daemon_.admin_leases()->ReleaseDevice(context().get(), req, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(r.has_ended_lease());
  EXPECT_EQ(r.ended_lease().end_reason(), pb::LEASE_END_REASON_RELEASED);
  EXPECT_EQ(r.device().state(), pb::DEVICE_STATE_OFFERED);
  const auto w = holder->wait(5s);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, vmbus::Errc::rescinded);
}

TEST_F(Lease, GetChannelShowsTheRingsMovingUnderTheHolder) {
  pb::GetChannelRequest req;
  req.set_device_id(echo_.device_id());
  req.set_relid(echo_.relid());
  pb::Channel idle;
  ASSERT_TRUE(daemon_.reader_devices()->GetChannel(context().get(), req, &idle).ok());
  EXPECT_FALSE(idle.open());  // claimed, not leased: no live rings
  EXPECT_FALSE(idle.has_tx());

  auto holder = open_leased(echo_);
  pb::Channel before;
  ASSERT_TRUE(daemon_.reader_devices()->GetChannel(context().get(), req, &before).ok());
  ASSERT_TRUE(before.open());
  ASSERT_TRUE(before.has_tx() && before.has_rx());
  EXPECT_TRUE(before.tx().indices_valid());
  EXPECT_GT(before.tx().data_size(), 0u);
  EXPECT_EQ(before.tx().bytes_to_read() + before.tx().bytes_to_write(), before.tx().data_size());
  EXPECT_TRUE(before.has_sampled_at());

  for (std::uint64_t id = 1; id <= 10; ++id) ASSERT_TRUE(echo_once(*holder, id));
  pb::Channel after;
  ASSERT_TRUE(daemon_.reader_devices()->GetChannel(context().get(), req, &after).ok());
  // 10 packets of 64 bytes each way: 16-byte descriptor + 64 + 8-byte trailer.
  EXPECT_EQ(after.tx().write_index() - before.tx().write_index(), 10u * (16 + 64 + 8));
  EXPECT_EQ(after.rx().read_index() - before.rx().read_index(), after.rx().write_index() - before.rx().write_index());
  EXPECT_GT(after.rx().write_index(), before.rx().write_index());
  EXPECT_EQ(after.rx().bytes_to_read(), 0u);  // the holder read every echo

  pb::ListChannelsRequest list;
  list.set_device_id(echo_.device_id());
  list.set_include_ring_state(true);
  pb::ListChannelsResponse channels;
  ASSERT_TRUE(daemon_.reader_devices()->ListChannels(context().get(), list, &channels).ok());
  ASSERT_GE(channels.channels_size(), 1);
  EXPECT_EQ(channels.channels(0).tx().write_index(), after.tx().write_index());
}

TEST_F(Lease, AThousandGetChannelCallsFromConcurrentClientsWhileTrafficRuns) {
  auto holder = open_leased(echo_);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> echoed{0};
  std::atomic<bool> echo_failed{false};
  std::thread traffic([&] {
    for (std::uint64_t id = 1; !stop.load(); ++id) {
      if (!echo_once(*holder, id)) {
        echo_failed = true;
        return;
      }
      echoed.fetch_add(1);
    }
  });
  constexpr int kClients = 4, kCallsEach = 250;
  std::atomic<int> ok{0}, live{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      auto stub = pb::DeviceService::NewStub(daemon_.reader_channel());  // a connection of its own
      pb::GetChannelRequest req;
      req.set_device_id(echo_.device_id());
      req.set_relid(echo_.relid());
      for (int i = 0; i < kCallsEach; ++i) {
        pb::Channel ch;
        if (stub->GetChannel(context().get(), req, &ch).ok()) {
          ok.fetch_add(1);
          if (ch.open() && ch.tx().indices_valid()) live.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  const std::uint64_t during = echoed.load();
  stop = true;
  traffic.join();
  EXPECT_EQ(ok.load(), kClients * kCallsEach);
  EXPECT_EQ(live.load(), kClients * kCallsEach);
  EXPECT_FALSE(echo_failed.load());
  EXPECT_GT(during, 0u) << "no traffic ran while the control plane was queried";
}

}  // namespace
}  // namespace vmbusd_test
