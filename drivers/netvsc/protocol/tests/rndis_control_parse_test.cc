// RNDIS control-message parsers (both directions) and framing: round trips
// of the builders, and each malformed buffer with its own error.
#include <gtest/gtest.h>

#include <vector>

#include "netvsc/protocol/rndis_control.h"
#include "netvsc/protocol/rndis_packet.h"
#include "test_bytes.h"

namespace netvsc::rndis {
namespace {

using test::Bytes;
using test::cat;
using test::error;
using test::le32;
using test::put32;
using test::view;

MessageView framed(const Bytes& m) {
  auto f = frame(view(m));
  EXPECT_TRUE(f.ok()) << f.error().message();
  return f.ok() ? *f : MessageView{};
}

// A query completion carrying a 6-byte MAC: info at offset 16.
Bytes mac_reply() { return cat({le32({0x80000004, 30, 2, 0, 6, 16}), {0x00, 0x15, 0x5d, 1, 2, 3}}); }

TEST(RndisControlParse, QueryCompleteRoundTrip) {
  const Bytes m = mac_reply();
  auto r = parse_query_complete(framed(m));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->req_id, 2u);
  EXPECT_EQ(r->status, status::kSuccess);
  EXPECT_EQ(test::copy(r->info), (Bytes{0x00, 0x15, 0x5d, 1, 2, 3}));
}

TEST(RndisControlParse, QueryCompleteEmptyBufferIgnoresItsOffset) {
  const Bytes m = le32({0x80000004, 24, 2, status::kNotSupported, 0, 0xffffffff});
  auto r = parse_query_complete(framed(m));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->info.empty());
}

TEST(RndisControlParse, QueryCompleteEachViolation) {
  Bytes m = mac_reply();
  put32(m, 20, 12);  // into the struct (Linux: info_buf_offset < sizeof(*query_complete))
  EXPECT_EQ(parse_query_complete(framed(m)).error(), error(Field::rndis_info_offset, Violation::below_minimum, 12));
  m = mac_reply();
  put32(m, 20, 23);  // past the 22-byte body
  EXPECT_EQ(parse_query_complete(framed(m)).error(), error(Field::rndis_info_offset, Violation::out_of_bounds, 23));
  m = mac_reply();
  put32(m, 16, 0xfffffff8u);
  EXPECT_EQ(parse_query_complete(framed(m)).error(), error(Field::rndis_info_length, Violation::overflow, 0xfffffff8u));
  m = mac_reply();
  put32(m, 16, 7);
  EXPECT_EQ(parse_query_complete(framed(m)).error(), error(Field::rndis_info_length, Violation::out_of_bounds, 7));
  const Bytes short_struct = le32({0x80000004, 20, 2, 0, 0});
  EXPECT_EQ(parse_query_complete(framed(short_struct)).error(), error(Field::rndis_msg_len, Violation::too_short, 20));
  EXPECT_EQ(parse_query_complete(framed(le32({0x80000005, 16, 2, 0}))).error(),
            error(Field::rndis_msg_type, Violation::unexpected_value, 0x80000005));
}

TEST(RndisControlParse, InitializeComplete) {
  Bytes out(64);
  auto n = write_initialize_complete(initialize_complete(7, status::kSuccess, 8, 0x4000, 3), test::writable(out));
  ASSERT_TRUE(n.ok());
  out.resize(*n);
  auto c = parse_initialize_complete(framed(out));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->req_id, 7u);
  EXPECT_EQ(c->max_pkt_per_msg, 8u);
  EXPECT_EQ(c->pkt_alignment_factor, 3u);
}

TEST(RndisControlParse, InitializeCompleteMayStopBeforeTheAfList) {
  // DPDK RNDIS_INIT_COMP_SIZE_MIN: 48 bytes; af_list_size reads 0.
  Bytes m = le32({0x80000002, 48, 7, 0, 1, 0, 1, 0, 8, 0x4000, 3, 0});
  auto c = parse_initialize_complete(framed(m));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->af_list_size, 0u);
  put32(m, 4, 44);
  m.resize(44);
  EXPECT_EQ(parse_initialize_complete(framed(m)).error(), error(Field::rndis_msg_len, Violation::too_short, 44));
}

TEST(RndisControlParse, LinkSpeedIndication) {
  const Bytes m = le32({0x00000007, 24, status::kLinkSpeedChange, 4, 12, 100000000});
  auto s = parse_indicate_status(framed(m));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(link_speed(*s), 100000000u);
  const Bytes connect = le32({0x00000007, 20, status::kMediaConnect, 0, 0});
  auto c = parse_indicate_status(framed(connect));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, status::kMediaConnect);
  EXPECT_FALSE(link_speed(*c));
}

TEST(RndisControlParse, IndicationBufferViolations) {
  // netvsc_linkstatus_callback: status_buf_offset >= sizeof(*indicate) and
  // the buffer inside the message.
  Bytes m = le32({0x00000007, 24, status::kLinkSpeedChange, 4, 8, 1});
  EXPECT_EQ(parse_indicate_status(framed(m)).error(), error(Field::rndis_info_offset, Violation::below_minimum, 8));
  put32(m, 16, 14);
  EXPECT_EQ(parse_indicate_status(framed(m)).error(), error(Field::rndis_info_length, Violation::out_of_bounds, 4));
  // A short buffer parses but carries no speed.
  const Bytes two = cat({le32({0x00000007, 22, status::kLinkSpeedChange, 2, 12}), {1, 2}});
  auto s = parse_indicate_status(framed(two));
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(link_speed(*s));
}

TEST(RndisControlParse, HostParsesGuestRequests) {
  Bytes out(64);
  const std::uint32_t filter = ndis::kPacketTypePromiscuous;
  auto n = write_set(3, ndis::Oid::gen_current_packet_filter, wire::bytes_of(filter), test::writable(out));
  ASSERT_TRUE(n.ok());
  out.resize(*n);
  auto r = parse_set_request(framed(out));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->oid, ndis::Oid::gen_current_packet_filter);
  ASSERT_EQ(r->info.size(), 4u);
  EXPECT_EQ(wire::load<std::uint32_t>(r->info), filter);
  // A request's buffer must clear its 20-byte struct.
  put32(out, 20, 16);
  EXPECT_EQ(parse_set_request(framed(out)).error(), error(Field::rndis_info_offset, Violation::below_minimum, 16));
  EXPECT_EQ(parse_query_request(framed(out)).error(), error(Field::rndis_msg_type, Violation::unexpected_value, 5));
}

TEST(RndisControlParse, HostParsesFixedRequests) {
  Bytes out(32);
  auto n = write_initialize(11, test::writable(out));
  ASSERT_TRUE(n.ok());
  auto init = parse_body<InitializeRequest>(framed(out));
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->max_xfer_size, kGuestMaxTransferSize);
  ASSERT_TRUE(write_halt(12, test::writable(out)).ok());
  out.resize(12);
  EXPECT_EQ(parse_body<HaltRequest>(framed(out))->req_id, 12u);
}

TEST(RndisControlParse, RequestIdOfCompletions) {
  EXPECT_EQ(*request_id(framed(mac_reply())), 2u);
  EXPECT_EQ(request_id(framed(le32({0x80000006, 16, 0, 0}))).error(),
            error(Field::rndis_msg_type, Violation::unexpected_value, 0x80000006));
  EXPECT_EQ(request_id(framed(le32({0x00000007, 20, 0, 0, 0}))).error(),
            error(Field::rndis_msg_type, Violation::unexpected_value, 7));
  EXPECT_EQ(request_id(framed(le32({0x80000005, 8}))).error(), error(Field::rndis_msg_len, Violation::too_short, 8));
}

TEST(RndisControlParse, CursorWalksAggregatedPackets) {
  // Two packets in one send section, the first padded to 8 (msg_len covers
  // the padding), as DPDK's hn_try_txagg leaves them.
  Bytes section(256);
  PacketBuilder first(test::writable(section));
  const Bytes a(13, 0xa), b(20, 0xb);
  auto n1 = first.finish(view(a));
  ASSERT_TRUE(n1.ok());
  const std::uint32_t padded = (*n1 + 7u) & ~7u;
  put32(section, 4, padded);
  PacketBuilder second(test::writable(section).subspan(padded));
  auto n2 = second.finish(view(b));
  ASSERT_TRUE(n2.ok());
  std::vector<std::size_t> frames;
  for (MessageCursor c(view(section).first(padded + *n2)); !c.done();) {
    auto m = c.next();
    ASSERT_TRUE(m.ok()) << m.error().message();
    auto p = parse_packet(*m);
    ASSERT_TRUE(p.ok()) << p.error().message();
    frames.push_back(p->frame.size());
  }
  EXPECT_EQ(frames, (std::vector<std::size_t>{13, 20}));
}

TEST(RndisControlParse, CursorStopsAtABadMessage) {
  Bytes m = cat({le32({0x80000005, 16, 1, 0}), le32({0x80000005, 4, 1, 0})});
  MessageCursor c(view(m));
  EXPECT_TRUE(c.next().ok());
  EXPECT_EQ(c.next().error(), error(Field::rndis_msg_len, Violation::below_minimum, 4));
  EXPECT_TRUE(c.done());
}

}  // namespace
}  // namespace netvsc::rndis
