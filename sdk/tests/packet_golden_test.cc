// Golden bytes: every builder's packet exactly as it lands in the ring,
// derived by hand from the kernel's struct layouts (include/linux/hyperv.h)
// and the senders in drivers/hv/channel.c. A ring placed at a non-zero write
// index makes the trailer ((u64)start << 32) visible.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "ring_test_support.h"
#include "vmbus/packet/builders.h"

namespace vmbus {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Writes one packet at data offset 0x40 and returns the ring bytes it took.
Bytes write_at_0x40(const OutgoingPacket& packet) {
  test::TestRing ring(4096);
  ring.set_indices(0x40, 0x40);
  auto tx = OutgoingRing::attach(ring.memory());
  EXPECT_TRUE(tx.ok());
  Status s = tx->write(packet);
  EXPECT_TRUE(s.ok()) << s.error().message();
  (void)tx->commit();
  const std::uint32_t size = ring.memory().load_write_index() - 0x40;
  const auto* at = reinterpret_cast<const std::uint8_t*>(ring.memory().data()) + 0x40;
  return Bytes(at, at + size);
}

std::span<const std::byte> as_bytes(const Bytes& b) { return std::as_bytes(std::span(b)); }

TEST(PacketGolden, InbandWithCompletionRequested) {
  const Bytes payload{'A', 'B', 'C', 'D', 'E'};
  const Bytes expected{
      0x06, 0x00,                                      // type: VM_PKT_DATA_INBAND
      0x02, 0x00,                                      // offset8: 16 / 8
      0x03, 0x00,                                      // len8: ALIGN(16 + 5, 8) / 8
      0x01, 0x00,                                      // flags: COMPLETION_REQUESTED
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // trans_id
      'A',  'B',  'C',  'D',  'E',  0x00, 0x00, 0x00,  // payload, zero padded to 8
      0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,  // trailer: 0x40 << 32
  };
  EXPECT_EQ(write_at_0x40(packet::inband(as_bytes(payload), 0x1122334455667788, true)), expected);
}

TEST(PacketGolden, InbandWithoutCompletion) {
  const Bytes payload(8, 0xab);
  const Bytes expected{
      0x06, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00,  // type 6, offset8 2, len8 3, flags 0
      0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // trans_id 7
      0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,  // payload, already a multiple of 8
      0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,  // trailer
  };
  EXPECT_EQ(write_at_0x40(packet::inband(as_bytes(payload), 7)), expected);
}

TEST(PacketGolden, CompletionEchoesTransactionId) {
  const Bytes payload{0x01, 0x00, 0x00, 0x00};
  const Bytes expected{
      0x0b, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00,  // type VM_PKT_COMP, flags 0
      0xef, 0xbe, 0xad, 0xde, 0x00, 0x00, 0x00, 0x00,  // the request's trans_id
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // payload + padding
      0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,  // trailer
  };
  EXPECT_EQ(write_at_0x40(packet::completion(0xdeadbeef, as_bytes(payload))), expected);
}

TEST(PacketGolden, EmptyCompletionIsTwoWords) {
  const Bytes expected{
      0x0b, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00,  // len8 == offset8: no payload
      0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(write_at_0x40(packet::completion(5)), expected);
}

// vmbus_sendpacket_pagebuffer with two entries: descsize = 16 + 8 + 2 * 16.
TEST(PacketGolden, PageBuffer) {
  GpaDirectHeader ranges;
  ASSERT_TRUE(ranges.add_page(100, 200, 0x12345).ok());
  ASSERT_TRUE(ranges.add_page(4096, 0, 0xabcde).ok());
  const Bytes payload{1, 2, 3, 4, 5, 6, 7, 8};
  const Bytes expected{
      0x09, 0x00,                                      // type: VM_PKT_DATA_USING_GPA_DIRECT
      0x07, 0x00,                                      // offset8: 56 / 8
      0x08, 0x00,                                      // len8: (56 + 8) / 8
      0x01, 0x00,                                      // flags: COMPLETION_REQUESTED
      0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // trans_id
      0x00, 0x00, 0x00, 0x00,                          // +16 reserved
      0x02, 0x00, 0x00, 0x00,                          // +20 rangecount
      0x64, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00, 0x00,  // +24 len 100, offset 200
      0x45, 0x23, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,  //     pfn 0x12345
      0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // +40 len 4096, offset 0
      0xde, 0xbc, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00,  //     pfn 0xabcde
      1,    2,    3,    4,    5,    6,    7,    8,     // payload
      0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,  // trailer
  };
  EXPECT_EQ(write_at_0x40(packet::gpa_direct(ranges, as_bytes(payload), 9)), expected);
}

// vmbus_sendpacket_mpb_desc with two ranges back to back (since May 2025):
// 5000 bytes from offset 100 span 2 frames; 10 bytes from offset 4090 span 2.
TEST(PacketGolden, MultiPageBufferWithTwoRanges) {
  GpaDirectHeader ranges;
  const std::array<std::uint64_t, 2> a{0x100, 0x101};
  const std::array<std::uint64_t, 2> b{0x200, 0x201};
  ASSERT_TRUE(ranges.add_range(5000, 100, a).ok());
  ASSERT_TRUE(ranges.add_range(10, 4090, b).ok());
  const Bytes payload(12, 0xee);
  const Bytes expected{
      0x09, 0x00, 0x09, 0x00,                          // type 9; offset8: (16 + 8 + 24 + 24) / 8
      0x0b, 0x00, 0x01, 0x00,                          // len8: ALIGN(72 + 12, 8) / 8 = 11; flags 1
      0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // trans_id 42
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,  // reserved, rangecount 2
      0x88, 0x13, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00,  // len 5000, offset 100
      0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // pfn 0x100
      0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // pfn 0x101
      0x0a, 0x00, 0x00, 0x00, 0xfa, 0x0f, 0x00, 0x00,  // len 10, offset 4090
      0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // pfn 0x200
      0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // pfn 0x201
      0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,  // payload
      0xee, 0xee, 0xee, 0xee, 0x00, 0x00, 0x00, 0x00,  // payload + padding
      0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,  // trailer
  };
  EXPECT_EQ(write_at_0x40(packet::gpa_direct(ranges, as_bytes(payload), 42)), expected);
}

TEST(PacketBuilders, AddBufferSplitsAtEveryHyperVPage) {
  GpaDirectHeader ranges;
  // 10000 bytes from GPA 0x5000 + 4000: 96 bytes, then 4096, 4096, 1712.
  ASSERT_TRUE(ranges.add_buffer(0x5000 + 4000, 10000).ok());
  EXPECT_EQ(ranges.range_count(), 4u);
  EXPECT_EQ(ranges.page_count(), 4u);
  const auto bytes = ranges.bytes();
  ASSERT_EQ(bytes.size(), 8u + 4 * 16);
  auto entry = [&](std::size_t i) {
    PageBuffer e;
    std::memcpy(&e, bytes.data() + 8 + i * 16, sizeof e);
    return e;
  };
  EXPECT_EQ(entry(0).len, 96u);
  EXPECT_EQ(entry(0).offset, 4000u);
  EXPECT_EQ(entry(0).pfn, 0x5u);
  EXPECT_EQ(entry(1).len, 4096u);
  EXPECT_EQ(entry(1).offset, 0u);
  EXPECT_EQ(entry(1).pfn, 0x6u);
  EXPECT_EQ(entry(2).pfn, 0x7u);
  EXPECT_EQ(entry(3).len, 1712u);
  EXPECT_EQ(entry(3).pfn, 0x8u);
}

TEST(PacketBuilders, ThirtyThirdPageIsRefusedWithItsCount) {
  GpaDirectHeader ranges;
  for (std::uint64_t i = 0; i < kMaxPageBufferCount; ++i) ASSERT_TRUE(ranges.add_page(64, 0, i).ok());
  Status s = ranges.add_page(64, 0, 99);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::too_many_pages);
  EXPECT_EQ(s.error().detail, 33u);
  EXPECT_EQ(ranges.page_count(), 32u);  // nothing half-added
  EXPECT_NE(s.error().message().find("32"), std::string::npos);

  GpaDirectHeader big;
  s = big.add_buffer(0, 33 * 4096);
  EXPECT_EQ(s.error().code, Errc::too_many_pages);
  EXPECT_EQ(big.range_count(), 0u);
}

TEST(PacketBuilders, BadRangesAreRefused) {
  GpaDirectHeader ranges;
  EXPECT_EQ(ranges.add_page(0, 0, 1).error().code, Errc::invalid_argument);       // empty
  EXPECT_EQ(ranges.add_page(100, 4000, 1).error().code, Errc::invalid_argument);  // crosses the frame
  const std::array<std::uint64_t, 1> one{1};
  const std::array<std::uint64_t, 2> two{1, 2};
  EXPECT_EQ(ranges.add_range(4096, 1, one).error().code, Errc::invalid_argument);  // needs 2 frames
  EXPECT_EQ(ranges.add_range(10, 0, two).error().code, Errc::invalid_argument);    // needs 1 frame
  EXPECT_EQ(ranges.add_range(10, 4096, one).error().code, Errc::invalid_argument); // offset past the frame
  EXPECT_EQ(ranges.range_count(), 0u);
}

TEST(PacketBuilders, HeaderNotMultipleOfEightIsRefusedByTheRing) {
  test::TestRing ring(4096);
  auto tx = OutgoingRing::attach(ring.memory());
  ASSERT_TRUE(tx.ok());
  const std::array<std::byte, 12> header{};
  OutgoingPacket p = packet::inband({}, 1);
  p.header = header;
  Status s = tx->write(p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::invalid_argument);
  EXPECT_EQ(s.error().detail, 12u);
}

}  // namespace
}  // namespace vmbus
