// Channel, interrupt mask ownership: poll mode masks, arm_interrupts()
// commits, unmasks and re-checks, and a channel in poll mode takes its mask
// back after an irqcontrol(1) (simulated here exactly as the kernel does it:
// every channel's RX interrupt_mask = 0, then the epoch bump) without ever
// touching the mask of a channel that armed.
#include <gtest/gtest.h>

#include <atomic>

#include "channel_test_support.h"

namespace {

using vmbus::test::ChannelRig;
using vmbus::test::IsOk;
using vmbus::test::pattern_bytes;

TEST(ChannelInterrupts, StartsInPollModeWithTheMaskSet) {
  ChannelRig rig;
  EXPECT_TRUE(rig.ch().poll_mode());
  EXPECT_EQ(rig.to_guest.interrupt_mask(), 1u);
  EXPECT_FALSE(rig.host_sends(vmbus::packet::inband(pattern_bytes(8, 1), 1))) << "masked: the host does not interrupt";
}

TEST(ChannelInterrupts, ArmOnAnEmptyRingClearsTheMaskAndSaysSleep) {
  ChannelRig rig;
  EXPECT_FALSE(rig.ch().arm_interrupts());
  EXPECT_FALSE(rig.ch().poll_mode());
  EXPECT_EQ(rig.to_guest.interrupt_mask(), 0u);
  EXPECT_TRUE(rig.host_sends(vmbus::packet::inband(pattern_bytes(8, 2), 1))) << "armed: the host interrupts";
  rig.ch().set_poll_mode();
  EXPECT_EQ(rig.to_guest.interrupt_mask(), 1u);
}

TEST(ChannelInterrupts, ArmWithDataWaitingSaysPollAgain) {
  ChannelRig rig;
  rig.host_sends(vmbus::packet::inband(pattern_bytes(8, 3), 1));
  EXPECT_TRUE(rig.ch().arm_interrupts()) << "data is there: sleeping now would miss it";
}

TEST(ChannelInterrupts, ArmCommitsUncommittedReadsFirst) {
  ChannelRig rig;
  rig.host_sends(vmbus::packet::inband(pattern_bytes(8, 4), 1));
  alignas(8) std::byte buffer[128];
  ASSERT_TRUE(IsOk(rig.ch().receive(buffer)));
  EXPECT_FALSE(rig.ch().arm_interrupts()) << "after committing, the ring is empty: safe to sleep";
  EXPECT_EQ(rig.to_guest.read_index(), rig.to_guest.write_index()) << "the host sees the ring drained";
  EXPECT_TRUE(rig.host_sends(vmbus::packet::inband(pattern_bytes(8, 5), 2)));
}

// irqcontrol(1) as hv_uio_irqcontrol does it, for two channels of a device.
struct TwoChannelDevice {
  std::atomic<std::uint64_t> epoch{0};
  ChannelRig a{16384, vmbus::ChannelConfig{.relid = 1, .monitor_id = {}, .unmask_epoch = &epoch}};
  ChannelRig b{16384, vmbus::ChannelConfig{.relid = 2, .monitor_id = {}, .unmask_epoch = &epoch}};

  void irqcontrol_1() {
    a.to_guest.set_interrupt_mask(0);
    b.to_guest.set_interrupt_mask(0);
    epoch.fetch_add(1, std::memory_order_release);
  }
};

TEST(ChannelInterrupts, PollModeChannelRemasksAfterIrqcontrolClearedIt) {
  TwoChannelDevice dev;
  dev.irqcontrol_1();
  EXPECT_EQ(dev.a.to_guest.interrupt_mask(), 0u);
  alignas(8) std::byte buffer[128];
  EXPECT_FALSE(dev.a.ch().receive(buffer).ok());  // empty: the poller's idle point
  EXPECT_EQ(dev.a.to_guest.interrupt_mask(), 1u) << "poll mode restored on the channel's own thread";
  EXPECT_TRUE(dev.b.ch().rx_empty());
  EXPECT_EQ(dev.b.to_guest.interrupt_mask(), 1u);
  // Once re-masked, nothing more to do until the next irqcontrol.
  dev.a.to_guest.set_interrupt_mask(0);  // (not something a host does; proves the epoch gates it)
  EXPECT_TRUE(IsOk(dev.a.ch().finish_receive()));
  EXPECT_EQ(dev.a.to_guest.interrupt_mask(), 0u);
}

TEST(ChannelInterrupts, ArmedChannelIsNeverRemasked) {
  TwoChannelDevice dev;
  EXPECT_FALSE(dev.b.ch().arm_interrupts());
  dev.irqcontrol_1();
  EXPECT_TRUE(dev.b.ch().rx_empty());
  EXPECT_TRUE(IsOk(dev.b.ch().finish_receive()));
  EXPECT_EQ(dev.b.to_guest.interrupt_mask(), 0u) << "armed channels keep interrupts on";
  // And after going back to poll mode, an older epoch does not matter.
  dev.b.ch().set_poll_mode();
  EXPECT_TRUE(dev.b.ch().rx_empty());
  EXPECT_EQ(dev.b.to_guest.interrupt_mask(), 1u);
}

TEST(ChannelInterrupts, ArmWhenTheCommitSignalFailsSaysPollAgain) {
  ChannelRig rig(4096);
  const auto payload = pattern_bytes(1000, 6);
  for (int i = 0; i < 3; ++i) rig.host_sends(vmbus::packet::inband(payload, static_cast<std::uint64_t>(i)));
  rig.to_guest.set_pending_send_size(1500);
  alignas(8) std::byte buffer[2048];
  ASSERT_TRUE(IsOk(rig.ch().receive(buffer)));
  rig.signaller.fail_with({vmbus::Errc::rescinded, 0});
  EXPECT_TRUE(rig.ch().arm_interrupts()) << "the error must surface in the next poll, not be slept on";
  EXPECT_TRUE(rig.ch().rescinded());
}

}  // namespace
