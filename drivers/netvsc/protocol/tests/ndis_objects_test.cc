// NDIS objects: the query headers each NVSP version asks with, and the
// parsers of offload and RSS objects against each malformed header, table
// and key.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "netvsc/protocol/ndis_offload.h"
#include "netvsc/protocol/ndis_rss.h"
#include "netvsc/protocol/toeplitz.h"
#include "test_bytes.h"

namespace netvsc::ndis {
namespace {

using test::Bytes;
using test::cat;
using test::error;
using test::le32;
using test::put16;
using test::put32;
using test::view;
using test::zeros;

TEST(NdisOffload, QueryHeaderByVersion) {
  // rndis_filter_query_device: rev 3/156 from NVSP 5, 2/144 on 4, 1/112 before.
  const auto v61 = offload_query_header(nvsp::Version::v61);
  EXPECT_EQ(v61.type, kObjectTypeOffload);
  EXPECT_EQ(v61.revision, 3);
  EXPECT_EQ(v61.size, 156);
  EXPECT_EQ(offload_query_header(nvsp::Version::v4).revision, 2);
  EXPECT_EQ(offload_query_header(nvsp::Version::v4).size, 144);
  EXPECT_EQ(offload_query_header(nvsp::Version::v2).revision, 1);
  EXPECT_EQ(offload_query_header(nvsp::Version::v2).size, 112);
}

// A host's answer: the 6.0-sized object with TCP/UDP IPv4 TX checksum.
Bytes offload_answer(std::uint16_t size) {
  Bytes b = cat({{kObjectTypeOffload, 1}, {static_cast<std::uint8_t>(size), static_cast<std::uint8_t>(size >> 8)},
                 zeros(size - 4)});
  put32(b, 4, kEncap8023);                   // csum.ip4_txenc
  put32(b, 8, kCsumCapTcp4 | kCsumCapUdp4);  // csum.ip4_txcsum
  return b;
}

TEST(NdisOffload, ParsesAShortAnswer) {
  const Bytes b = offload_answer(kOffloadSize6_0);
  auto caps = parse_offload(view(b));
  ASSERT_TRUE(caps.ok()) << caps.error().message();
  EXPECT_EQ(caps->csum.ip4_txcsum, kCsumCapTcp4 | kCsumCapUdp4);
  EXPECT_EQ(caps->rsc.ip4, 0);  // past the host's size: zero
}

TEST(NdisOffload, EachHeaderViolation) {
  EXPECT_EQ(parse_offload(view(Bytes{0xa7, 1, 112})).error(), error(Field::ndis_object_type, Violation::too_short, 3));
  Bytes b = offload_answer(112);
  b[0] = 0x80;
  EXPECT_EQ(parse_offload(view(b)).error(), error(Field::ndis_object_type, Violation::unexpected_value, 0x80));
  b = offload_answer(112);
  b[1] = 0;
  EXPECT_EQ(parse_offload(view(b)).error(), error(Field::ndis_object_revision, Violation::below_minimum, 0));
  b = offload_answer(112);
  put16(b, 2, 111);
  EXPECT_EQ(parse_offload(view(b)).error(), error(Field::ndis_object_size, Violation::below_minimum, 111));
  b = offload_answer(112);
  put16(b, 2, 113);
  EXPECT_EQ(parse_offload(view(b)).error(), error(Field::ndis_object_size, Violation::out_of_bounds, 113));
}

TEST(NdisOffload, ParametersBeforeNdis630AreThe61Prefix) {
  OffloadParameters p{};
  p.tcp_ip_v4_csum = kOffloadParamTxRxEnabled;
  p.rsc_ip_v4 = kOffloadParamRscEnabled;  // beyond 6.1: not sent
  std::array<std::byte, sizeof p> out{};
  auto n = write_offload_parameters(p, nvsp::Version::v4, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 22u);
  EXPECT_EQ(test::copy(std::span(out).first(4)), (Bytes{0x80, 2, 22, 0}));
  auto parsed = parse_offload_parameters(std::span(out).first(*n));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->tcp_ip_v4_csum, kOffloadParamTxRxEnabled);
  EXPECT_EQ(parsed->rsc_ip_v4, 0);
  EXPECT_EQ(parse_offload_parameters(std::span(out).first(21)).error(),
            error(Field::ndis_object_size, Violation::out_of_bounds, 22));
}

TEST(NdisRss, CapabilitiesQueryAndAnswer) {
  std::array<std::byte, 18> q{};
  ASSERT_TRUE(write_rss_capabilities_query(q).ok());
  EXPECT_EQ(test::copy(q), cat({{0x88, 2, 18, 0}, zeros(14)}));
  // A 6.0 host answers 16 bytes: num_indirect_tabent reads 0.
  const Bytes answer = cat({{0x88, 1, 16, 0}, le32({kRssCapMessageSignaledInterrupts | kHashFunctionToeplitz, 8, 8})});
  auto caps = parse_rss_capabilities(view(answer));
  ASSERT_TRUE(caps.ok()) << caps.error().message();
  EXPECT_EQ(caps->num_recv_que, 8u);
  EXPECT_EQ(caps->num_indirect_tabent, 0);
  EXPECT_EQ(parse_rss_capabilities(view(answer).first(15)).error(),
            error(Field::ndis_object_size, Violation::out_of_bounds, 16));
}

Bytes rss_buffer(std::uint32_t entries = 128, std::size_t key = 40) {
  std::vector<std::uint32_t> table(entries);
  for (std::uint32_t i = 0; i < entries; ++i) table[i] = i % 3;
  Bytes out(rss_parameters_size(entries, static_cast<std::uint32_t>(key)));
  auto n = write_rss_parameters(0, kHashInfoLinux, std::span(rss::kVerificationKey).first(key), table,
                                test::writable(out));
  EXPECT_TRUE(n.ok());
  return out;
}

// Field offsets in RssParameters.
constexpr std::size_t kTabSize = 12, kTabOffset = 16, kKeySize = 20, kKeyOffset = 24;

TEST(NdisRss, ParametersRoundTrip) {
  const Bytes b = rss_buffer();
  auto s = parse_rss_parameters(view(b));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->hashinfo, kHashInfoLinux);
  ASSERT_EQ(s->table().size(), 128u);
  EXPECT_EQ(s->table()[5], 2u);
  EXPECT_TRUE(std::equal(s->key().begin(), s->key().end(), rss::kVerificationKey.begin(), rss::kVerificationKey.end()));
  EXPECT_FALSE(s->disabled());
}

TEST(NdisRss, DisableWithoutTableOrKey) {
  Bytes b(40);
  auto n = write_rss_parameters(kRssFlagDisable, 0, {}, {}, test::writable(b));
  ASSERT_TRUE(n.ok());
  auto s = parse_rss_parameters(view(b));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_TRUE(s->disabled());
  EXPECT_TRUE(s->table().empty());
  EXPECT_TRUE(s->key().empty());
}

TEST(NdisRss, TableViolations) {
  Bytes b = rss_buffer();
  put16(b, kTabSize, 510);
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_table_size, Violation::misaligned, 510));
  put16(b, kTabSize, 12);  // 3 entries
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_table_size, Violation::unexpected_value, 12));
  put16(b, kTabSize, 1024);  // 256 entries
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_table_size, Violation::unexpected_value, 1024));
  b = rss_buffer();
  put32(b, kTabOffset, 36);
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_table_offset, Violation::below_minimum, 36));
  put32(b, kTabOffset, 0xffffff00u);
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_table_offset, Violation::overflow, 0xffffff00u));
  put32(b, kTabOffset, 593);
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_table_offset, Violation::out_of_bounds, 593));
  put32(b, kTabOffset, 100);  // 100 + 512 > 592
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_table_size, Violation::out_of_bounds, 512));
}

TEST(NdisRss, KeyViolations) {
  Bytes b = rss_buffer();
  put16(b, kKeySize, 41);
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_key_size, Violation::unexpected_value, 41));
  b = rss_buffer();
  put32(b, kKeyOffset, 39);
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_key_offset, Violation::below_minimum, 39));
  put32(b, kKeyOffset, 0xffffffe0u);
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_key_offset, Violation::overflow, 0xffffffe0u));
  put32(b, kKeyOffset, 600);
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_key_offset, Violation::out_of_bounds, 600));
  put32(b, kKeyOffset, 560);
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::rss_key_size, Violation::out_of_bounds, 40));
}

TEST(NdisRss, HeaderViolations) {
  Bytes b = rss_buffer();
  b[0] = 0x88;
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::ndis_object_type, Violation::unexpected_value, 0x88));
  b = rss_buffer();
  put16(b, 2, 27);
  EXPECT_EQ(parse_rss_parameters(view(b)).error(), error(Field::ndis_object_size, Violation::below_minimum, 27));
}

TEST(NdisRss, WriterRejectsBadTables) {
  Bytes out(1024);
  const std::array<std::uint32_t, 3> three{};
  EXPECT_EQ(write_rss_parameters(0, 0, {}, three, test::writable(out)).error(),
            (vmbus::Error{vmbus::Errc::invalid_argument, 3}));
  const std::array<std::uint8_t, 41> long_key{};
  EXPECT_EQ(write_rss_parameters(0, 0, long_key, {}, test::writable(out)).error(),
            (vmbus::Error{vmbus::Errc::invalid_argument, 41}));
  const std::array<std::uint32_t, 128> table{};
  Bytes small(100);
  EXPECT_EQ(write_rss_parameters(0, 0, {}, table, test::writable(small)).error(),
            (vmbus::Error{vmbus::Errc::buffer_too_small, 552}));
}

}  // namespace
}  // namespace netvsc::ndis
