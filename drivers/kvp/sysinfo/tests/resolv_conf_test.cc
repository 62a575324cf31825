// DNS servers as hv_get_dns_info prints them (awk '/^nameserver/ { print
// $2 }' /etc/resolv.conf): comments, options and search lines ignored, IPv6
// servers and zones kept, trailing comments cut, and the lines the script
// would pass on as garbage skipped with a note.
#include <gtest/gtest.h>

#include "kvp/sysinfo/resolv_conf.h"
#include "sysinfo_test_support.h"

namespace kvp::sysinfo::resolv_conf_test {

using test::fixture;

const std::vector<std::string> kExpected = {"10.255.255.53", "2001:db8::53", "fe80::1%eth0", "198.51.100.53"};

TEST(ResolvConf, NameserversInFileOrder) {
  SystemPaths paths;
  paths.resolv_conf = fixture("etc/resolv.conf");
  const Nameservers dns = read_nameservers(paths);
  EXPECT_EQ(dns.addresses, kExpected);
  ASSERT_EQ(dns.notes.size(), 2u);
  EXPECT_EQ(dns.notes[0].message(), paths.resolv_conf.string() + ":10: nameserver without an address; skipped");
  EXPECT_EQ(dns.notes[1].line, 11u);
  EXPECT_NE(dns.notes[1].text.find("not-an-address"), std::string::npos);
}

TEST(ResolvConf, SameAsTheDaemonsScriptExceptTheSkippedLines) {
  // Run hv_get_dns_info's own pipeline on the fixture; it differs only by
  // the empty line and the non-address the parser refuses (and the '\r' a
  // CRLF line keeps in awk).
  const auto awk = test::command_lines("awk '/^nameserver/ { print $2 }' '" +
                                       fixture("etc/resolv.conf").string() + "' 2>/dev/null");
  if (!awk) GTEST_SKIP() << "awk cannot be run here";
  std::vector<std::string> script;
  for (auto line : *awk) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line == "not-an-address") continue;
    script.push_back(line);
  }
  EXPECT_EQ(script, kExpected);
}

TEST(ResolvConf, MissingFileIsNoServersAndNoNote) {
  test::TempDir dir;
  SystemPaths paths = SystemPaths::under(dir.path());
  const Nameservers dns = read_nameservers(paths);
  EXPECT_TRUE(dns.addresses.empty());
  EXPECT_TRUE(dns.notes.empty());
}

TEST(ResolvConf, OnlyColumnZeroNameserverCounts) {
  const Nameservers dns = parse_nameservers(
      "  nameserver 192.0.2.1\n\tnameserver 192.0.2.2\n# nameserver 192.0.2.3\nnameserver\t192.0.2.4\t# x\n", "t");
  EXPECT_EQ(dns.addresses, std::vector<std::string>{"192.0.2.4"});
  EXPECT_TRUE(dns.notes.empty());
}

TEST(ResolvConf, GarbageNeverCrashes) {
  std::string junk = "nameserver";
  for (int i = 0; i < 256; ++i) junk.push_back(static_cast<char>(i));
  junk += "\nnameserver \xff\xfe\nnameserver %\nnameserver ::1%\nnameserver 1.2.3.4.5\n";
  const Nameservers dns = parse_nameservers(junk, "junk");
  EXPECT_TRUE(dns.addresses.empty());
  EXPECT_EQ(dns.notes.size(), 5u);
}

}  // namespace kvp::sysinfo::resolv_conf_test
