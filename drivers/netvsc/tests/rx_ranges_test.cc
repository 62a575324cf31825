// Transfer-page packet checks (src/rx_ranges.h) on real packet bytes.
#include "rx_ranges.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "netvsc/protocol/nvsp.h"

namespace netvsc::internal {
namespace {

struct Packet {
  std::vector<std::byte> header;
  vmbus::IncomingPacket view() const {
    vmbus::IncomingPacket p;
    p.type = vmbus::PacketType::data_using_transfer_pages;
    p.header = header;
    return p;
  }
};

Packet make(std::uint16_t pageset, std::uint32_t announced, std::vector<vmbus::TransferPageRange> ranges) {
  Packet p;
  p.header.resize(sizeof(vmbus::TransferPagePrefix) + ranges.size() * 8);
  const vmbus::TransferPagePrefix prefix{pageset, 0, 0, announced};
  std::memcpy(p.header.data(), &prefix, sizeof prefix);
  if (!ranges.empty()) std::memcpy(p.header.data() + 8, ranges.data(), ranges.size() * 8);
  return p;
}

TEST(RxRanges, AcceptsAGoodPacketAndFindsItsBytes) {
  std::vector<std::byte> buffer(4096);
  Packet p = make(0xcafe, 2, {{100, 0}, {28, 4068}});
  auto c = check_transfer_page(p.view());
  ASSERT_TRUE(c.packet);
  auto r0 = range_bytes(*c.packet, 0, buffer);
  auto r1 = range_bytes(*c.packet, 1, buffer);
  ASSERT_TRUE(r0 && r1);
  EXPECT_EQ(r0->data(), buffer.data());
  EXPECT_EQ(r1->size(), 28u);
  EXPECT_FALSE(range_bytes(*c.packet, 2, buffer)) << "past range_count";
}

TEST(RxRanges, WrongPagesetIsRefused) {
  EXPECT_EQ(check_transfer_page(make(0xface, 1, {{10, 0}}).view()).error, Malformed::pageset_id);
  EXPECT_FALSE(check_transfer_page(make(0, 1, {{10, 0}}).view()).packet);
}

TEST(RxRanges, RangeCountMustBeOneTo562AndFitTheHeader) {
  EXPECT_EQ(check_transfer_page(make(0xcafe, 0, {}).view()).error, Malformed::range_count);
  std::vector<vmbus::TransferPageRange> many(nvsp::kMaxTransferPageRanges + 1, {1, 0});
  EXPECT_EQ(check_transfer_page(make(0xcafe, static_cast<std::uint32_t>(many.size()), many).view()).error,
            Malformed::range_count);
  many.pop_back();
  EXPECT_TRUE(check_transfer_page(make(0xcafe, static_cast<std::uint32_t>(many.size()), many).view()).packet);
  // The header announces 3 ranges but holds 1.
  EXPECT_EQ(check_transfer_page(make(0xcafe, 3, {{1, 0}}).view()).error, Malformed::range_count);
}

TEST(RxRanges, RangesPastTheBufferAreRefusedWithoutWrapping) {
  std::vector<std::byte> buffer(4096);
  Packet p = make(0xcafe, 5, {{0, 0}, {1, 4096}, {4097, 0}, {0x20, 0xfffffff0u}, {0xffffffffu, 1}});
  auto c = check_transfer_page(p.view());
  ASSERT_TRUE(c.packet);
  for (std::uint32_t i = 0; i < 5; ++i) EXPECT_FALSE(range_bytes(*c.packet, i, buffer)) << "range " << i;
}

TEST(Stats, NamesEveryKindAndSums) {
  for (std::size_t k = 0; k < kMalformedKinds; ++k) {
    EXPECT_STRNE(malformed_name(static_cast<Malformed>(k)), "unknown") << k;
  }
  QueueStats q;
  q.count(Malformed::pageset_id);
  q.count(Malformed::pageset_id);
  QueueStats::add(q.rx_packets, 3);
  QueueStatsSnapshot a = q.snapshot();
  QueueStatsSnapshot sum;
  sum += a;
  sum += a;
  EXPECT_EQ(sum.rx_packets, 6u);
  EXPECT_EQ(sum.malformed[static_cast<std::size_t>(Malformed::pageset_id)], 4u);
  EXPECT_EQ(sum.malformed_total(), 4u);
}

}  // namespace
}  // namespace netvsc::internal
