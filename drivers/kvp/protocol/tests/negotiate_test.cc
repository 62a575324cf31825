// IC version negotiation, golden bytes both ways. The derivation, once: a
// negotiate payload is vmbuspipe_hdr (8) + icmsg_hdr (20) + icmsg_negotiate
// {u16 icframe_vercnt @28, u16 icmsg_vercnt @30, u32 reserved @32,
// ic_version icversion_data[] @36}, framework versions first. The host
// (OpenVMM hyperv_ic common.rs) sends pipe {1, 20 + icmsgsize}, versions 0.0
// in the header, icmsgsize = 8 + 4 * versions, flags TRANSACTION|REQUEST;
// the reply is the same buffer after Linux's vmbus_prep_negotiate_resp:
// icmsgsize 0x10 @18, counts @28/@30, data[0] @36, data[1] @40, icflags 5 @25.
#include <gtest/gtest.h>

#include <vector>

#include "kvp/protocol/negotiate.h"
#include "test_bytes.h"

namespace kvp::negotiate_test {

using test::Bytes;
using test::cat;
using test::error;
using test::le16;
using test::le32;
using test::view;
using test::writable;
using test::zeros;

// A negotiate request as the host sends it, with these counts and versions
// ({major, minor} pairs, framework ones first).
Bytes offer(std::uint16_t framework_count, std::uint16_t service_count, std::vector<std::uint16_t> versions) {
  const auto msgsize = static_cast<std::uint16_t>(8 + 2 * versions.size());
  Bytes b = cat({le32({1, 20u + msgsize}), le16({0, 0, 0, 0, 0, msgsize}), le32({0}), {0, 3, 0, 0},
                 le16({framework_count, service_count}), le32({0})});
  for (std::uint16_t v : versions) {
    b.push_back(static_cast<std::uint8_t>(v));
    b.push_back(static_cast<std::uint8_t>(v >> 8));
  }
  return b;
}

// What Hyper-V offers a KVP guest: frameworks 1.0, 3.0; KVP 3.0, 4.0, 5.0.
const Bytes kHyperVOffer = {
    0x01, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00,  // vmbuspipe_hdr: DATA, msgsize 48
    0x00, 0x00, 0x00, 0x00,                          // icverframe 0.0
    0x00, 0x00,                                      // icmsgtype NEGOTIATE
    0x00, 0x00, 0x00, 0x00,                          // icvermsg 0.0
    0x1c, 0x00,                                      // icmsgsize 28
    0x00, 0x00, 0x00, 0x00,                          // status
    0x00, 0x03, 0x00, 0x00,                          // transaction 0, TRANSACTION|REQUEST, reserved
    0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,  // icframe_vercnt 2, icmsg_vercnt 3, reserved
    0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,  // framework 1.0, 3.0
    0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,  // KVP 3.0, 4.0
    0x05, 0x00, 0x00, 0x00,                          // KVP 5.0
};

// Linux's reply to it: framework 3.0, KVP 4.0; the rest of the buffer as it came.
const Bytes kLinuxReply = {
    0x01, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00,  // vmbuspipe_hdr untouched
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x10, 0x00,                                      // icmsgsize 0x10
    0x00, 0x00, 0x00, 0x00,                          // status untouched
    0x00, 0x05, 0x00, 0x00,                          // TRANSACTION|RESPONSE
    0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,  // counts 1/1
    0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,  // data[0] = 3.0, data[1] = 4.0
    0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,  // the host's versions 2..4, unchanged
    0x05, 0x00, 0x00, 0x00,
};

FieldResult<ic::NegotiateReply> respond(Bytes& b) {
  return ic::respond_to_negotiate(writable(b), ic::kGuestFrameworkVersions, ic::kGuestKvpVersions);
}

TEST(NegotiateGuest, HyperVOfferGetsLinuxReply) {
  ASSERT_EQ(offer(2, 3, {1, 0, 3, 0, 3, 0, 4, 0, 5, 0}), kHyperVOffer);
  Bytes b = kHyperVOffer;
  auto r = respond(b);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->matched);
  EXPECT_TRUE(r->offer.ok());
  EXPECT_EQ(r->versions, (ic::NegotiatedVersions{{3, 0}, {4, 0}}));
  EXPECT_EQ(r->reply_size, 56u);
  EXPECT_EQ(b, kLinuxReply);
}

TEST(NegotiateGuest, GuestOrderWinsOverHostOrder) {
  // The host lists 1.0 first; the guest's loop runs over its own list.
  Bytes b = offer(2, 2, {1, 0, 3, 0, 1, 0, 3, 0});
  auto r = respond(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->versions, (ic::NegotiatedVersions{{3, 0}, {3, 0}}));
}

TEST(NegotiateGuest, Windows2008Host) {
  Bytes b = offer(1, 1, {1, 0, 1, 0});
  auto r = respond(b);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->matched);
  EXPECT_EQ(r->versions, (ic::NegotiatedVersions{{1, 0}, {1, 0}}));
  EXPECT_EQ(b, cat({le32({1, 36}), le16({0, 0, 0, 0, 0, 0x10}), le32({0}), {0, 5, 0, 0}, le16({1, 1}), le32({0}),
                    le16({1, 0, 1, 0})}));
}

TEST(NegotiateGuest, NoFrameworkMatchRepliesZeroCountsWithLinuxLeftovers) {
  // fw_error with nothing matched: counts 0/0, data[0] = {icframe_vercnt, 0},
  // data[1] = {icmsg_vercnt, 0}.
  Bytes b = offer(1, 1, {2, 0, 4, 0});
  auto r = respond(b);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->matched);
  EXPECT_TRUE(r->offer.ok());
  EXPECT_EQ(b, cat({le32({1, 36}), le16({0, 0, 0, 0, 0, 0x10}), le32({0}), {0, 5, 0, 0}, le16({0, 0}), le32({0}),
                    le16({1, 0, 1, 0})}));
}

TEST(NegotiateGuest, FrameworkButNoServiceMatch) {
  // data[0] keeps the matched framework, data[1] = {icmsg_vercnt, 0}.
  Bytes b = offer(1, 2, {3, 0, 9, 0, 9, 1});
  auto r = respond(b);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->matched);
  EXPECT_EQ(b, cat({le32({1, 40}), le16({0, 0, 0, 0, 0, 0x10}), le32({0}), {0, 5, 0, 0}, le16({0, 0}), le32({0}),
                    le16({3, 0, 2, 0, 9, 1})}));
}

TEST(NegotiateGuest, MoreThanAHundredVersions) {
  Bytes b = offer(101, 0, {3, 0, 4, 0});
  auto r = respond(b);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->matched);
  EXPECT_EQ(r->offer.error(), error(Field::icframe_vercnt, Violation::above_maximum, 101));
  EXPECT_EQ(test::get16(b, 28), 0);
  EXPECT_EQ(test::get16(b, 30), 0);
  EXPECT_EQ(test::get16(b, 36), 101);  // data[0].major = icframe_vercnt, as Linux leaves it
  EXPECT_EQ(b[25], 5);  // TRANSACTION | RESPONSE

  Bytes c = offer(1, 101, {3, 0, 4, 0});
  auto rc = respond(c);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(rc->offer.error(), error(Field::icmsg_vercnt, Violation::above_maximum, 101));
}

TEST(NegotiateGuest, CountsPastThePayload) {
  // 2 + 3 versions announced, 2 present: ICMSG_NEGOTIATE_PKT_SIZE(2, 3) = 56 > 44.
  Bytes b = offer(2, 3, {3, 0, 4, 0});
  ASSERT_EQ(b.size(), 44u);
  auto r = respond(b);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->matched);
  EXPECT_EQ(r->offer.error(), error(Field::icversion_data, Violation::too_short, 56));
  EXPECT_EQ(r->reply_size, 44u);
  EXPECT_EQ(test::get16(b, 36), 2);
  EXPECT_EQ(test::get16(b, 40), 3);
}

TEST(NegotiateGuest, AHundredOfEachIsAllowed) {
  std::vector<std::uint16_t> versions;
  for (int i = 0; i < 199; ++i) versions.insert(versions.end(), {9, 9});
  versions.insert(versions.end(), {4, 0});  // the last service version
  versions[0] = 3;                          // the first framework version: 3.9
  versions[1] = 0;                          // ... 3.0
  Bytes b = offer(100, 100, versions);
  ASSERT_EQ(b.size(), 28u + 8u + 800u);
  auto parsed = ic::parse_negotiate(view(b));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->framework().size(), 100u);
  EXPECT_EQ(parsed->service().back(), (ic::Version{4, 0}));
  auto r = respond(b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->matched);
  EXPECT_EQ(r->versions, (ic::NegotiatedVersions{{3, 0}, {4, 0}}));
}

TEST(NegotiateGuest, TooShortForTheCountsEchoesWithFlags) {
  // Linux returns before writing anything; hv_kvp still sets the flags and sends.
  Bytes b = cat({kHyperVOffer});
  b.resize(31);
  const Bytes before = b;
  auto r = respond(b);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->matched);
  EXPECT_EQ(r->offer.error(), error(Field::icmsg_negotiate, Violation::too_short, 31));
  Bytes expected = before;
  test::put8(expected, 25, 5);
  EXPECT_EQ(b, expected);
}

TEST(NegotiateGuest, ShorterThanTheHeadersGetsNoReply) {
  Bytes b(27, 0);
  EXPECT_EQ(respond(b).error(), error(Field::ic_packet, Violation::too_short, 27));
  EXPECT_EQ(b, Bytes(27, 0));
}

TEST(NegotiateGuest, NeverWritesPastThePayload) {
  // Counts 0/0 in a 36-byte payload: Linux's data[0]/data[1] land past it.
  Bytes b = offer(0, 0, {});
  ASSERT_EQ(b.size(), 36u);
  Bytes padded = b;
  padded.resize(48, 0xee);
  auto r = ic::respond_to_negotiate(writable(padded).first(36), ic::kGuestFrameworkVersions, ic::kGuestKvpVersions);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reply_size, 36u);
  EXPECT_EQ(Bytes(padded.begin() + 36, padded.end()), Bytes(12, 0xee));
}

TEST(NegotiateGuest, ChooseVersionsIsThePureForm) {
  auto parsed = ic::parse_negotiate(view(kHyperVOffer));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->framework_count, 2);
  EXPECT_EQ(parsed->service_count, 3);
  auto v = ic::choose_versions(*parsed, ic::kGuestFrameworkVersions, ic::kGuestKvpVersions);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, (ic::NegotiatedVersions{{3, 0}, {4, 0}}));
  const std::array<ic::Version, 1> only_two{{{2, 0}}};
  EXPECT_FALSE(ic::choose_versions(*parsed, only_two, ic::kGuestKvpVersions).has_value());
  EXPECT_FALSE(ic::choose_versions(*parsed, ic::kGuestFrameworkVersions, only_two).has_value());
}

TEST(NegotiateHost, RequestAsHyperVSendsIt) {
  Bytes out(100, 0xee);
  auto n = ic::write_negotiate_request(writable(out), ic::kHostFrameworkVersions, ic::kHostKvpVersions);
  ASSERT_TRUE(n.ok()) << n.error().message();
  out.resize(*n);
  EXPECT_EQ(out, kHyperVOffer);
}

TEST(NegotiateHost, RequestLimits) {
  std::vector<ic::Version> many(101, ic::Version{1, 0});
  Bytes out(2000, 0);
  EXPECT_EQ(ic::write_negotiate_request(writable(out), many, ic::kHostKvpVersions).error(),
            error(Field::icframe_vercnt, Violation::above_maximum, 101));
  EXPECT_EQ(ic::write_negotiate_request(writable(out), ic::kHostFrameworkVersions, many).error(),
            error(Field::icmsg_vercnt, Violation::above_maximum, 101));
  Bytes small(55, 0);
  EXPECT_EQ(ic::write_negotiate_request(writable(small), ic::kHostFrameworkVersions, ic::kHostKvpVersions).error(),
            error(Field::output_buffer, Violation::too_short, 56));
}

TEST(NegotiateHost, ParsesLinuxReply) {
  auto v = ic::parse_negotiate_response(view(kLinuxReply));
  ASSERT_TRUE(v.ok()) << v.error().message();
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ(**v, (ic::NegotiatedVersions{{3, 0}, {4, 0}}));
}

TEST(NegotiateHost, NoCommonVersion) {
  Bytes b = offer(1, 1, {2, 0, 4, 0});
  ASSERT_TRUE(respond(b).ok());
  auto v = ic::parse_negotiate_response(view(b));
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_FALSE(v->has_value());
}

TEST(NegotiateHost, MalformedReplies) {
  Bytes b = kLinuxReply;
  test::put16(b, 28, 2);
  EXPECT_EQ(ic::parse_negotiate_response(view(b)).error(),
            error(Field::icframe_vercnt, Violation::unexpected_value, 2));
  b = kLinuxReply;
  test::put16(b, 30, 0);
  EXPECT_EQ(ic::parse_negotiate_response(view(b)).error(), error(Field::icmsg_vercnt, Violation::unexpected_value, 0));
  b = kLinuxReply;
  test::put16(b, 18, 12);  // icmsgsize: counts, reserved and one version
  EXPECT_EQ(ic::parse_negotiate_response(view(b)).error(), error(Field::icversion_data, Violation::too_short, 16));
  test::put16(b, 18, 3);
  EXPECT_EQ(ic::parse_negotiate_response(view(b)).error(), error(Field::icmsg_negotiate, Violation::too_short, 3));
  // The host's own request is not a reply.
  EXPECT_EQ(ic::parse_negotiate_response(view(kHyperVOffer)).error(),
            error(Field::icflags, Violation::unexpected_value, 3));
  b = kLinuxReply;
  test::put16(b, 12, 2);
  EXPECT_EQ(ic::parse_negotiate_response(view(b)).error(), error(Field::icmsgtype, Violation::unexpected_value, 2));
  EXPECT_EQ(ic::parse_negotiate_response(view(kLinuxReply).first(40)).error(),
            error(Field::icmsgsize, Violation::out_of_bounds, 16));
}

TEST(NegotiateHost, ParseNegotiateErrors) {
  EXPECT_EQ(ic::parse_negotiate(view(kHyperVOffer).first(20)).error(),
            error(Field::ic_packet, Violation::too_short, 20));
  EXPECT_EQ(ic::parse_negotiate(view(kHyperVOffer).first(30)).error(),
            error(Field::icmsg_negotiate, Violation::too_short, 30));
  EXPECT_EQ(ic::parse_negotiate(view(kHyperVOffer).first(55)).error(),
            error(Field::icversion_data, Violation::too_short, 56));
}

}  // namespace kvp::negotiate_test
