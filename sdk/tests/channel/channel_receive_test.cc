// Channel, receiving side: copy-out, zero-copy peek/consume, the completion
// echo a driver answers requests with, finish_receive()'s pending_send_sz
// signal, corruption counted, and a rescinded channel draining first.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "channel_test_support.h"

namespace {

using vmbus::Errc;
using vmbus::PacketType;
using vmbus::test::ChannelRig;
using vmbus::test::HasError;
using vmbus::test::IsOk;
using vmbus::test::pattern_bytes;
using vmbus::test::SameBytes;

TEST(ChannelReceive, CopyOutGivesThePacketAndCountsIt) {
  ChannelRig rig;
  const auto payload = pattern_bytes(40, 1);
  rig.host_sends(vmbus::packet::inband(payload, 77));
  alignas(8) std::byte buffer[256];
  auto p = rig.ch().receive(buffer);
  ASSERT_TRUE(IsOk(p));
  EXPECT_EQ(p->type, PacketType::data_inband);
  EXPECT_EQ(p->trans_id, 77u);
  EXPECT_TRUE(SameBytes(p->payload, payload));
  EXPECT_GE(p->payload.data(), buffer) << "spans point into the caller's copy";
  EXPECT_LT(p->payload.data(), buffer + sizeof buffer);
  EXPECT_TRUE(HasError(rig.ch().receive(buffer), Errc::empty));
  const auto s = rig.ch().counters().snapshot();
  EXPECT_EQ(s.packets_received, 1u);
  EXPECT_EQ(s.bytes_received, 56u);  // 16 + 40
  EXPECT_EQ(rig.to_guest.read_index(), 0u) << "not committed before finish_receive()";
  ASSERT_TRUE(IsOk(rig.ch().finish_receive()));
  EXPECT_EQ(rig.to_guest.read_index(), rig.to_guest.write_index());
}

TEST(ChannelReceive, SmallBufferReportsTheSizeNeededAndKeepsThePacket) {
  ChannelRig rig;
  rig.host_sends(vmbus::packet::inband(pattern_bytes(100, 2), 1));
  alignas(8) std::byte small[32];
  EXPECT_TRUE(HasError(rig.ch().receive(small), Errc::buffer_too_small, 120));
  alignas(8) std::byte big[256];
  EXPECT_TRUE(IsOk(rig.ch().receive(big)));
}

TEST(ChannelReceive, CompletionEchoesTheRequestsTransactionId) {
  ChannelRig rig;
  const auto request = pattern_bytes(24, 3);
  rig.host_sends(vmbus::packet::inband(request, 0xfeedface12345678ull, /*completion_requested=*/true));
  alignas(8) std::byte buffer[256];
  auto p = rig.ch().receive(buffer);
  ASSERT_TRUE(IsOk(p));
  ASSERT_TRUE(p->completion_requested());
  const auto reply = pattern_bytes(8, 4);
  ASSERT_TRUE(IsOk(rig.ch().send_completion(p->trans_id, reply)));
  ASSERT_TRUE(IsOk(rig.ch().finish_receive()));

  vmbus::IncomingPacket c;
  auto got = rig.host_reads(&c);
  ASSERT_TRUE(got);
  EXPECT_EQ(c.type, PacketType::completion);
  EXPECT_EQ(c.flags, 0);
  EXPECT_EQ(c.trans_id, 0xfeedface12345678ull);
  EXPECT_TRUE(SameBytes(*got, reply));
}

TEST(ChannelReceive, PeekAndConsumeAreZeroCopy) {
  ChannelRig rig;
  const auto payload = pattern_bytes(64, 5);
  rig.host_sends(vmbus::packet::inband(payload, 9));
  auto v = rig.ch().peek();
  ASSERT_TRUE(IsOk(v));
  EXPECT_EQ(v->payload.first.data(), rig.to_guest.data().data() + 16) << "a window into the ring itself";
  EXPECT_EQ(rig.ch().counters().packets_received.load(), 0u) << "peek alone does not count";
  ASSERT_TRUE(rig.ch().consume(*v));
  EXPECT_FALSE(rig.ch().consume(*v)) << "a view is consumed once";
  EXPECT_EQ(rig.ch().counters().packets_received.load(), 1u);
  EXPECT_EQ(rig.ch().counters().bytes_received.load(), 80u);
  EXPECT_TRUE(rig.ch().rx_empty());
  EXPECT_TRUE(HasError(rig.ch().peek(), Errc::empty));
}

TEST(ChannelReceive, FinishReceiveSignalsOnlyWhenTheHostWaitsForRoom) {
  ChannelRig rig(4096);
  const auto payload = pattern_bytes(1000, 6);  // 1024 ring bytes each
  for (int i = 0; i < 3; ++i) rig.host_sends(vmbus::packet::inband(payload, static_cast<std::uint64_t>(i)));
  alignas(8) std::byte buffer[2048];
  ASSERT_TRUE(IsOk(rig.ch().receive(buffer)));
  ASSERT_TRUE(IsOk(rig.ch().finish_receive()));
  EXPECT_EQ(rig.signaller.count(), 0) << "the host did not ask (pending_send_sz == 0)";

  // The host is blocked and asks for 2100 bytes; 2048 are free.
  rig.to_guest.set_pending_send_size(2100);
  ASSERT_TRUE(IsOk(rig.ch().receive(buffer)));
  ASSERT_TRUE(IsOk(rig.ch().finish_receive()));
  EXPECT_EQ(rig.signaller.count(), 1) << "this commit made the room the host asked for";
  ASSERT_TRUE(IsOk(rig.ch().receive(buffer)));
  ASSERT_TRUE(IsOk(rig.ch().finish_receive()));
  EXPECT_EQ(rig.signaller.count(), 1) << "the room was already there: no second signal";
}

TEST(ChannelReceive, CorruptionIsReportedAndCounted) {
  ChannelRig rig;
  // The host publishes a packet whose descriptor claims offset8 > len8.
  rig.to_guest.put_descriptor_at(0, vmbus::PacketDescriptor{.type = 6, .offset8 = 4, .len8 = 3, .flags = 0, .trans_id = 1});
  rig.to_guest.set_write_index(32);
  alignas(8) std::byte buffer[256];
  auto p = rig.ch().receive(buffer);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(p.error().is_corruption());
  EXPECT_TRUE(HasError(rig.ch().peek(), Errc::corrupt_length));
  EXPECT_EQ(rig.ch().counters().corrupt_packets.load(), 2u);
  EXPECT_EQ(rig.ch().counters().packets_received.load(), 0u);
}

TEST(ChannelReceive, RescindedChannelDrainsThenSaysSo) {
  ChannelRig rig;
  rig.host_sends(vmbus::packet::inband(pattern_bytes(8, 7), 1));
  rig.ch().mark_rescinded();
  alignas(8) std::byte buffer[256];
  EXPECT_TRUE(IsOk(rig.ch().receive(buffer))) << "what the host sent before the rescind is still delivered";
  EXPECT_TRUE(HasError(rig.ch().receive(buffer), Errc::rescinded));
  EXPECT_TRUE(HasError(rig.ch().peek(), Errc::rescinded));
}

}  // namespace
