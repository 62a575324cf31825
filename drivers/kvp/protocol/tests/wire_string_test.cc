// KVP strings in their fixed arrays: sized (key/value) and terminated
// (hv_kvp_ipaddr_value), both ways, with every rule and both limits.
#include <gtest/gtest.h>

#include <array>

#include "kvp/protocol/kvp_msg.h"
#include "kvp/protocol/wire_string.h"
#include "test_bytes.h"

namespace kvp::wire_string_test {

using test::ascii16;
using test::Bytes;
using test::cat;
using test::error;
using test::le16;
using test::view;
using test::zeros;

// A 512-byte key array holding `content`, zero-filled.
Bytes key_array(const Bytes& content) {
  Bytes b = content;
  b.resize(kMaxKeySize, 0);
  return b;
}

FieldResult<std::string> decode_key(const Bytes& array, std::uint32_t size) {
  return decode_sized_string(view(array), size, Field::key_size, Field::key);
}

TEST(WireString, DecodesSizedStrings) {
  auto s = decode_key(key_array(cat({ascii16("Hostname"), le16({0})})), 18);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(*s, "Hostname");
  auto empty = decode_key(key_array({}), 2);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST(WireString, SizeRules) {
  const Bytes array = key_array(cat({ascii16("abc"), le16({0})}));
  EXPECT_EQ(decode_key(array, 0).error(), error(Field::key_size, Violation::below_minimum, 0));
  EXPECT_EQ(decode_key(array, 7).error(), error(Field::key_size, Violation::odd_size, 7));
  EXPECT_EQ(decode_key(array, 513).error(), error(Field::key_size, Violation::above_maximum, 513));
  EXPECT_EQ(decode_key(array, 514).error(), error(Field::key_size, Violation::above_maximum, 514));
  EXPECT_EQ(decode_key(array, 0xffffffffu).error(), error(Field::key_size, Violation::above_maximum, 0xffffffffu));
}

TEST(WireString, NulRules) {
  const Bytes array = key_array(cat({ascii16("abc"), le16({0})}));
  // The size says 6 bytes: "ab" and a unit 'c' where the NUL should be.
  EXPECT_EQ(decode_key(array, 6).error(), error(Field::key, Violation::missing_nul, 4));
  // The size says 10: the NUL at 6 comes before the end (Linux would stop there).
  EXPECT_EQ(decode_key(array, 10).error(), error(Field::key, Violation::embedded_nul, 6));
}

TEST(WireString, LimitsAndOneOver) {
  // 255 units + NUL = 512 bytes: the largest key.
  Bytes longest;
  for (int i = 0; i < 255; ++i) longest = cat({longest, ascii16("k")});
  auto s = decode_key(cat({longest, le16({0})}), 512);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 255u);
  std::array<std::byte, kMaxKeySize> out{};
  auto n = encode_sized_string(std::string(255, 'k'), out, Field::key);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 512u);
  EXPECT_EQ(encode_sized_string(std::string(256, 'k'), out, Field::key).error(),
            error(Field::key, Violation::above_maximum, 514));
  // A value of 1023 units + NUL = 2048 bytes.
  std::array<std::byte, kMaxValueSize> value{};
  EXPECT_EQ(*encode_sized_string(std::string(1023, 'v'), value, Field::value), 2048u);
  EXPECT_EQ(encode_sized_string(std::string(1024, 'v'), value, Field::value).error(),
            error(Field::value, Violation::above_maximum, 2050));
  // Surrogate pairs count as two units: 127 emoji = 254 units + NUL = 510 bytes; 128 do not fit.
  std::string emoji;
  for (int i = 0; i < 127; ++i) emoji += "\xf0\x9f\x98\x80";
  EXPECT_EQ(*encode_sized_string(emoji, out, Field::key), 510u);
  EXPECT_EQ(encode_sized_string(emoji + "\xf0\x9f\x98\x80", out, Field::key).error(),
            error(Field::key, Violation::above_maximum, 514));
}

TEST(WireString, EncodeWritesNulAndZeroesTheRest) {
  Bytes array(16, 0xee);
  auto n = encode_sized_string("h\xc3\xa9", test::writable(array), Field::value);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6u);
  EXPECT_EQ(array, cat({le16({'h', 0xe9, 0}), zeros(10)}));
}

TEST(WireString, EncodeRefusesAndLeavesTheArray) {
  Bytes array(16, 0xee);
  EXPECT_EQ(encode_sized_string("ab\xff", test::writable(array), Field::key).error(),
            error(Field::key, Violation::invalid_utf8_lead, 2));
  EXPECT_EQ(encode_sized_string(std::string_view("a\0b", 3), test::writable(array), Field::key).error(),
            error(Field::key, Violation::embedded_nul, 1));
  EXPECT_EQ(encode_sized_string("12345678", test::writable(array), Field::key).error(),
            error(Field::key, Violation::above_maximum, 18));
  EXPECT_EQ(array, Bytes(16, 0xee));
}

TEST(WireString, BadUtf16InAKey) {
  const Bytes array = key_array(cat({ascii16("ab"), le16({0xd800, 'c', 0})}));
  EXPECT_EQ(decode_key(array, 10).error(), error(Field::key, Violation::unpaired_high_surrogate, 4));
  const Bytes low = key_array(cat({le16({0xdc00, 0})}));
  EXPECT_EQ(decode_key(low, 4).error(), error(Field::key, Violation::unpaired_low_surrogate, 0));
}

TEST(WireString, TerminatedStrings) {
  Bytes adapter = cat({ascii16("{3B4F}"), le16({0})});
  adapter.resize(256, 0);
  auto s = decode_terminated_string(view(adapter), Field::adapter_id);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "{3B4F}");
  Bytes full(256, 'a');  // 128 units of 0x6161, no NUL anywhere
  EXPECT_EQ(decode_terminated_string(view(full), Field::adapter_id).error(),
            error(Field::adapter_id, Violation::missing_nul, 256));
  Bytes bad = cat({le16({'a', 0xdfff, 0})});
  EXPECT_EQ(decode_terminated_string(view(bad), Field::dns_addr).error(),
            error(Field::dns_addr, Violation::unpaired_low_surrogate, 2));
}

TEST(WireString, RegistryNumbersAsTheDaemonStoresThem) {
  const Bytes u32 = test::le32({0xffffffffu, 0x12345678});
  EXPECT_EQ(reg_value_text(kRegU32, view(u32)), "4294967295");  // "%u", not "%d"
  EXPECT_EQ(reg_value_text(kRegU64, view(u32)), "1311768469162688511");  // 0x12345678ffffffff
  const Bytes max64 = test::le32({0xffffffffu, 0xffffffffu});
  EXPECT_EQ(reg_value_text(kRegU64, view(max64)), "18446744073709551615");
  EXPECT_EQ(reg_value_text(kRegU32, view(test::le32({0, 0}))), "0");
}

}  // namespace kvp::wire_string_test
