// Aggregation layout (src/section_aggregator.h): real RNDIS packets built
// into a section, then walked and parsed the way a host does.
#include "section_aggregator.h"

#include <gtest/gtest.h>

#include <vector>

#include "netvsc/protocol/rndis_message.h"
#include "netvsc/protocol/rndis_packet.h"
#include "netvsc/protocol/wire.h"

namespace netvsc::internal {
namespace {

std::uint32_t put(SectionAggregator& agg, std::uint32_t frame_len, std::uint8_t seed) {
  std::vector<std::byte> frame(frame_len);
  for (std::uint32_t i = 0; i < frame_len; ++i) frame[i] = static_cast<std::byte>(seed + i);
  const std::uint32_t msg_len = rndis::kPacketHeaderSize + ppi::kValueRecordSize + frame_len;
  std::span<std::byte> at = agg.append(msg_len);
  if (at.empty()) return 0;
  rndis::PacketBuilder b(at);
  EXPECT_TRUE(b.add(ppi::Type::hash_value, seed).ok());
  auto n = b.finish(frame);
  EXPECT_TRUE(n.ok());
  EXPECT_EQ(*n, msg_len);
  return msg_len;
}

TEST(SectionAggregator, PadsEachMessageButTheLastAndTheHostParsesThemAll) {
  std::vector<std::byte> section(6144, std::byte{0xee});
  SectionAggregator agg;
  agg.start(section, {6144, 8, 8});
  ASSERT_EQ(put(agg, 61, 1), 44u + 16 + 61);  // 121: padded to 128 when the next comes
  ASSERT_EQ(put(agg, 60, 2), 120u);
  ASSERT_EQ(put(agg, 99, 3), 159u);
  EXPECT_EQ(agg.packets(), 3u);
  EXPECT_EQ(agg.used(), 128u + 120 + 159);  // the last message is not padded

  // msg_len of the first grew to 128, and its padding is zero.
  EXPECT_EQ(wire::load<std::uint32_t>(section, 4), 128u);
  for (std::size_t i = 121; i < 128; ++i) EXPECT_EQ(section[i], std::byte{0}) << i;

  int seen = 0;
  for (rndis::MessageCursor c(std::span<const std::byte>(section).first(agg.used())); !c.done();) {
    auto m = c.next();
    ASSERT_TRUE(m.ok()) << m.error().message();
    auto pkt = rndis::parse_packet(*m);
    ASSERT_TRUE(pkt.ok()) << pkt.error().message();
    ++seen;
    EXPECT_EQ(*pkt->info.hash_value, static_cast<std::uint32_t>(seen));
    EXPECT_EQ(pkt->frame[0], static_cast<std::byte>(seen));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m->bytes.data()) % 8, 0u) << "each message starts aligned";
  }
  EXPECT_EQ(seen, 3);
}

TEST(SectionAggregator, StopsAtThePacketLimit) {
  std::vector<std::byte> section(6144);
  SectionAggregator agg;
  agg.start(section, {6144, 2, 8});
  EXPECT_NE(put(agg, 60, 1), 0u);
  EXPECT_FALSE(agg.full());
  EXPECT_NE(put(agg, 60, 2), 0u);
  EXPECT_TRUE(agg.full());
  EXPECT_EQ(put(agg, 60, 3), 0u);
}

TEST(SectionAggregator, StopsAtTheByteLimitCountingPadding) {
  std::vector<std::byte> section(6144);
  SectionAggregator agg;
  agg.start(section, {256, 8, 64});
  EXPECT_EQ(put(agg, 61, 1), 121u);        // 0..121
  EXPECT_FALSE(agg.fits(129));             // would start at 128 and end at 257
  EXPECT_TRUE(agg.fits(128));
  EXPECT_EQ(put(agg, 68, 2), 128u);        // 128..256
  EXPECT_EQ(agg.used(), 256u);
  EXPECT_TRUE(agg.full());
}

TEST(SectionAggregator, NeverExceedsTheSectionWhateverTheHostSaid) {
  std::vector<std::byte> section(512);
  SectionAggregator agg;
  agg.start(section, {1u << 20, 100, 8});  // max_bytes past the section: clamped
  EXPECT_FALSE(agg.fits(513));
  EXPECT_TRUE(agg.append(513).empty());
}

TEST(AggregationLimits, FollowTheHostOrTurnOff) {
  auto l = aggregation_limits(6144, 8, 0x4000, 3, true);
  EXPECT_EQ(l.max_bytes, 6144u);
  EXPECT_EQ(l.max_packets, 8u);
  EXPECT_EQ(l.alignment, 8u);
  l = aggregation_limits(6144, 8, 4096, 3, true);
  EXPECT_EQ(l.max_bytes, 4096u);  // min(section, max_xfer_size)
  EXPECT_EQ(aggregation_limits(6144, 8, 0x4000, 3, false).max_packets, 1u);  // switched off
  EXPECT_EQ(aggregation_limits(6144, 1, 0x4000, 3, true).max_packets, 1u);
  EXPECT_EQ(aggregation_limits(6144, 8, 0x4000, 31, true).max_packets, 1u);  // absurd alignment
  EXPECT_EQ(aggregation_limits(6144, 8, 40, 3, true).max_packets, 1u);       // tiny transfer size
  EXPECT_EQ(aggregation_limits(6144, 8, 0x4000, 0, true).alignment, 4u);
}

}  // namespace
}  // namespace netvsc::internal
