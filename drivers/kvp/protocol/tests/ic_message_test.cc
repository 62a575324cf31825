// IC framing: the checks before a message is read, the in-place reply, the
// host's framing. Payloads are written out by hand from struct vmbuspipe_hdr
// and struct icmsg_hdr (include/linux/hyperv.h): +0 pipe flags, +4 msgsize,
// +8 icverframe, +12 icmsgtype, +14 icvermsg, +18 icmsgsize, +20 status,
// +24 ictransaction_id, +25 icflags, +26 reserved, +28 the message.
#include <gtest/gtest.h>

#include "kvp/protocol/ic_message.h"
#include "test_bytes.h"

namespace kvp::ic_message_test {

using test::Bytes;
using test::cat;
using test::error;
using test::le16;
using test::le32;
using test::view;
using test::zeros;

// A heartbeat-shaped request: framework 3.0, message 3.0, icmsgsize `size`,
// transaction 7, TRANSACTION | REQUEST, then `body_bytes` bytes of body.
Bytes request(std::uint16_t type, std::uint16_t size, std::size_t body_bytes) {
  Bytes b = cat({le32({1, static_cast<std::uint32_t>(20 + body_bytes)}), le16({3, 0, type, 3, 0, size}),
                 le32({0}), {7, 3, 0, 0}});
  EXPECT_EQ(b.size(), 28u);
  for (std::size_t i = 0; i < body_bytes; ++i) b.push_back(static_cast<std::uint8_t>(0xa0 + i));
  return b;
}

TEST(IcMessage, ParsesHeadersAndBody) {
  const Bytes b = request(1, 8, 8);
  auto m = ic::parse_ic_message(view(b));
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->pipe.flags, 1u);
  EXPECT_EQ(m->pipe.msgsize, 28u);
  EXPECT_EQ(m->header.icverframe, (ic::Version{3, 0}));
  EXPECT_EQ(m->header.icmsgtype, 1);
  EXPECT_EQ(m->header.icvermsg, (ic::Version{3, 0}));
  EXPECT_EQ(m->header.icmsgsize, 8);
  EXPECT_EQ(m->header.ictransaction_id, 7);
  EXPECT_EQ(m->header.icflags, ic::kFlagsRequest);
  ASSERT_EQ(m->body.size(), 8u);
  EXPECT_EQ(std::to_integer<int>(m->body[0]), 0xa0);
}

TEST(IcMessage, BodyIsIcmsgsizeNotThePadding) {
  // VMBus pads the payload to 8 bytes; the message is icmsgsize long.
  const Bytes b = request(2, 3, 4);
  auto m = ic::parse_ic_message(view(b));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->body.size(), 3u);
}

TEST(IcMessage, TooShortForTheHeaders) {
  const Bytes b = request(1, 0, 0);
  EXPECT_TRUE(ic::parse_ic_message(view(b)).ok());
  EXPECT_EQ(ic::parse_ic_message(view(b).first(27)).error(), error(Field::ic_packet, Violation::too_short, 27));
  EXPECT_EQ(ic::parse_ic_message({}).error(), error(Field::ic_packet, Violation::too_short, 0));
}

TEST(IcMessage, IcmsgsizePastThePayload) {
  Bytes b = request(2, 9, 8);
  EXPECT_EQ(ic::parse_ic_message(view(b)).error(), error(Field::icmsgsize, Violation::out_of_bounds, 9));
  test::put16(b, 18, 0xffff);
  EXPECT_EQ(ic::parse_ic_message(view(b)).error(), error(Field::icmsgsize, Violation::out_of_bounds, 0xffff));
}

TEST(IcMessage, LargerThanLinuxReceiveBuffer) {
  Bytes b = request(2, 0, 16384 - 28);
  EXPECT_TRUE(ic::parse_ic_message(view(b)).ok());
  b.push_back(0);
  EXPECT_EQ(ic::parse_ic_message(view(b)).error(), error(Field::ic_packet, Violation::above_maximum, 16385));
}

TEST(IcMessage, MakeResponseRewritesFlagsAndStatusOnly) {
  const Bytes original = request(2, 8, 8);
  Bytes b = original;
  ASSERT_TRUE(ic::make_response(test::writable(b), ic::kHvSCont).ok());
  Bytes expected = original;
  test::put32(expected, 20, 0x80070103);
  test::put8(expected, 25, 0x05);
  EXPECT_EQ(b, expected);
  Bytes short_one(27, 0);
  EXPECT_EQ(ic::make_response(test::writable(short_one), 0).error(), error(Field::ic_packet, Violation::too_short, 27));
}

TEST(IcMessage, HostFramingAsOpenVmm) {
  // write_message (OpenVMM hyperv_ic common.rs): pipe {DATA, 20 + n}, the
  // negotiated versions, icmsgsize n, status 0, transaction 0, flags 3.
  const Bytes body = {1, 2, 3};
  Bytes out(64, 0xee);
  auto n = ic::write_ic_message(test::writable(out),
                                ic::request_header(ic::MessageType::kvp_exchange, {3, 0}, {4, 0}), view(body));
  ASSERT_TRUE(n.ok()) << n.error().message();
  ASSERT_EQ(*n, 31u);
  out.resize(*n);
  EXPECT_EQ(out, cat({le32({1, 23}), le16({3, 0, 2, 4, 0, 3}), le32({0}), {0, 3, 0, 0}, body}));
}

TEST(IcMessage, HostFramingLimits) {
  Bytes out(40, 0);
  const Bytes body(13, 0);
  EXPECT_EQ(ic::write_ic_message(test::writable(out), ic::request_header(ic::MessageType::kvp_exchange), view(body))
                .error(),
            error(Field::output_buffer, Violation::too_short, 41));
  Bytes big(16384 - 28 + 1, 0);
  Bytes room(20000, 0);
  EXPECT_EQ(ic::write_ic_message(test::writable(room), ic::request_header(ic::MessageType::kvp_exchange), view(big))
                .error(),
            error(Field::ic_packet, Violation::above_maximum, 16385));
}

TEST(IcMessage, ResponseChecks) {
  Bytes b = request(2, 8, 8);
  EXPECT_EQ(ic::parse_ic_response(view(b), ic::MessageType::kvp_exchange).error(),
            error(Field::icflags, Violation::unexpected_value, 3));
  ASSERT_TRUE(ic::make_response(test::writable(b), 0).ok());
  auto r = ic::parse_ic_response(view(b), ic::MessageType::kvp_exchange);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->header.status, 0u);
  EXPECT_EQ(ic::parse_ic_response(view(b), ic::MessageType::negotiate).error(),
            error(Field::icmsgtype, Violation::unexpected_value, 2));
  EXPECT_EQ(ic::parse_ic_response(view(b).first(20), ic::MessageType::kvp_exchange).error(),
            error(Field::ic_packet, Violation::too_short, 20));
}

TEST(IcMessage, ErrorText) {
  EXPECT_EQ(error(Field::icmsgsize, Violation::out_of_bounds, 9).message(),
            "icmsg_hdr.icmsgsize: out of bounds (value 9)");
  EXPECT_EQ(error(Field::key, Violation::unpaired_high_surrogate, 14).message(),
            "hv_kvp_exchg_msg_value.key: unpaired UTF-16 high surrogate (at byte 14)");
  EXPECT_EQ(error(Field::ic_packet, Violation::too_short, 3).to_error(),
            (vmbus::Error{vmbus::Errc::malformed_packet, 3}));
}

}  // namespace kvp::ic_message_test
