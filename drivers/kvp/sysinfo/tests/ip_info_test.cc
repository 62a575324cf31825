// GET_IP_INFO answers built from a fixture tree (sysfs MACs, route tables,
// resolv.conf, an ifcfg file) and a given address list, so every field can
// be checked exactly: which interface a MAC names (case, separators, a VF
// sharing the MAC, the loopback), the daemon's list formats, the family
// filter, the error for an unknown adapter, and the wire's length limits.
#include <bit>

#include <gtest/gtest.h>

#include "kvp/protocol/ic.h"
#include "kvp/sysinfo/ip_info.h"
#include "sysinfo_test_support.h"

namespace kvp::sysinfo::ip_info_test {

InterfaceAddress v4(std::string name, std::string address, std::string mask, int prefix, bool loopback = false) {
  return {std::move(name), IpFamily::ipv4, std::move(address), std::move(mask), prefix, loopback};
}
InterfaceAddress v6(std::string name, std::string address, int prefix, bool loopback = false) {
  return {std::move(name), IpFamily::ipv6, std::move(address), "ffff:ffff:ffff:ffff::", prefix, loopback};
}

class IpInfoFixture : public ::testing::Test {
 protected:
  test::TempDir root;
  SystemPaths paths = SystemPaths::under(root.path());
  // getifaddrs order: every IPv4 address, then every IPv6 one.
  std::vector<InterfaceAddress> addresses = {
      v4("lo", "127.0.0.1", "255.0.0.0", 8, true),
      v4("eth0", "192.0.2.2", "255.255.255.0", 24),
      v4("eth1", "198.51.100.7", "255.255.255.0", 24),
      v4("eth0", "192.0.2.50", "255.255.255.128", 25),
      v4("eth10", "203.0.113.9", "255.255.255.0", 24),
      v6("lo", "::1", 128, true),
      v6("eth0", "fd00::2", 64),
      v6("eth0", "fe80::215:5dff:fe0a:b0c", 64),
  };

  void SetUp() override {
    root.write("sys/class/net/lo/address", "00:00:00:00:00:00\n");
    root.write("sys/class/net/eth0/address", "00:15:5d:0a:0b:0c\n");
    root.write("sys/class/net/eth0/ifindex", "2\n");
    root.write("sys/class/net/enP1s1/address", "00:15:5d:0a:0b:0c\n");  // its VF: same MAC, no address
    root.write("sys/class/net/eth1/address", "00:15:5d:0a:0b:0d\n");
    root.write("sys/class/net/eth10/address", "00:15:5d:0a:0b:10\n");
    root.write("sys/class/net/wg0/address", "\n");  // a device without a MAC
    root.write("proc/net/route", test::read_file(test::fixture("proc/route")));
    root.write("proc/net/ipv6_route", test::read_file(test::fixture("proc/ipv6_route")));
    root.write("etc/resolv.conf", test::read_file(test::fixture("etc/resolv.conf")));
    root.write("etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\n");
  }

  IpInfoReport ok(std::string_view adapter, std::uint8_t families = kvp::kAddrFamilyNone) const {
    auto r = read_ip_info(adapter, families, paths, addresses);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : IpInfoReport{};
  }
};

TEST_F(IpInfoFixture, EveryFieldAsTheDaemonFormatsIt) {
  if constexpr (std::endian::native != std::endian::little) GTEST_SKIP() << "route fixture is little-endian";
  const IpInfoReport r = ok("00:15:5D:0A:0B:0C");
  kvp::IpInfo want;
  want.adapter_id = "00:15:5D:0A:0B:0C";
  want.addr_family = kvp::kAddrFamilyIpv4 | kvp::kAddrFamilyIpv6;
  want.dhcp_enabled = 1;
  want.ip_addr = "192.0.2.2;192.0.2.50;fd00::2;fe80::215:5dff:fe0a:b0c";
  want.sub_net = "255.255.255.0;255.255.255.128;/64;/64";
  want.gate_way = "192.0.2.1;192.0.2.2;fd00::1;fe80::211:22ff:fe33:4455;";  // each followed by ';'
  want.dns_addr = "10.255.255.53;2001:db8::53;fe80::1%eth0;198.51.100.53;";
  EXPECT_EQ(r.info, want);
  EXPECT_EQ(r.interface, "eth0");  // enP1s1 matched first but has no address
  EXPECT_EQ(r.matched, (std::vector<std::string>{"enP1s1", "eth0"}));
  EXPECT_EQ(r.dhcp.decided_by, DhcpSource::network_scripts);
  EXPECT_EQ(r.notes.size(), 6u);  // the fixtures' malformed route rows and resolv.conf lines, each named
}

TEST_F(IpInfoFixture, OneFamilyWhenAsked) {
  if constexpr (std::endian::native != std::endian::little) GTEST_SKIP() << "route fixture is little-endian";
  const IpInfoReport r = ok("00:15:5D:0A:0B:0C", kvp::kAddrFamilyIpv4);
  EXPECT_EQ(r.info.addr_family, kvp::kAddrFamilyIpv4);
  EXPECT_EQ(r.info.ip_addr, "192.0.2.2;192.0.2.50");
  EXPECT_EQ(r.info.sub_net, "255.255.255.0;255.255.255.128");
  EXPECT_EQ(r.info.gate_way, "192.0.2.1;192.0.2.2;");
  const IpInfoReport r6 = ok("00:15:5D:0A:0B:0C", kvp::kAddrFamilyIpv6);
  EXPECT_EQ(r6.info.addr_family, kvp::kAddrFamilyIpv6);
  EXPECT_EQ(r6.info.ip_addr, "fd00::2;fe80::215:5dff:fe0a:b0c");
  EXPECT_EQ(r6.info.gate_way, "fd00::1;fe80::211:22ff:fe33:4455;");
}

TEST_F(IpInfoFixture, InterfaceNamesCompareWhole) {
  if constexpr (std::endian::native != std::endian::little) GTEST_SKIP() << "route fixture is little-endian";
  const IpInfoReport r = ok("00:15:5D:0A:0B:0D");
  EXPECT_EQ(r.interface, "eth1");
  EXPECT_EQ(r.info.ip_addr, "198.51.100.7");  // not eth10's 203.0.113.9
  EXPECT_EQ(r.info.addr_family, kvp::kAddrFamilyIpv4);
  EXPECT_EQ(r.info.gate_way, "198.51.100.1;fe80::1;");
  EXPECT_EQ(r.info.dhcp_enabled, 0);
}

TEST_F(IpInfoFixture, UnknownAdapterIsTheDaemonsFailure) {
  for (std::string_view id : {"00:15:5D:0A:0B:0E", "00:15:5d:0a:0b:0c", "00-15-5D-0A-0B-0C", ""}) {
    auto r = read_ip_info(id, kvp::kAddrFamilyNone, paths, addresses);
    ASSERT_FALSE(r.ok()) << id;
    EXPECT_EQ(r.error().code, SysinfoErrc::unknown_adapter);
    EXPECT_EQ(r.error().hresult(), kvp::ic::kHvEFail);  // 0x80004005, kvp_mac_to_ip's HV_E_FAIL
    EXPECT_NE(r.error().message().find(std::string(id)), std::string::npos);
  }
}

TEST_F(IpInfoFixture, LoopbackAndAddresslessInterfacesGiveAnEmptySuccess) {
  const IpInfoReport lo = ok("00:00:00:00:00:00");
  EXPECT_EQ(lo.matched, std::vector<std::string>{"lo"});
  kvp::IpInfo empty;
  empty.adapter_id = "00:00:00:00:00:00";
  EXPECT_EQ(lo.info, empty);  // IFF_LOOPBACK addresses never count; no gateway, DNS or DHCP gathered
  EXPECT_EQ(lo.interface, "");

  root.write("sys/class/net/vf9/address", "00:15:5d:99:99:99\n");
  const IpInfoReport vf = ok("00:15:5D:99:99:99");
  EXPECT_EQ(vf.info.addr_family, kvp::kAddrFamilyNone);
  EXPECT_EQ(vf.info.ip_addr, "");
}

TEST_F(IpInfoFixture, LongListsEndAtAWholeAddressWithinTheWireArray) {
  std::vector<InterfaceAddress> many;
  for (int i = 0; i < 60; ++i) {
    char text[64];
    std::snprintf(text, sizeof text, "2001:db8:1234:5678:9abc:def0:1234:%04x", i);
    many.push_back(v6("eth0", text, 64));
  }
  auto r = read_ip_info("00:15:5D:0A:0B:0C", kvp::kAddrFamilyNone, paths, many);
  ASSERT_TRUE(r.ok());
  // 38 characters and a ';' each: 26 fit in ip_addr's 1023 UTF-16 units (the
  // daemon's 2048 bytes would not fit the kernel's array).
  EXPECT_EQ(r->info.ip_addr.size(), 26u * 39u - 1u);
  EXPECT_EQ(r->info.ip_addr.substr(r->info.ip_addr.size() - 5), ":0019");
  EXPECT_EQ(r->info.sub_net.size(), 26u * 4u - 1u);  // one "/64" per address kept
  bool noted = false;
  for (const auto& n : r->notes) noted = noted || n.text.find("34 address(es) left out") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST_F(IpInfoFixture, UnreadableSysfsIsAnIoErrorNamingIt) {
  paths.sys_class_net = root.path() / "no/such/dir";
  auto r = read_ip_info("00:15:5D:0A:0B:0C", kvp::kAddrFamilyNone, paths, addresses);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, SysinfoErrc::io_error);
  EXPECT_EQ(r.error().hresult(), kvp::ic::kHvEFail);
  EXPECT_NE(r.error().message().find("no/such/dir: opendir"), std::string::npos);
}

}  // namespace kvp::sysinfo::ip_info_test
