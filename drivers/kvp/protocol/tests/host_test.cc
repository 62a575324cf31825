// The host's side of KVP: requests compared with bytes written out by hand
// (kvp_bytes.h; OpenVMM's KVP host framing), replies as Linux builds them
// parsed back, malformed replies refused, and whole round trips with
// non-ASCII keys through both sides.
#include <gtest/gtest.h>

#include "kvp/protocol/guest.h"
#include "kvp/protocol/host.h"
#include "kvp/protocol/ic_message.h"
#include "kvp_bytes.h"

namespace kvp::host_test {

using namespace kvp::test;  // NOLINT(google-build-using-namespace): offsets and byte helpers

constexpr ic::NegotiatedVersions kVersions{{3, 0}, {4, 0}};

Bytes written(const Request& r) {
  Bytes out(host::kMaxRequestSize + 8, 0xee);
  auto n = host::write_request(writable(out), r, kVersions);
  EXPECT_TRUE(n.ok()) << n.error().message();
  out.resize(n.ok() ? *n : 0);
  return out;
}

FieldError write_error(const Request& r) {
  Bytes out(host::kMaxRequestSize, 0);
  auto n = host::write_request(writable(out), r, kVersions);
  EXPECT_FALSE(n.ok());
  return n.ok() ? FieldError{Field::output_buffer, Violation::too_short, 0} : n.error();
}

// The guest's answer to `request`, status `status`.
Bytes replied(Bytes request, std::uint32_t status) {
  EXPECT_TRUE(ic::make_response(writable(request), status).ok());
  return request;
}

TEST(KvpHostRequest, SetString) {
  Bytes expected = kvp_request(1, 0, 2580);
  put32(expected, kValueType, 1);
  put32(expected, kKeySize, 18);
  put_bytes(expected, kKey, ascii16("Hostname"));
  put32(expected, kValueSize, 12);
  put_bytes(expected, kValue, ascii16("vm-01"));
  EXPECT_EQ(written(SetRequest{Pool::external, "Hostname", SetValue::string("vm-01")}), expected);
  EXPECT_EQ(expected.size(), 2608u);
}

TEST(KvpHostRequest, SetNumbers) {
  Bytes expected = kvp_request(1, 1, 2580);
  put32(expected, kValueType, 4);
  put32(expected, kKeySize, 4);
  put_bytes(expected, kKey, ascii16("n"));
  put32(expected, kValueSize, 4);
  put32(expected, kValue, 0xfffffffe);
  EXPECT_EQ(written(SetRequest{Pool::guest, "n", SetValue::u32(0xfffffffe)}), expected);
  put32(expected, kValueType, 8);
  put32(expected, kValueSize, 8);
  put64(expected, kValue, 0x0123456789abcdefull);
  EXPECT_EQ(written(SetRequest{Pool::guest, "n", SetValue::u64(0x0123456789abcdefull)}), expected);
}

TEST(KvpHostRequest, GetDeleteEnumerate) {
  Bytes get = kvp_request(0, 0, 2580);
  put32(get, kKeySize, 6);
  put_bytes(get, kKey, ascii16("ab"));
  EXPECT_EQ(written(GetRequest{Pool::external, "ab"}), get);

  Bytes del = kvp_request(2, 3, 2580);
  put32(del, kDeleteKeySize, 8);
  put_bytes(del, kDeleteKey, ascii16("xyz"));
  EXPECT_EQ(written(DeleteRequest{Pool::auto_external, "xyz"}), del);

  Bytes en = kvp_request(3, 2, 2580);
  put32(en, kIndex, 9);
  EXPECT_EQ(written(EnumerateRequest{Pool::automatic, 9}), en);
}

TEST(KvpHostRequest, IpInfo) {
  Bytes get = kvp_request(4, 1, 7428);
  put_bytes(get, kAdapterId, ascii16("{A1B2}"));
  put8(get, kAddrFamily, 2);
  EXPECT_EQ(written(GetIpInfoRequest{Pool::guest, "{A1B2}", kAddrFamilyIpv6}), get);
  EXPECT_EQ(get.size(), 7456u);

  Bytes set = kvp_request(5, 1, 7428);
  put_bytes(set, kAdapterId, ascii16("{A1B2}"));
  put8(set, kAddrFamily, 1);
  put8(set, kDhcp, 0);
  put_bytes(set, kIpAddr, ascii16("10.0.0.4"));
  put_bytes(set, kSubNet, ascii16("255.255.255.0"));
  put_bytes(set, kGateWay, ascii16("10.0.0.1"));
  put_bytes(set, kDnsAddr, ascii16("1.1.1.1;8.8.8.8"));
  const IpInfo info{"{A1B2}", 1, 0, "10.0.0.4", "255.255.255.0", "10.0.0.1", "1.1.1.1;8.8.8.8"};
  EXPECT_EQ(written(SetIpInfoRequest{Pool::guest, info}), set);
}

TEST(KvpHostRequest, RefusesWhatCannotTravel) {
  EXPECT_EQ(write_error(GetRequest{Pool::external, std::string(256, 'k')}),
            error(Field::key, Violation::above_maximum, 514));
  EXPECT_EQ(write_error(SetRequest{Pool::external, "k", SetValue::string(std::string(1024, 'v'))}),
            error(Field::value, Violation::above_maximum, 2050));
  EXPECT_EQ(write_error(SetRequest{Pool::external, "k", SetValue::string("ok\xed\xa0\x80")}),
            error(Field::value, Violation::utf8_surrogate, 2));
  EXPECT_EQ(write_error(DeleteRequest{Pool::external, std::string("a\0b", 3)}),
            error(Field::delete_key, Violation::embedded_nul, 1));
  EXPECT_EQ(write_error(SetRequest{Pool::external, "k", SetValue{kRegU32, "", 0x100000000ull}}),
            error(Field::value, Violation::above_maximum, 0x100000000ull));
  EXPECT_EQ(write_error(SetRequest{Pool::external, "k", SetValue{2, "x", 0}}),
            error(Field::value_type, Violation::unexpected_value, 2));
  IpInfo info;
  info.adapter_id = std::string(128, 'a');
  EXPECT_EQ(write_error(SetIpInfoRequest{Pool::guest, info}), error(Field::adapter_id, Violation::above_maximum, 258));
  Bytes small(2607, 0);
  EXPECT_EQ(host::write_request(writable(small), EnumerateRequest{}, kVersions).error(),
            error(Field::output_buffer, Violation::too_short, 2608));
  // The largest key and value that fit.
  EXPECT_EQ(written(SetRequest{Pool::external, std::string(255, 'k'), SetValue::string(std::string(1023, 'v'))})
                .size(),
            2608u);
}

TEST(KvpHostReply, StatusOnly) {
  Bytes set = written(SetRequest{Pool::external, "k", SetValue::string("v")});
  auto r = host::parse_status_reply(view(replied(set, ic::kHvSOk)), Operation::set);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->status, ic::kHvSOk);
  EXPECT_EQ(r->message.size(), 2580u);
  auto cont = host::parse_status_reply(view(replied(set, ic::kHvSCont)), Operation::set);
  ASSERT_TRUE(cont.ok());
  EXPECT_EQ(cont->status, ic::kHvSCont);
}

TEST(KvpHostReply, MustAnswerWhatWasAsked) {
  Bytes set = written(SetRequest{Pool::external, "k", SetValue::string("v")});
  EXPECT_EQ(host::parse_status_reply(view(set), Operation::set).error(),
            error(Field::icflags, Violation::unexpected_value, 3));
  EXPECT_EQ(host::parse_status_reply(view(replied(set, 0)), Operation::delete_key).error(),
            error(Field::kvp_operation, Violation::unexpected_value, 1));
  Bytes shorter = replied(kvp_request(3, 0, 2000), 0);
  EXPECT_EQ(host::parse_enumerate_reply(view(shorter)).error(), error(Field::kvp_message, Violation::too_short, 2580));
  Bytes wrong_type = replied(set, 0);
  put16(wrong_type, 12, 1);
  EXPECT_EQ(host::parse_status_reply(view(wrong_type), Operation::set).error(),
            error(Field::icmsgtype, Violation::unexpected_value, 1));
}

TEST(KvpHostReply, EnumerateAsLinuxAnswers) {
  Bytes b = written(EnumerateRequest{Pool::automatic, 1});
  ASSERT_TRUE(guest::fill_enumerate_reply(writable(b), "IntegrationServicesVersion", "3.1").ok());
  auto r = host::parse_enumerate_reply(view(b));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->status, ic::kHvSOk);
  ASSERT_TRUE(r->entry.has_value());
  EXPECT_EQ(*r->entry, (host::KeyValue{"IntegrationServicesVersion", SetValue::string("3.1")}));

  auto end = host::parse_enumerate_reply(view(replied(written(EnumerateRequest{Pool::automatic, 10}), ic::kHvSCont)));
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->status, ic::kHvSCont);
  EXPECT_FALSE(end->entry.has_value());
}

TEST(KvpHostReply, MalformedStringsInAReply) {
  Bytes b = written(EnumerateRequest{Pool::guest, 0});
  ASSERT_TRUE(guest::fill_enumerate_reply(writable(b), "key", "value").ok());
  Bytes odd = b;
  put32(odd, kEnumKeySize, 7);
  EXPECT_EQ(host::parse_enumerate_reply(view(odd)).error(), error(Field::key_size, Violation::odd_size, 7));
  Bytes no_nul = b;
  put32(no_nul, kEnumValueSize, 8);
  EXPECT_EQ(host::parse_enumerate_reply(view(no_nul)).error(), error(Field::value, Violation::missing_nul, 6));
  Bytes type = b;
  put32(type, kEnumValueType, 3);
  EXPECT_EQ(host::parse_enumerate_reply(view(type)).error(), error(Field::value_type, Violation::unexpected_value, 3));
}

TEST(KvpHostReply, GetAndIpInfo) {
  Bytes get = written(GetRequest{Pool::external, "k"});
  ASSERT_TRUE(guest::fill_get_reply(writable(get), "v1").ok());
  auto g = host::parse_get_reply(view(get));
  ASSERT_TRUE(g.ok()) << g.error().message();
  ASSERT_TRUE(g->value.has_value());
  EXPECT_EQ(*g->value, SetValue::string("v1"));
  auto missing = host::parse_get_reply(view(replied(written(GetRequest{Pool::external, "x"}), ic::kHvSCont)));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->value.has_value());

  Bytes ip = written(GetIpInfoRequest{Pool::guest, "{A1B2}", kAddrFamilyIpv4});
  const IpInfo info{"{A1B2}", 1, 1, "10.0.0.4;10.0.0.5", "255.255.255.0;255.255.255.0", "10.0.0.1", "168.63.129.16"};
  ASSERT_TRUE(guest::fill_get_ip_info_reply(writable(ip), info).ok());
  auto r = host::parse_get_ip_info_reply(view(ip));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(r->info.has_value());
  EXPECT_EQ(*r->info, info);
  auto failed = host::parse_get_ip_info_reply(view(replied(written(GetIpInfoRequest{}), ic::kHvEFail)));
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, ic::kHvEFail);
  EXPECT_FALSE(failed->info.has_value());
}

TEST(KvpRoundTrip, NonAsciiThroughBothSides) {
  // "Ключ/キー/🔑" and "Größe € 😀".
  const std::string key = "\xd0\x9a\xd0\xbb\xd1\x8e\xd1\x87/\xe3\x82\xad\xe3\x83\xbc/\xf0\x9f\x94\x91";
  const std::string value = "Gr\xc3\xb6\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80";
  // Host SET -> guest parse.
  Bytes set = written(SetRequest{Pool::external, key, SetValue::string(value)});
  auto m = ic::parse_ic_message(view(set));
  ASSERT_TRUE(m.ok());
  auto parsed = guest::parse_request(m->body);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(*parsed, Request(SetRequest{Pool::external, key, SetValue::string(value)}));
  // Host ENUMERATE -> guest reply -> host parse.
  Bytes en = written(EnumerateRequest{Pool::external, 0});
  ASSERT_TRUE(guest::fill_enumerate_reply(writable(en), key, value).ok());
  auto r = host::parse_enumerate_reply(view(en));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(r->entry.has_value());
  EXPECT_EQ(r->entry->key, key);
  EXPECT_EQ(r->entry->value.text, value);
}

TEST(KvpRoundTrip, EveryRequestKind) {
  const std::vector<Request> requests = {
      GetRequest{Pool::guest, "a"},
      SetRequest{Pool::auto_internal, "b", SetValue::u64(42)},
      DeleteRequest{Pool::external, "c"},
      EnumerateRequest{Pool::auto_external, 3},
      GetIpInfoRequest{Pool::guest, "{X}", kAddrFamilyIpv6},
      SetIpInfoRequest{Pool::guest, IpInfo{"{X}", 1, 1, "1.2.3.4", "255.0.0.0", "1.2.3.1", "9.9.9.9"}},
  };
  for (const Request& request : requests) {
    SCOPED_TRACE(static_cast<int>(raw(operation_of(request))));
    const Bytes b = written(request);
    auto m = ic::parse_ic_message(view(b));
    ASSERT_TRUE(m.ok());
    auto parsed = guest::parse_request(m->body);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    EXPECT_EQ(*parsed, request);
  }
}

}  // namespace kvp::host_test
