// A host thread and a guest thread on one Device, end to end through the
// endpoint: the host writes packets into the guest's RX ring and interrupts
// only when its commit says so (Linux's rule); the guest drains, answers
// each with a completion, and sleeps in Device::wait() between bursts using
// arm_interrupts(). A lost wakeup shows up as a wait that times out with
// packets still owed; a wrong answer as a bad trans_id. Run under TSan too.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "device_test_support.h"
#include "vmbus/device/device.h"
#include "vmbus/ring/incoming_ring.h"
#include "vmbus/ring/outgoing_ring.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t kPackets = 20'000;
#else
constexpr std::uint64_t kPackets = 200'000;
#endif

namespace {

using namespace std::chrono_literals;
using vmbus::test::IsOk;

TEST(DeviceThreads, HostInterruptsOnlyWhenNeededAndTheGuestNeverSleepsThroughData) {
  vmbus::test::TempDir root;
  const auto sysfs_dir = root.path() / "sys/bus/vmbus/devices" / vmbus::test::kDeviceGuid;
  std::filesystem::create_directories(sysfs_dir);
  vmbus::test::FakeHost host(vmbus::test::small_maps());
  auto dev = vmbus::Device::open(vmbus::test::uio_device_info(sysfs_dir, host.path(), vmbus::test::small_maps()));
  vmbus::Channel& ch = dev->channel(0);
  constexpr std::size_t kRing = 4096 + 16384;
  std::byte* map0 = host.host_map(0);

  std::atomic<bool> guest_failed{false};
  std::atomic<std::uint64_t> interrupts_sent{0};
  std::thread host_thread([&] {
    auto to_guest = vmbus::OutgoingRing::attach(*vmbus::RingMemory::from({map0 + kRing, kRing}));
    auto from_guest = vmbus::IncomingRing::attach(*vmbus::RingMemory::from({map0, kRing}));
    alignas(8) std::byte buffer[256];
    std::uint64_t sent = 0, completed = 0;
    while (completed < kPackets && !guest_failed.load()) {
      // A burst of up to 16, then one commit and at most one interrupt.
      int burst = 0;
      while (sent < kPackets && burst < 16) {
        std::uint64_t payload = sent;
        auto p = vmbus::packet::inband(std::as_bytes(std::span(&payload, 1)), sent, true);
        if (!to_guest->write(p).ok()) break;  // full: the guest is behind
        ++sent;
        ++burst;
      }
      if (to_guest->commit()) {
        interrupts_sent.fetch_add(1);
        host.interrupt(1);
      }
      while (true) {
        auto c = from_guest->read(buffer);
        if (!c) break;
        EXPECT_EQ(c->type, vmbus::PacketType::completion);
        EXPECT_EQ(c->trans_id, completed);
        ++completed;
      }
      (void)from_guest->commit();
      if (burst == 0) std::this_thread::yield();
    }
  });

  alignas(8) std::byte buffer[256];
  std::uint64_t received = 0;
  while (received < kPackets) {
    while (auto p = ch.receive(buffer)) {
      if (p->trans_id != received) {
        ADD_FAILURE() << "packet " << p->trans_id << " where " << received << " was expected";
        guest_failed = true;
        break;
      }
      ASSERT_TRUE(IsOk(ch.write(vmbus::packet::completion(p->trans_id))));
      ++received;
    }
    if (guest_failed) break;
    ASSERT_TRUE(IsOk(ch.flush()));
    ASSERT_TRUE(IsOk(ch.finish_receive()));
    if (received == kPackets) break;
    if (ch.arm_interrupts()) {
      ch.set_poll_mode();
      continue;
    }
    auto n = dev->wait(10s);
    ASSERT_TRUE(IsOk(n));
    if (*n == 0 && ch.rx_empty()) {
      ADD_FAILURE() << "slept 10 s with interrupts armed and " << kPackets - received << " packets owed: lost wakeup";
      guest_failed = true;
      break;
    }
    ch.set_poll_mode();
  }
  host_thread.join();
  const auto counters = ch.counters().snapshot();
  EXPECT_EQ(counters.packets_received, kPackets);
  EXPECT_EQ(counters.packets_sent, kPackets);
  EXPECT_LE(counters.interrupts_seen, interrupts_sent.load()) << "eventfd counts add up";
  RecordProperty("interrupts", std::to_string(interrupts_sent.load()));
}

}  // namespace
