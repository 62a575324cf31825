// The guest's side of KVP: host requests written out by hand (kvp_bytes.h)
// parsed and refused field by field, and the replies Linux builds in the
// request buffer (kvp_respond_to_host) compared byte for byte.
#include <gtest/gtest.h>

#include "kvp/protocol/guest.h"
#include "kvp/protocol/ic_message.h"
#include "kvp_bytes.h"

namespace kvp::guest_test {

using namespace kvp::test;  // NOLINT(google-build-using-namespace): offsets and byte helpers

FieldResult<Request> parse(const Bytes& payload) {
  auto m = ic::parse_ic_message(view(payload));
  EXPECT_TRUE(m.ok()) << m.error().message();
  if (!m) return m.error();
  return guest::parse_request(m->body);
}

// SET pool 0, "Hostname" = "vm-01", as REG_SZ.
Bytes set_hostname() {
  Bytes b = kvp_request(1, 0, 2580);
  put32(b, kValueType, 1);
  put32(b, kKeySize, 18);
  put_bytes(b, kKey, ascii16("Hostname"));
  put32(b, kValueSize, 12);
  put_bytes(b, kValue, ascii16("vm-01"));
  return b;
}

TEST(KvpGuestParse, SetStringAsHyperVSendsIt) {
  auto r = parse(set_hostname());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, Request(SetRequest{Pool::external, "Hostname", SetValue::string("vm-01")}));
  EXPECT_EQ(operation_of(*r), Operation::set);
  EXPECT_EQ(pool_of(*r), Pool::external);
}

TEST(KvpGuestParse, SetNumbersBecomeDecimalText) {
  Bytes b = set_hostname();
  put32(b, kValueType, 4);
  put32(b, kValueSize, 4);
  put32(b, kValue, 0xffffffffu);
  auto r = parse(b);
  ASSERT_TRUE(r.ok()) << r.error().message();
  const auto& set = std::get<SetRequest>(*r);
  EXPECT_EQ(set.value.type, kRegU32);
  EXPECT_EQ(set.value.text, "4294967295");
  EXPECT_EQ(set.value.number, 0xffffffffu);

  put32(b, kValueType, 8);
  put32(b, kValueSize, 8);
  put64(b, kValue, 18446744073709551615ull);
  r = parse(b);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(std::get<SetRequest>(*r).value.text, "18446744073709551615");
}

TEST(KvpGuestParse, NumberSizes) {
  Bytes b = set_hostname();
  put32(b, kValueType, 4);
  put32(b, kValueSize, 0);
  EXPECT_EQ(parse(b).error(), error(Field::value_size, Violation::below_minimum, 0));
  put32(b, kValueSize, 2048);  // Linux ignores it; anything up to the array is taken
  EXPECT_TRUE(parse(b).ok());
  put32(b, kValueSize, 2049);
  EXPECT_EQ(parse(b).error(), error(Field::value_size, Violation::above_maximum, 2049));
  put32(b, kValueType, 8);
  put32(b, kValueSize, 4);
  EXPECT_EQ(parse(b).error(), error(Field::value_size, Violation::below_minimum, 4));
}

TEST(KvpGuestParse, UnknownValueType) {
  Bytes b = set_hostname();
  put32(b, kValueType, 11);  // REG_QWORD in Windows' registry; Linux knows REG_U64 = 8
  EXPECT_EQ(parse(b).error(), error(Field::value_type, Violation::unexpected_value, 11));
  put32(b, kValueType, 0);
  EXPECT_EQ(parse(b).error(), error(Field::value_type, Violation::unexpected_value, 0));
}

TEST(KvpGuestParse, GetDeleteEnumerate) {
  Bytes get = kvp_request(0, 1, 2580);
  put32(get, kKeySize, 6);
  put_bytes(get, kKey, ascii16("ab"));
  auto g = parse(get);
  ASSERT_TRUE(g.ok()) << g.error().message();
  EXPECT_EQ(*g, Request(GetRequest{Pool::guest, "ab"}));

  Bytes del = kvp_request(2, 0, 2580);
  put32(del, kDeleteKeySize, 8);
  put_bytes(del, kDeleteKey, ascii16("xyz"));
  auto d = parse(del);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d, Request(DeleteRequest{Pool::external, "xyz"}));

  Bytes en = kvp_request(3, 2, 2580);
  put32(en, kIndex, 7);
  auto e = parse(en);
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(*e, Request(EnumerateRequest{Pool::automatic, 7}));
}

TEST(KvpGuestParse, OperationAndPool) {
  EXPECT_EQ(parse(kvp_request(6, 0, 2580)).error(), error(Field::kvp_operation, Violation::unexpected_value, 6));
  EXPECT_EQ(parse(kvp_request(100, 0, 2580)).error(), error(Field::kvp_operation, Violation::unexpected_value, 100));
  EXPECT_EQ(parse(kvp_request(3, 5, 2580)).error(), error(Field::kvp_pool, Violation::above_maximum, 5));
  EXPECT_EQ(parse(kvp_request(3, 255, 2580)).error(), error(Field::kvp_pool, Violation::above_maximum, 255));
  EXPECT_TRUE(parse(kvp_request(3, 4, 2580)).ok());
}

TEST(KvpGuestParse, EveryOperationCutShort) {
  struct Case {
    std::uint8_t op;
    std::size_t needed;
  };
  for (const Case c : {Case{0, 2576}, Case{1, 2576}, Case{2, 520}, Case{3, 2580}, Case{4, 7428}, Case{5, 7428}}) {
    SCOPED_TRACE(static_cast<int>(c.op));
    EXPECT_EQ(parse(kvp_request(c.op, 0, c.needed - 1)).error(),
              error(Field::kvp_message, Violation::too_short, c.needed));
  }
  EXPECT_EQ(guest::parse_request(view(Bytes{3})).error(), error(Field::kvp_message, Violation::too_short, 2));
  EXPECT_EQ(guest::parse_request({}).error(), error(Field::kvp_message, Violation::too_short, 2));
}

TEST(KvpGuestParse, KeyRules) {
  Bytes b = set_hostname();
  put32(b, kKeySize, 17);
  EXPECT_EQ(parse(b).error(), error(Field::key_size, Violation::odd_size, 17));
  put32(b, kKeySize, 16);  // ends on the 'e': no NUL there
  EXPECT_EQ(parse(b).error(), error(Field::key, Violation::missing_nul, 14));
  put32(b, kKeySize, 20);  // the NUL comes one unit before the end
  EXPECT_EQ(parse(b).error(), error(Field::key, Violation::embedded_nul, 16));
  put32(b, kKeySize, 514);
  EXPECT_EQ(parse(b).error(), error(Field::key_size, Violation::above_maximum, 514));
  put32(b, kKeySize, 0);
  EXPECT_EQ(parse(b).error(), error(Field::key_size, Violation::below_minimum, 0));
  put32(b, kKeySize, 18);
  put16(b, kKey + 2, 0xd800);
  EXPECT_EQ(parse(b).error(), error(Field::key, Violation::unpaired_high_surrogate, 2));
}

TEST(KvpGuestParse, ValueRules) {
  Bytes b = set_hostname();
  put32(b, kValueSize, 2050);
  EXPECT_EQ(parse(b).error(), error(Field::value_size, Violation::above_maximum, 2050));
  put32(b, kValueSize, 10);
  EXPECT_EQ(parse(b).error(), error(Field::value, Violation::missing_nul, 8));
  put32(b, kValueSize, 12);
  put16(b, kValue, 0xdc00);
  EXPECT_EQ(parse(b).error(), error(Field::value, Violation::unpaired_low_surrogate, 0));
}

TEST(KvpGuestParse, DeleteKeyRulesNameTheDeleteStruct) {
  Bytes del = kvp_request(2, 0, 520);
  put32(del, kDeleteKeySize, 3);
  EXPECT_EQ(parse(del).error(), error(Field::delete_key_size, Violation::odd_size, 3));
  put32(del, kDeleteKeySize, 4);
  put_bytes(del, kDeleteKey, ascii16("ab"));
  EXPECT_EQ(parse(del).error(), error(Field::delete_key, Violation::missing_nul, 2));
}

TEST(KvpGuestParse, LargestKeyAndValueAndOneOver) {
  Bytes b = kvp_request(1, 0, 2580);
  put32(b, kValueType, 1);
  put32(b, kKeySize, 512);
  put_bytes(b, kKey, ascii16(std::string(255, 'k')));
  put32(b, kValueSize, 2048);
  put_bytes(b, kValue, ascii16(std::string(1023, 'v')));
  auto r = parse(b);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(std::get<SetRequest>(*r).key, std::string(255, 'k'));
  EXPECT_EQ(std::get<SetRequest>(*r).value.text, std::string(1023, 'v'));
  put32(b, kKeySize, 513);
  EXPECT_EQ(parse(b).error(), error(Field::key_size, Violation::above_maximum, 513));
  put32(b, kKeySize, 512);
  put32(b, kValueSize, 2049);
  EXPECT_EQ(parse(b).error(), error(Field::value_size, Violation::above_maximum, 2049));
}

TEST(KvpGuestParse, NonAsciiKey) {
  // "Größe😀": G r ö ß e U+1F600.
  Bytes b = kvp_request(0, 0, 2580);
  const Bytes key = le16({'G', 'r', 0x00f6, 0x00df, 'e', 0xd83d, 0xde00, 0});
  put32(b, kKeySize, static_cast<std::uint32_t>(key.size()));
  put_bytes(b, kKey, key);
  auto r = parse(b);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(std::get<GetRequest>(*r).key, "Gr\xc3\xb6\xc3\x9f" "e\xf0\x9f\x98\x80");
}

TEST(KvpGuestParse, IpInfo) {
  Bytes get = kvp_request(4, 1, 7428);
  put_bytes(get, kAdapterId, ascii16("{A1B2}"));
  put8(get, kAddrFamily, 1);
  put_bytes(get, kIpAddr, Bytes(2048, 0x41));  // GET_IP_INFO never reads the address strings
  auto g = parse(get);
  ASSERT_TRUE(g.ok()) << g.error().message();
  EXPECT_EQ(*g, Request(GetIpInfoRequest{Pool::guest, "{A1B2}", kAddrFamilyIpv4}));
  put_bytes(get, kAdapterId, Bytes(256, 0x41));
  EXPECT_EQ(parse(get).error(), error(Field::adapter_id, Violation::missing_nul, 256));

  Bytes set = kvp_request(5, 1, 7428);
  put_bytes(set, kAdapterId, ascii16("{A1B2}"));
  put8(set, kAddrFamily, 2);
  put8(set, kDhcp, 1);
  put_bytes(set, kIpAddr, ascii16("10.0.0.4;fe80::1"));
  put_bytes(set, kSubNet, ascii16("255.255.255.0;64"));
  put_bytes(set, kGateWay, ascii16("10.0.0.1"));
  put_bytes(set, kDnsAddr, ascii16("168.63.129.16"));
  auto s = parse(set);
  ASSERT_TRUE(s.ok()) << s.error().message();
  const IpInfo expected{"{A1B2}", 2, 1, "10.0.0.4;fe80::1", "255.255.255.0;64", "10.0.0.1", "168.63.129.16"};
  EXPECT_EQ(*s, Request(SetIpInfoRequest{Pool::guest, expected}));
  put_bytes(set, kGateWay, Bytes(1024, 0x31));
  EXPECT_EQ(parse(set).error(), error(Field::gate_way, Violation::missing_nul, 1024));
}

TEST(KvpGuestReply, EnumerateAsLinuxFillsIt) {
  // kvp_respond_to_host, ENUMERATE: key, key_size = 2 * (keylen + 1), value,
  // value_size, value_type = REG_SZ, status 0, icflags 5; index and the rest stay.
  Bytes b = kvp_request(3, 2, 2580);
  put32(b, kIndex, 0);
  Bytes expected = b;
  put8(expected, 25, 5);
  put32(expected, kEnumValueType, 1);
  put32(expected, kEnumKeySize, 50);
  put_bytes(expected, kEnumKey, ascii16("FullyQualifiedDomainName"));
  put32(expected, kEnumValueSize, 22);
  put_bytes(expected, kEnumValue, ascii16("vm.example"));
  ASSERT_TRUE(guest::fill_enumerate_reply(writable(b), "FullyQualifiedDomainName", "vm.example").ok());
  EXPECT_EQ(b, expected);
}

TEST(KvpGuestReply, GetKeepsTheKey) {
  Bytes b = kvp_request(0, 0, 2580);
  put32(b, kKeySize, 6);
  put_bytes(b, kKey, ascii16("ab"));
  Bytes expected = b;
  put8(expected, 25, 5);
  put32(expected, kValueType, 1);
  put32(expected, kValueSize, 8);
  put_bytes(expected, kValue, le16({0x00e9, 0x4e2d, 'x', 0}));
  ASSERT_TRUE(guest::fill_get_reply(writable(b), "\xc3\xa9\xe4\xb8\xad" "x").ok());
  EXPECT_EQ(b, expected);
}

TEST(KvpGuestReply, RefusesWhatCannotTravelAndWritesNothing) {
  Bytes b = kvp_request(3, 0, 2580);
  const Bytes before = b;
  EXPECT_EQ(guest::fill_enumerate_reply(writable(b), std::string(256, 'k'), "v").error(),
            error(Field::key, Violation::above_maximum, 514));
  EXPECT_EQ(guest::fill_enumerate_reply(writable(b), "k", std::string(1024, 'v')).error(),
            error(Field::value, Violation::above_maximum, 2050));
  EXPECT_EQ(guest::fill_enumerate_reply(writable(b), "k\xc3", "v").error(),
            error(Field::key, Violation::truncated_utf8, 1));
  EXPECT_EQ(b, before);
  // The largest that fit: 255 + NUL units of key, 1023 + NUL of value.
  ASSERT_TRUE(guest::fill_enumerate_reply(writable(b), std::string(255, 'k'), std::string(1023, 'v')).ok());
  EXPECT_EQ(get32(b, kEnumKeySize), 512u);
  EXPECT_EQ(get32(b, kEnumValueSize), 2048u);
}

TEST(KvpGuestReply, ChecksTheBufferHoldsThatOperation) {
  Bytes get = kvp_request(0, 0, 2580);
  EXPECT_EQ(guest::fill_enumerate_reply(writable(get), "k", "v").error(),
            error(Field::kvp_operation, Violation::unexpected_value, 0));
  Bytes shorter = kvp_request(3, 0, 2579);
  EXPECT_EQ(guest::fill_enumerate_reply(writable(shorter), "k", "v").error(),
            error(Field::kvp_message, Violation::too_short, 28 + 2580));
  Bytes ip = kvp_request(4, 0, 2580);
  EXPECT_EQ(guest::fill_get_ip_info_reply(writable(ip), IpInfo{}).error(),
            error(Field::kvp_message, Violation::too_short, 28 + 7428));
}

TEST(KvpGuestReply, IpInfo) {
  Bytes b = kvp_request(4, 1, 7428);
  put_bytes(b, kAdapterId, ascii16("{A1B2}"));
  const IpInfo info{"{A1B2}", 1, 1, "10.0.0.4", "255.255.255.0", "10.0.0.1", "168.63.129.16"};
  ASSERT_TRUE(guest::fill_get_ip_info_reply(writable(b), info).ok());
  EXPECT_EQ(b[25], 5);
  EXPECT_EQ(b[kAddrFamily], 1);
  EXPECT_EQ(b[kDhcp], 1);
  EXPECT_EQ(Bytes(b.begin() + kIpAddr, b.begin() + kIpAddr + 18), cat({ascii16("10.0.0.4"), le16({0})}));
  EXPECT_EQ(Bytes(b.begin() + kDnsAddr, b.begin() + kDnsAddr + 28), cat({ascii16("168.63.129.16"), le16({0})}));
  IpInfo too_long = info;
  too_long.gate_way = std::string(512, '1');  // 512 units + NUL > MAX_GATEWAY_SIZE
  EXPECT_EQ(guest::fill_get_ip_info_reply(writable(b), too_long).error(),
            error(Field::gate_way, Violation::above_maximum, 1026));
}

TEST(KvpGuestReply, StatusOnlyReplies) {
  // SET, DELETE, failures: the request echoed with status and flags.
  Bytes b = set_hostname();
  Bytes expected = b;
  put32(expected, 20, 0x80070103);
  put8(expected, 25, 5);
  ASSERT_TRUE(ic::make_response(writable(b), ic::kHvSCont).ok());
  EXPECT_EQ(b, expected);
}

}  // namespace kvp::guest_test
