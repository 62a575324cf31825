// UTF-16LE <-> UTF-8: every plane, surrogate pairs, and each kind of bad
// input named with its byte position.
#include <gtest/gtest.h>

#include "kvp/protocol/utf16.h"
#include "test_bytes.h"

namespace kvp::utf16_test {

using test::Bytes;
using test::le16;
using test::view;
using utf::Problem;

std::string to_utf8(const Bytes& b) {
  auto r = utf::utf16le_to_utf8(view(b));
  EXPECT_TRUE(r.ok()) << "problem " << static_cast<int>(r.error().problem) << " at " << r.error().position;
  return r.ok() ? *r : std::string();
}

utf::EncodingError utf16_error(const Bytes& b) {
  auto r = utf::utf16le_to_utf8(view(b));
  EXPECT_FALSE(r.ok());
  return r.ok() ? utf::EncodingError{Problem::odd_length, 999} : r.error();
}

utf::EncodingError utf8_error(std::string_view s) {
  auto r = utf::utf8_to_utf16(s);
  EXPECT_FALSE(r.ok());
  return r.ok() ? utf::EncodingError{Problem::odd_length, 999} : r.error();
}

Bytes to_utf16le(std::string_view s) {
  auto r = utf::utf8_to_utf16(s);
  EXPECT_TRUE(r.ok());
  Bytes b(2 * r->size());
  utf::store_utf16le(*r, test::writable(b));
  return b;
}

TEST(Utf16, AsciiAndBmp) {
  EXPECT_EQ(to_utf8(le16({'H', 'i'})), "Hi");
  EXPECT_EQ(to_utf8(le16({0x00e9})), "\xc3\xa9");            // é
  EXPECT_EQ(to_utf8(le16({0x4e2d, 0x6587})), "\xe4\xb8\xad\xe6\x96\x87");  // 中文
  EXPECT_EQ(to_utf8(le16({0x07ff, 0x0800, 0xffff})), "\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
  EXPECT_EQ(to_utf8({}), "");
}

TEST(Utf16, SurrogatePairs) {
  EXPECT_EQ(to_utf8(le16({0xd83d, 0xde00})), "\xf0\x9f\x98\x80");    // U+1F600
  EXPECT_EQ(to_utf8(le16({0xd800, 0xdc00})), "\xf0\x90\x80\x80");    // U+10000
  EXPECT_EQ(to_utf8(le16({0xdbff, 0xdfff})), "\xf4\x8f\xbf\xbf");    // U+10FFFF
  EXPECT_EQ(to_utf16le("\xf0\x9f\x98\x80"), le16({0xd83d, 0xde00}));
  EXPECT_EQ(to_utf16le("\xf4\x8f\xbf\xbf"), le16({0xdbff, 0xdfff}));
}

TEST(Utf16, RoundTripsEveryLength) {
  const std::string text = "key-\xc3\xa9-\xe4\xb8\xad-\xf0\x9f\x98\x80-\xd0\x9a\xd0\xbb\xd1\x8e\xd1\x87";
  EXPECT_EQ(to_utf8(to_utf16le(text)), text);
  EXPECT_EQ(to_utf16le("A\xc3\xa9"), le16({'A', 0x00e9}));
}

TEST(Utf16, BadUtf16NamesThePosition) {
  EXPECT_EQ(utf16_error(Bytes{'a', 0, 'b'}), (utf::EncodingError{Problem::odd_length, 2}));
  EXPECT_EQ(utf16_error(le16({'a', 0xd83d})), (utf::EncodingError{Problem::unpaired_high_surrogate, 2}));
  EXPECT_EQ(utf16_error(le16({'a', 'b', 0xd83d, 'c'})), (utf::EncodingError{Problem::unpaired_high_surrogate, 4}));
  EXPECT_EQ(utf16_error(le16({0xd83d, 0xd83d, 0xde00})), (utf::EncodingError{Problem::unpaired_high_surrogate, 0}));
  EXPECT_EQ(utf16_error(le16({'x', 0xde00})), (utf::EncodingError{Problem::unpaired_low_surrogate, 2}));
  EXPECT_EQ(utf16_error(le16({0xd83d, 0xde00, 0xde00})), (utf::EncodingError{Problem::unpaired_low_surrogate, 4}));
}

TEST(Utf16, BadUtf8NamesThePosition) {
  EXPECT_EQ(utf8_error("ab\x80"), (utf::EncodingError{Problem::invalid_utf8_lead, 2}));
  EXPECT_EQ(utf8_error("\xc0\xaf"), (utf::EncodingError{Problem::invalid_utf8_lead, 0}));
  EXPECT_EQ(utf8_error("\xc1\xbf"), (utf::EncodingError{Problem::invalid_utf8_lead, 0}));
  EXPECT_EQ(utf8_error("a\xf5\x80\x80\x80"), (utf::EncodingError{Problem::invalid_utf8_lead, 1}));
  EXPECT_EQ(utf8_error("\xff"), (utf::EncodingError{Problem::invalid_utf8_lead, 0}));
  EXPECT_EQ(utf8_error("a\xc3(b"), (utf::EncodingError{Problem::invalid_utf8_continuation, 2}));
  EXPECT_EQ(utf8_error("\xe2\x82"), (utf::EncodingError{Problem::truncated_utf8, 0}));
  EXPECT_EQ(utf8_error("ok\xf0\x9f\x98"), (utf::EncodingError{Problem::truncated_utf8, 2}));
  EXPECT_EQ(utf8_error("\xe0\x80\xaf"), (utf::EncodingError{Problem::overlong_utf8, 0}));
  EXPECT_EQ(utf8_error("\xf0\x80\x80\xaf"), (utf::EncodingError{Problem::overlong_utf8, 0}));
  EXPECT_EQ(utf8_error("\xed\xa0\x80"), (utf::EncodingError{Problem::utf8_surrogate, 0}));
  EXPECT_EQ(utf8_error("\xed\xbf\xbf"), (utf::EncodingError{Problem::utf8_surrogate, 0}));
  EXPECT_EQ(utf8_error("xy\xf4\x90\x80\x80"), (utf::EncodingError{Problem::utf8_above_max, 2}));
}

TEST(Utf16, NulConvertsLikeAnyCodePoint) {
  // Where a string ends is the caller's business (wire_string.h).
  EXPECT_EQ(to_utf8(le16({'a', 0, 'b'})), std::string("a\0b", 3));
  EXPECT_EQ(to_utf16le(std::string_view("a\0b", 3)), le16({'a', 0, 'b'}));
}

}  // namespace kvp::utf16_test
