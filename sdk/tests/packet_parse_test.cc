// Parsers of packets a peer wrote: transfer pages (host -> guest) and
// GPA direct (guest -> host), from golden bytes and from malformed ones.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "ring_test_support.h"
#include "vmbus/packet/builders.h"
#include "vmbus/packet/transfer_pages.h"

namespace vmbus {
namespace {

using Bytes = std::vector<std::uint8_t>;

// An IncomingPacket over raw header bytes, as IncomingRing::read returns it.
IncomingPacket packet_with_header(PacketType type, const Bytes& header) {
  IncomingPacket p;
  p.type = type;
  p.header = std::as_bytes(std::span(header));
  return p;
}

// What netvsp sends for two received frames in the 0xCAFE receive buffer.
const Bytes kTwoRanges{
    0xfe, 0xca,              // +16 xfer_pageset_id 0xCAFE
    0x00,                    // +18 sender_owns_set
    0x00,                    // +19 reserved
    0x02, 0x00, 0x00, 0x00,  // +20 range_cnt
    0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // {byte_count 42, byte_offset 0}
    0xdc, 0x05, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00,  // {byte_count 1500, byte_offset 6144}
};

TEST(TransferPages, ParsesPagesetAndRanges) {
  auto xfer = TransferPagePacket::parse(packet_with_header(PacketType::data_using_transfer_pages, kTwoRanges));
  ASSERT_TRUE(xfer.ok()) << xfer.error().message();
  EXPECT_EQ(xfer->pageset_id(), 0xcafe);
  EXPECT_FALSE(xfer->sender_owns_set());
  ASSERT_EQ(xfer->range_count(), 2u);
  EXPECT_EQ(xfer->range(0).byte_count, 42u);
  EXPECT_EQ(xfer->range(0).byte_offset, 0u);
  EXPECT_EQ(xfer->range(1).byte_count, 1500u);
  EXPECT_EQ(xfer->range(1).byte_offset, 6144u);
  EXPECT_TRUE(xfer->check_within(6144 + 1500).ok());
  Status outside = xfer->check_within(6144 + 1499);
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code, Errc::malformed_packet);
  EXPECT_EQ(outside.error().detail, 1u);  // the second range
}

TEST(TransferPages, ReadFromTheRingWithItsHeader) {
  // The whole packet as the host puts it in the guest's RX ring.
  const Bytes packet{
      0x07, 0x00, 0x05, 0x00, 0x06, 0x00, 0x01, 0x00,  // type 7, offset8 5, len8 6, flags 1
      0x63, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // trans_id 99
      0xfe, 0xca, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,  // pageset 0xCAFE, range_cnt 2
      0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // {42, 0}
      0xdc, 0x05, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00,  // {1500, 6144}
      0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,  // 8 bytes of payload (the NVSP message)
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // trailer
  };
  test::TestRing ring(4096);
  std::memcpy(ring.memory().data(), packet.data(), packet.size());
  ring.set_write_index(static_cast<std::uint32_t>(packet.size()));
  auto rx = IncomingRing::attach(ring.memory());
  ASSERT_TRUE(rx.ok());
  alignas(8) std::array<std::byte, 256> buffer{};
  auto p = rx->read(buffer);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->trans_id, 99u);
  EXPECT_TRUE(p->completion_requested());
  EXPECT_EQ(p->payload.size(), 8u);
  auto xfer = TransferPagePacket::parse(*p);
  ASSERT_TRUE(xfer.ok());
  EXPECT_EQ(xfer->range(1).byte_count, 1500u);
}

TEST(TransferPages, RangeCountBeyondTheHeaderIsMalformed) {
  Bytes header = kTwoRanges;
  header[4] = 3;  // claims three ranges, carries two
  auto xfer = TransferPagePacket::parse(packet_with_header(PacketType::data_using_transfer_pages, header));
  ASSERT_FALSE(xfer.ok());
  EXPECT_EQ(xfer.error().code, Errc::malformed_packet);
  header[4] = 0xff, header[5] = 0xff, header[6] = 0xff, header[7] = 0xff;  // 2^32 - 1 ranges
  EXPECT_FALSE(TransferPagePacket::parse(packet_with_header(PacketType::data_using_transfer_pages, header)).ok());
  EXPECT_FALSE(TransferPagePacket::parse(packet_with_header(PacketType::data_using_transfer_pages, Bytes(4))).ok());
  EXPECT_FALSE(TransferPagePacket::parse(packet_with_header(PacketType::data_inband, kTwoRanges)).ok());
}

TEST(TransferPages, EmptyRangeIsRefused) {
  Bytes header = kTwoRanges;
  header[8] = 0;  // byte_count 0
  auto xfer = TransferPagePacket::parse(packet_with_header(PacketType::data_using_transfer_pages, header));
  ASSERT_TRUE(xfer.ok());
  EXPECT_EQ(xfer->check_within(1 << 20).error().detail, 0u);
}

TEST(GpaDirect, RoundTripThroughTheRing) {
  GpaDirectHeader ranges;
  const std::array<std::uint64_t, 3> frames{0x10, 0x11, 0x12};
  ASSERT_TRUE(ranges.add_range(8192, 1, frames).ok());
  ASSERT_TRUE(ranges.add_page(64, 4032, 0x99).ok());
  const std::array<std::byte, 4> payload{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};

  test::TestRing ring(4096);
  auto tx = OutgoingRing::attach(ring.memory());
  auto rx = IncomingRing::attach(ring.memory());
  ASSERT_TRUE(tx.ok() && rx.ok());
  ASSERT_TRUE(tx->write(packet::gpa_direct(ranges, payload, 5)).ok());
  EXPECT_TRUE(tx->commit());

  alignas(8) std::array<std::byte, 512> buffer{};
  auto p = rx->read(buffer);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(p->completion_requested());
  auto gpa = GpaDirectPacket::parse(*p);
  ASSERT_TRUE(gpa.ok()) << gpa.error().message();
  ASSERT_EQ(gpa->range_count(), 2u);
  std::vector<GpaRange> seen(gpa->begin(), gpa->end());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].len, 8192u);
  EXPECT_EQ(seen[0].offset, 1u);
  ASSERT_EQ(seen[0].page_count(), 3u);
  EXPECT_EQ(seen[0].pfn(2), 0x12u);
  EXPECT_EQ(seen[1].len, 64u);
  EXPECT_EQ(seen[1].offset, 4032u);
  ASSERT_EQ(seen[1].page_count(), 1u);
  EXPECT_EQ(seen[1].pfn(0), 0x99u);
  EXPECT_EQ(p->payload[3], std::byte{4});
}

// Each malformed range list fails with malformed_packet, as OpenVMM's
// validate_gpa_ranges would: empty, zero length, offset past the frame,
// frames missing, and a range count larger than the header holds.
TEST(GpaDirect, MalformedRangesAreRefused) {
  auto parse = [](const Bytes& header) {
    return GpaDirectPacket::parse(packet_with_header(PacketType::data_using_gpa_direct, header));
  };
  const Bytes good{0, 0, 0, 0, 1, 0, 0, 0,  // reserved, rangecount 1
                   16, 0, 0, 0, 0, 0, 0, 0,  // len 16, offset 0
                   7, 0, 0, 0, 0, 0, 0, 0};  // pfn 7
  ASSERT_TRUE(parse(good).ok());

  Bytes zero_ranges = good;
  zero_ranges[4] = 0;
  Bytes zero_len = good;
  zero_len[8] = 0;
  Bytes offset_past_frame = good;
  offset_past_frame[12] = 0x00, offset_past_frame[13] = 0x10;  // offset 4096
  Bytes frames_missing = good;
  frames_missing[13] = 0x0f, frames_missing[12] = 0xff;  // offset 4095 + len 16: needs 2 frames
  Bytes count_too_big = good;
  count_too_big[4] = 2;
  Bytes huge_len = good;
  huge_len[8] = 0xff, huge_len[9] = 0xff, huge_len[10] = 0xff, huge_len[11] = 0xff;
  for (const Bytes* bad : {&zero_ranges, &zero_len, &offset_past_frame, &frames_missing, &count_too_big, &huge_len}) {
    auto r = parse(*bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::malformed_packet);
  }
  EXPECT_FALSE(parse(Bytes(4)).ok());
  EXPECT_FALSE(GpaDirectPacket::parse(packet_with_header(PacketType::data_inband, good)).ok());
}

TEST(Errors, MessagesNameTheProblemAndTheNumber) {
  EXPECT_EQ((Error{Errc::full, 4120}).message(), "ring full (bytes needed 4120)");
  EXPECT_EQ((Error{Errc::unknown_packet_type, 66}).message(), "unknown packet type from the peer (type 66)");
  EXPECT_TRUE((Error{Errc::corrupt_index, 3}).is_corruption());
  EXPECT_TRUE((Error{Errc::empty, 0}).is_flow_control());
  EXPECT_FALSE((Error{Errc::too_many_pages, 33}).is_corruption());
  std::error_code ec = Errc::corrupt_length;
  EXPECT_STREQ(ec.category().name(), "vmbus");
}

}  // namespace
}  // namespace vmbus
