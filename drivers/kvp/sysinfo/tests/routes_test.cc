// Default gateways of one interface, as `ip route show dev X | awk
// '/default/ {print $3}'` gives them in kvp_get_ipconfig_info: the rows of
// /proc/net/route and /proc/net/ipv6_route for that interface only, routes
// without a gateway and unreachable defaults left out, malformed rows named.
#include <bit>

#include <gtest/gtest.h>

#include "kvp/sysinfo/routes.h"
#include "sysinfo_test_support.h"

namespace kvp::sysinfo::routes_test {

using test::fixture;

SystemPaths fixture_paths() {
  SystemPaths paths;
  paths.proc_net_route = fixture("proc/route");
  paths.proc_net_ipv6_route = fixture("proc/ipv6_route");
  return paths;
}

TEST(Routes, Ipv4DefaultsOfTheInterfaceOnly) {
  // The fixture's words are as a little-endian kernel prints them.
  if constexpr (std::endian::native != std::endian::little) GTEST_SKIP() << "fixture is little-endian";
  const auto gw = read_default_gateways("eth0", IpFamily::ipv4, fixture_paths());
  // eth1's default, the 192.0.2.0/24 route and the gateway-less default are not eth0's gateways.
  EXPECT_EQ(gw.gateways, (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
  ASSERT_EQ(gw.notes.size(), 2u);
  EXPECT_EQ(gw.notes[0].line, 6u);
  EXPECT_NE(gw.notes[0].text.find("not hexadecimal"), std::string::npos);
  EXPECT_EQ(gw.notes[1].line, 7u);
  EXPECT_NE(gw.notes[1].message().find("found 2; row skipped"), std::string::npos);

  EXPECT_EQ(read_default_gateways("eth1", IpFamily::ipv4, fixture_paths()).gateways,
            std::vector<std::string>{"198.51.100.1"});
  EXPECT_TRUE(read_default_gateways("eth2", IpFamily::ipv4, fixture_paths()).gateways.empty());
  // Names are compared whole.
  EXPECT_TRUE(read_default_gateways("eth", IpFamily::ipv4, fixture_paths()).gateways.empty());
}

TEST(Routes, Ipv6DefaultsOfTheInterfaceOnly) {
  const auto gw = read_default_gateways("eth0", IpFamily::ipv6, fixture_paths());
  EXPECT_EQ(gw.gateways, (std::vector<std::string>{"fd00::1", "fe80::211:22ff:fe33:4455"}));
  ASSERT_EQ(gw.notes.size(), 2u);
  EXPECT_EQ(gw.notes[0].line, 8u);  // a 31-digit destination
  EXPECT_EQ(gw.notes[1].line, 9u);  // a row cut short
  EXPECT_EQ(read_default_gateways("eth1", IpFamily::ipv6, fixture_paths()).gateways,
            std::vector<std::string>{"fe80::1"});
  // The kernel's "unreachable default" on lo (RTF_REJECT) is no gateway.
  EXPECT_TRUE(read_default_gateways("lo", IpFamily::ipv6, fixture_paths()).gateways.empty());
}

TEST(Routes, MissingTableIsEmptyUnreadableIsNamed) {
  test::TempDir dir;
  SystemPaths paths = SystemPaths::under(dir.path());
  const auto none = read_default_gateways("eth0", IpFamily::ipv6, paths);  // IPv6 disabled
  EXPECT_TRUE(none.gateways.empty());
  EXPECT_TRUE(none.notes.empty());
  std::filesystem::create_directories(paths.proc_net_route);  // a directory: cannot be read
  const auto bad = read_default_gateways("eth0", IpFamily::ipv4, paths);
  EXPECT_TRUE(bad.gateways.empty());
  ASSERT_EQ(bad.notes.size(), 1u);
  EXPECT_NE(bad.notes[0].message().find("proc/net/route"), std::string::npos);
}

TEST(Routes, GarbageNeverCrashes) {
  const std::string junk = std::string("Iface\n\x01\x02\xff\n") + std::string(4000, 'A') + "\n-1 -1 -1 -1 -1 -1 -1 -1\n" +
                           "eth0 00000000 1FFFFFFFF 0003 0 0 0 00000000\n" + "eth0 0x000000 01020304 0003 0 0 0 0\n";
  const auto v4 = parse_ipv4_default_gateways(junk, "eth0", "junk");
  EXPECT_TRUE(v4.gateways.empty());
  EXPECT_EQ(v4.notes.size(), 5u);
  const auto v6 = parse_ipv6_default_gateways(junk, "eth0", "junk");
  EXPECT_TRUE(v6.gateways.empty());
  EXPECT_EQ(v6.notes.size(), 6u);
}

}  // namespace kvp::sysinfo::routes_test
