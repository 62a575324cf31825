// Channel, sending side: one signal per batch (and only when Linux's rule
// says so), the convenience senders' packet types, counters, full rings,
// discarded batches and a rescinded channel.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "channel_test_support.h"
#include "vmbus/packet/gpa_direct.h"

namespace {

using vmbus::Errc;
using vmbus::PacketType;
using vmbus::test::ChannelRig;
using vmbus::test::HasError;
using vmbus::test::IsOk;
using vmbus::test::pattern_bytes;

TEST(ChannelSend, BatchOfManyPacketsCostsOneSignal) {
  ChannelRig rig;
  const auto payload = pattern_bytes(100, 1);
  for (std::uint64_t id = 0; id < 32; ++id) ASSERT_TRUE(IsOk(rig.ch().write(vmbus::packet::inband(payload, id))));
  EXPECT_EQ(rig.ch().batched_packets(), 32u);
  EXPECT_EQ(rig.signaller.count(), 0) << "write() must not signal";
  EXPECT_EQ(rig.to_host.write_index(), 0u) << "write() must not publish";
  ASSERT_TRUE(IsOk(rig.ch().flush()));
  EXPECT_EQ(rig.signaller.count(), 1);
  EXPECT_EQ(rig.ch().batched_packets(), 0u);
  for (std::uint64_t id = 0; id < 32; ++id) {
    vmbus::IncomingPacket p;
    ASSERT_TRUE(rig.host_reads(&p)) << id;
    EXPECT_EQ(p.trans_id, id);
  }
}

TEST(ChannelSend, NoSignalWhileTheHostHasNotDrainedOrMaskedIt) {
  ChannelRig rig;
  const auto payload = pattern_bytes(64, 2);
  ASSERT_TRUE(IsOk(rig.ch().send_inband(payload, 1)));
  EXPECT_EQ(rig.signaller.count(), 1) << "empty -> non-empty signals";
  ASSERT_TRUE(IsOk(rig.ch().send_inband(payload, 2)));
  EXPECT_EQ(rig.signaller.count(), 1) << "the host has not read the first one: no new signal";
  ASSERT_TRUE(rig.host_reads());
  ASSERT_TRUE(rig.host_reads());
  rig.to_host.set_interrupt_mask(1);  // the host polls
  ASSERT_TRUE(IsOk(rig.ch().send_inband(payload, 3)));
  EXPECT_EQ(rig.signaller.count(), 1) << "host mask set: no signal";
  ASSERT_TRUE(rig.host_reads());
  rig.to_host.set_interrupt_mask(0);
  ASSERT_TRUE(IsOk(rig.ch().send_inband(payload, 4)));
  EXPECT_EQ(rig.signaller.count(), 2);
  EXPECT_EQ(rig.ch().counters().signals_sent.load(), 2u);
}

TEST(ChannelSend, EmptyFlushDoesNothing) {
  ChannelRig rig;
  ASSERT_TRUE(IsOk(rig.ch().flush()));
  EXPECT_EQ(rig.signaller.count(), 0);
  EXPECT_EQ(rig.ch().counters().packets_sent.load(), 0u);
}

TEST(ChannelSend, ConvenienceSendersBuildTheKernelsPackets) {
  ChannelRig rig;
  const auto payload = pattern_bytes(20, 3);
  ASSERT_TRUE(IsOk(rig.ch().send_inband(payload, 11, /*completion_requested=*/true)));
  ASSERT_TRUE(IsOk(rig.ch().send_completion(12, payload)));
  vmbus::GpaDirectHeader ranges;
  ASSERT_TRUE(IsOk(ranges.add_buffer(0x12345000 + 100, 5000)));
  ASSERT_TRUE(IsOk(rig.ch().send_gpa_direct(ranges, payload, 13)));

  vmbus::IncomingPacket p;
  ASSERT_TRUE(rig.host_reads(&p));
  EXPECT_EQ(p.type, PacketType::data_inband);
  EXPECT_TRUE(p.completion_requested());
  EXPECT_EQ(p.trans_id, 11u);
  ASSERT_TRUE(rig.host_reads(&p));
  EXPECT_EQ(p.type, PacketType::completion);
  EXPECT_EQ(p.flags, 0);
  EXPECT_EQ(p.trans_id, 12u);
  ASSERT_TRUE(rig.host_reads(&p));
  EXPECT_EQ(p.type, PacketType::data_using_gpa_direct);
  EXPECT_EQ(p.trans_id, 13u);
  auto gpa = vmbus::GpaDirectPacket::parse(p);
  ASSERT_TRUE(IsOk(gpa));
  EXPECT_EQ(gpa->range_count(), 2u) << "5000 bytes at offset 100 span two 4 KiB pages";
}

TEST(ChannelSend, CountersCountPublishedPacketsAndFramedBytes) {
  ChannelRig rig;
  const auto a = pattern_bytes(5, 4);    // 16 + 5 -> 24 bytes framed
  const auto b = pattern_bytes(16, 5);   // 16 + 16 -> 32
  ASSERT_TRUE(IsOk(rig.ch().write(vmbus::packet::inband(a, 1))));
  ASSERT_TRUE(IsOk(rig.ch().write(vmbus::packet::inband(b, 2))));
  EXPECT_EQ(rig.ch().counters().packets_sent.load(), 0u) << "staged is not sent";
  ASSERT_TRUE(IsOk(rig.ch().flush()));
  const vmbus::ChannelCountersSnapshot s = rig.ch().counters().snapshot();
  EXPECT_EQ(s.packets_sent, 2u);
  EXPECT_EQ(s.bytes_sent, 24u + 32u);
  EXPECT_EQ(s.signals_sent, 1u);
  EXPECT_EQ(s.ring_full_events, 0u);
}

TEST(ChannelSend, FullRingIsCountedAndNothingIsLost) {
  ChannelRig rig(4096);
  const auto payload = pattern_bytes(1000, 6);
  int written = 0;
  vmbus::Status s;
  while ((s = rig.ch().write(vmbus::packet::inband(payload, static_cast<std::uint64_t>(written)))).ok()) ++written;
  EXPECT_TRUE(HasError(s, Errc::full));
  EXPECT_EQ(written, 3) << "3 x 1024 ring bytes leave 1024 free, and a write needs more than it uses";
  EXPECT_EQ(rig.ch().counters().ring_full_events.load(), 1u);
  ASSERT_TRUE(IsOk(rig.ch().flush()));
  EXPECT_EQ(rig.ch().counters().packets_sent.load(), 3u);
  // Ask for room, the host drains, and the room is there.
  EXPECT_FALSE(rig.ch().request_space_notification(1040));
  EXPECT_EQ(rig.to_host.pending_send_size(), 1040u);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(rig.host_reads());
  EXPECT_TRUE(IsOk(rig.ch().send_inband(payload, 99)));
  rig.ch().cancel_space_notification();
  EXPECT_EQ(rig.to_host.pending_send_size(), 0u);
}

TEST(ChannelSend, DiscardedBatchIsNeitherPublishedNorCounted) {
  ChannelRig rig;
  const auto payload = pattern_bytes(50, 7);
  ASSERT_TRUE(IsOk(rig.ch().write(vmbus::packet::inband(payload, 1))));
  rig.ch().discard_batch();
  ASSERT_TRUE(IsOk(rig.ch().flush()));
  EXPECT_EQ(rig.to_host.write_index(), 0u);
  EXPECT_EQ(rig.ch().counters().packets_sent.load(), 0u);
  EXPECT_EQ(rig.signaller.count(), 0);
}

TEST(ChannelSend, RescindedChannelRefusesToSend) {
  ChannelRig rig;
  const auto payload = pattern_bytes(50, 8);
  ASSERT_TRUE(IsOk(rig.ch().write(vmbus::packet::inband(payload, 1))));
  rig.ch().mark_rescinded();
  EXPECT_TRUE(HasError(rig.ch().flush(), Errc::rescinded));
  EXPECT_EQ(rig.to_host.write_index(), 0u) << "nothing published after a rescind";
  EXPECT_TRUE(HasError(rig.ch().send_inband(payload, 2), Errc::rescinded));
  EXPECT_EQ(rig.signaller.count(), 0);
}

TEST(ChannelSend, SignalFailingWithRescindMarksTheChannel) {
  ChannelRig rig;
  rig.signaller.fail_with({Errc::rescinded, 0});
  const auto payload = pattern_bytes(50, 9);
  EXPECT_TRUE(HasError(rig.ch().send_inband(payload, 1), Errc::rescinded));
  EXPECT_TRUE(rig.ch().rescinded());
  EXPECT_EQ(rig.ch().counters().packets_sent.load(), 1u) << "published before the signal failed";
  EXPECT_EQ(rig.ch().counters().signals_sent.load(), 0u);
}

TEST(ChannelSend, AttachRejectsBadRings) {
  vmbus::test::CountingSignaller signaller;
  vmbus::test::TestRing good(4096);
  alignas(8) static std::byte small[4096];
  EXPECT_TRUE(HasError(vmbus::Channel::attach(small, good.whole(), signaller), Errc::invalid_argument));
  vmbus::test::TestRing corrupt(4096);
  corrupt.set_write_index(12);  // not 8-byte aligned
  EXPECT_TRUE(HasError(vmbus::Channel::attach(corrupt.whole(), good.whole(), signaller), Errc::corrupt_index));
}

}  // namespace
