// The Toeplitz hash against Microsoft's RSS verification suite ("Verifying
// the RSS Hash Calculation"; the same table is the 82599 datasheet's RSS
// verification suite and DPDK's app/test/test_thash.c v4_tbl/v6_tbl), and
// the indirection table.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "netvsc/protocol/toeplitz.h"

namespace netvsc::rss {
namespace {

struct V4Case {
  Ipv4Address src, dst;
  std::uint16_t sport, dport;
  std::uint32_t ip, ip_tcp;
};

// Destination 161.142.100.80:1766, source 66.9.149.187:2794 is the first row.
const V4Case kV4[] = {
    {{66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766, 0x323e8fc2, 0x51ccc178},
    {{199, 92, 111, 2}, {65, 69, 140, 83}, 14230, 4739, 0xd718262a, 0xc626b0ea},
    {{24, 19, 198, 95}, {12, 22, 207, 184}, 12898, 38024, 0xd2d0a5de, 0x5c2b394a},
    {{38, 27, 205, 30}, {209, 142, 163, 6}, 48228, 2217, 0x82989176, 0xafc7327f},
    {{153, 39, 163, 191}, {202, 188, 127, 2}, 44251, 1303, 0x5d1809c5, 0x10e828a2},
};

struct V6Case {
  Ipv6Address src, dst;
  std::uint16_t sport, dport;
  std::uint32_t ip, ip_tcp;
};

const V6Case kV6[] = {
    // 3ffe:2501:200:1fff::7 -> 3ffe:2501:200:3::1
    {{0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x07},
     {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0x01},
     2794,
     1766,
     0x2cc18cd5,
     0x40207d3d},
    // 3ffe:501:8::260:97ff:fe40:efab -> ff02::1
    {{0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0, 0, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab},
     {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01},
     14230,
     4739,
     0x0f0c461c,
     0xdde51bbf},
    // 3ffe:1900:4545:3:200:f8ff:fe21:67cf -> fe80::200:f8ff:fe21:67cf
    {{0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf},
     {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf},
     44251,
     38024,
     0x4b61e985,
     0x02d1feef},
};

TEST(Toeplitz, Ipv4VerificationSuite) {
  const Toeplitz hasher(kVerificationKey);
  for (const V4Case& c : kV4) {
    EXPECT_EQ(toeplitz_hash(kVerificationKey, ipv4_input(c.src, c.dst)), c.ip);
    EXPECT_EQ(toeplitz_hash(kVerificationKey, ipv4_l4_input(c.src, c.dst, c.sport, c.dport)), c.ip_tcp);
    EXPECT_EQ(hasher.ipv4(c.src, c.dst), c.ip);
    EXPECT_EQ(hasher.ipv4_l4(c.src, c.dst, c.sport, c.dport), c.ip_tcp);
  }
}

TEST(Toeplitz, Ipv6VerificationSuite) {
  const Toeplitz hasher(kVerificationKey);
  for (const V6Case& c : kV6) {
    EXPECT_EQ(toeplitz_hash(kVerificationKey, ipv6_input(c.src, c.dst)), c.ip);
    EXPECT_EQ(toeplitz_hash(kVerificationKey, ipv6_l4_input(c.src, c.dst, c.sport, c.dport)), c.ip_tcp);
    EXPECT_EQ(hasher.ipv6(c.src, c.dst), c.ip);
    EXPECT_EQ(hasher.ipv6_l4(c.src, c.dst, c.sport, c.dport), c.ip_tcp);
  }
}

TEST(Toeplitz, InputLayoutIsSourceThenDestination) {
  const auto in = ipv4_l4_input({66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766);
  EXPECT_EQ(in, (std::array<std::uint8_t, 12>{66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6}));
}

TEST(Toeplitz, TablesAgreeWithTheDefinition) {
  std::mt19937 rng(12345);
  std::array<std::uint8_t, kKeySize> key{};
  std::vector<std::uint8_t> input(kMaxInput);
  for (int round = 0; round < 200; ++round) {
    for (auto& k : key) k = static_cast<std::uint8_t>(rng());
    for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    const Toeplitz hasher(key);
    const std::size_t n = rng() % (kMaxInput + 1);
    const std::span<const std::uint8_t> in(input.data(), n);
    EXPECT_EQ(hasher.hash(in), toeplitz_hash(key, in)) << "round " << round;
  }
}

TEST(Toeplitz, EmptyInputAndShortKey) {
  EXPECT_EQ(toeplitz_hash(kVerificationKey, {}), 0u);
  // Key bits past a short key count as zero, in both forms.
  const std::array<std::uint8_t, 4> key{0x80, 0, 0, 1};
  const std::array<std::uint8_t, 2> in{0x80, 0x01};
  EXPECT_EQ(toeplitz_hash(key, in), Toeplitz(key).hash(in));
  EXPECT_EQ(toeplitz_hash(key, in), 0x80000001u ^ 0x00008000u);  // bits 0 and 15
}

TEST(IndirectionTable, RoundRobinLikeLinuxAndDpdk) {
  const IndirectionTable t = IndirectionTable::round_robin(3);
  ASSERT_EQ(t.entries().size(), 128u);
  EXPECT_EQ(t.entries()[0], 0u);
  EXPECT_EQ(t.entries()[4], 1u);
  EXPECT_EQ(t.entries()[127], 1u);
  // The low 7 bits of the hash pick the entry.
  EXPECT_EQ(t.queue_for(0x51ccc178), t.entries()[0x78]);
  EXPECT_EQ(t.queue_for(0x51ccc178), 0x78u % 3);
}

TEST(IndirectionTable, SizesAreClampedToPowersOfTwo) {
  EXPECT_EQ(IndirectionTable::round_robin(0, 0).entries().size(), 1u);
  EXPECT_EQ(IndirectionTable::round_robin(4, 100).entries().size(), 64u);
  EXPECT_EQ(IndirectionTable::round_robin(4, 1000).entries().size(), 128u);
  EXPECT_EQ(IndirectionTable::round_robin(4, 1).queue_for(0xffffffff), 0u);
}

TEST(IndirectionTable, FromEntries) {
  const std::array<std::uint32_t, 4> four{7, 6, 5, 4};
  auto t = IndirectionTable::from(four);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->queue_for(6), 5u);
  const std::array<std::uint32_t, 3> three{};
  EXPECT_EQ(IndirectionTable::from(three).error(), (vmbus::Error{vmbus::Errc::invalid_argument, 3}));
  EXPECT_EQ(IndirectionTable::from({}).error(), (vmbus::Error{vmbus::Errc::invalid_argument, 0}));
  const std::array<std::uint32_t, 256> big{};
  EXPECT_EQ(IndirectionTable::from(big).error(), (vmbus::Error{vmbus::Errc::invalid_argument, 256}));
}

}  // namespace
}  // namespace netvsc::rss
