// Guid: the wire layout (as the kernel's GUID_INIT lays it out), every text
// form sysfs and users give, rejection of everything else, ordering, hashing.
#include "vmbus/device/guid.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

using vmbus::Guid;

constexpr const char* kNic = "f8615163-df3e-46c5-913f-f2d2f965ed0e";

TEST(DeviceGuid, WireLayoutMatchesGuidInit) {
  // GUID_INIT(0xf8615163, 0xdf3e, 0x46c5, 0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e)
  // (include/linux/hyperv.h: HV_NIC_GUID): the first three fields little-endian.
  const Guid::Bytes expected = {0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46,
                                0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e};
  const std::optional<Guid> g = Guid::parse(kNic);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->bytes(), expected);
  EXPECT_EQ(Guid(expected), *g);
}

TEST(DeviceGuid, ParsesBracedUnbracedAnyCase) {
  const Guid g = Guid::parse(kNic).value();
  EXPECT_EQ(Guid::parse("{f8615163-df3e-46c5-913f-f2d2f965ed0e}"), g);
  EXPECT_EQ(Guid::parse("F8615163-DF3E-46C5-913F-F2D2F965ED0E"), g);
  EXPECT_EQ(Guid::parse("{F8615163-df3E-46c5-913F-f2d2F965ed0e}"), g);
}

TEST(DeviceGuid, PrintsAsTheKernelDoes) {
  const Guid g = Guid::parse("{F8615163-DF3E-46C5-913F-F2D2F965ED0E}").value();
  EXPECT_EQ(g.str(), kNic);                                         // %pUl: the directory name
  EXPECT_EQ(g.braced(), "{f8615163-df3e-46c5-913f-f2d2f965ed0e}");  // class_id_show without "\n"
  std::ostringstream out;
  out << g;
  EXPECT_EQ(out.str(), kNic);
  EXPECT_EQ(Guid().str(), "00000000-0000-0000-0000-000000000000");
  EXPECT_TRUE(Guid().is_nil());
  EXPECT_FALSE(g.is_nil());
}

TEST(DeviceGuid, RejectsMalformedTextWithoutThrowing) {
  const std::vector<std::string> bad = {
      "",
      "f8615163-df3e-46c5-913f-f2d2f965ed0e\n",    // the newline sysfs adds: the reader trims it
      " f8615163-df3e-46c5-913f-f2d2f965ed0e",     // leading space
      "f8615163-df3e-46c5-913f-f2d2f965ed0",       // one digit short
      "f8615163-df3e-46c5-913f-f2d2f965ed0e0",     // one digit long
      "f8615163df3e-46c5-913f-f2d2f965ed0e-",      // dash moved
      "f8615163-df3e-46c5-913f+f2d2f965ed0e",      // wrong separator
      "g8615163-df3e-46c5-913f-f2d2f965ed0e",      // not hex
      "{f8615163-df3e-46c5-913f-f2d2f965ed0e",     // one brace
      "f8615163-df3e-46c5-913f-f2d2f965ed0e}",     // the other brace
      "{{f8615163-df3e-46c5-913f-f2d2f965ed0e}}",  // two pairs
      "(f8615163-df3e-46c5-913f-f2d2f965ed0e)",    // not braces
      "f8615163df3e46c5913ff2d2f965ed0e",          // no dashes (modalias style)
      std::string("f8615163-df3e-46c5-913f-f2d2f965ed0\0", 36),
  };
  for (const std::string& text : bad) EXPECT_FALSE(Guid::parse(text)) << "\"" << text << "\"";
}

TEST(DeviceGuid, ParsesAtCompileTime) {
  constexpr Guid g = Guid::parse("f8615163-df3e-46c5-913f-f2d2f965ed0e").value();
  static_assert(g.bytes()[0] == 0x63 && g.bytes()[3] == 0xf8 && g.bytes()[15] == 0x0e);
  static_assert(!Guid::parse("nonsense").has_value());
  SUCCEED();
}

TEST(DeviceGuid, OrdersAsTheTextDoes) {
  // Byte order and text order disagree on purpose: the first field is little-endian.
  std::vector<std::string> texts = {
      "00000002-0000-0000-0000-000000000000", "00000100-0000-0000-0000-000000000000",
      "01000000-0000-0000-0000-000000000000", "00000001-0000-0000-0000-000000000001",
      "00000001-0000-0000-0000-000000000000", "00000001-0001-0000-0000-000000000000"};
  std::vector<Guid> guids;
  for (const std::string& t : texts) guids.push_back(Guid::parse(t).value());
  std::sort(guids.begin(), guids.end());
  std::sort(texts.begin(), texts.end());
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(guids[i].str(), texts[i]);
  EXPECT_LT(guids[0], guids[1]);
  EXPECT_NE(guids[0], guids[1]);
}

TEST(DeviceGuid, HashesForUnorderedContainers) {
  std::unordered_set<Guid> set;
  for (int i = 0; i < 100; ++i) {
    char text[40];
    std::snprintf(text, sizeof text, "%08x-0000-4000-8000-%012x", static_cast<unsigned>(i * 7919),
                  static_cast<unsigned>(i));
    ASSERT_TRUE(set.insert(Guid::parse(text).value()).second);
  }
  EXPECT_EQ(set.size(), 100u);
  EXPECT_EQ(set.count(Guid::parse("00000000-0000-4000-8000-000000000000").value()), 1u);
  EXPECT_EQ(std::hash<Guid>{}(Guid::parse(kNic).value()), std::hash<Guid>{}(Guid::parse(kNic).value()));
}

}  // namespace
