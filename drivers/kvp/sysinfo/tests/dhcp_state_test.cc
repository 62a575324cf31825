// dhcp_enabled as hv_get_dhcp_info decides it, from the files each
// configuration system keeps: NetworkManager, systemd-networkd, ifupdown,
// network-scripts, asked in that order, the first that manages the
// interface deciding. Each test builds a small tree laid out like /.
#include <gtest/gtest.h>

#include "kvp/sysinfo/dhcp_state.h"
#include "sysinfo_test_support.h"

namespace kvp::sysinfo::dhcp_test {

constexpr std::string_view kUuid = "5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03";

class Dhcp : public ::testing::Test {
 protected:
  test::TempDir root;
  SystemPaths paths = SystemPaths::under(root.path());

  void SetUp() override { root.write("sys/class/net/eth0/ifindex", "2\n"); }

  void nm_device(std::string_view extra = "") const {
    root.write("run/NetworkManager/devices/2",
               "[device]\nmanaged=true\nconnection-uuid=" + std::string(kUuid) + "\n" + std::string(extra));
  }
  void nm_connection(std::string_view ipv4_section) const {
    root.write("etc/NetworkManager/system-connections/Wired connection 1.nmconnection",
               "[connection]\nid=Wired connection 1\nuuid=" + std::string(kUuid) +
                   "\ntype=ethernet\ninterface-name=eth0\n\n[ethernet]\n\n" + std::string(ipv4_section) +
                   "\n[ipv6]\nmethod=auto\n");
  }
  // A networkd link state file naming a .network file (absolute, as networkd writes it).
  void networkd_link(std::string_view admin_state, std::string_view dhcp, std::string_view more = "") const {
    const auto network = root.write("etc/systemd/network/10-eth0.network",
                                    "[Match]\nName=eth0\n\n[Network]\nDHCP=" + std::string(dhcp) + "\n");
    root.write("run/systemd/netif/links/2", "# This is private data. Do not parse.\nADMIN_STATE=" +
                                                std::string(admin_state) + "\nOPER_STATE=routable\nNETWORK_FILE=" +
                                                network.string() + "\n" + std::string(more));
  }
  void ifupdown(std::string_view state, std::string_view file, std::string_view text) const {
    root.write("run/network/ifstate", state);
    root.write("etc/network/interfaces", "auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n");
    root.write(file, text);
  }
  DhcpState dhcp() const { return read_dhcp_state("eth0", paths); }
};

TEST_F(Dhcp, NothingManagesTheInterface) {
  const auto s = dhcp();
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.decided_by, DhcpSource::none);
  EXPECT_TRUE(s.notes.empty());
}

TEST_F(Dhcp, NetworkManagerAuto) {
  nm_device();
  nm_connection("[ipv4]\nmethod=auto\n");
  const auto s = dhcp();
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.decided_by, DhcpSource::network_manager);
  EXPECT_NE(s.evidence.find("method=auto"), std::string::npos);
}

TEST_F(Dhcp, NetworkManagerManualWinsOverIfupdownDhcp) {
  nm_device();
  nm_connection("[ipv4]\naddress1=192.0.2.2/24,192.0.2.1\nmethod=manual\n");
  ifupdown("eth0=eth0\n", "etc/network/interfaces.d/eth0", "iface eth0 inet dhcp\n");
  const auto s = dhcp();
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.decided_by, DhcpSource::network_manager);
}

TEST_F(Dhcp, NetworkManagerWithoutMethodMeansAuto) {
  nm_device();
  nm_connection("");
  EXPECT_TRUE(dhcp().enabled);
}

TEST_F(Dhcp, NetworkManagerUnknownConnectionFallsThrough) {
  nm_device();  // no keyfile with that uuid
  root.write("etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\n");
  const auto s = dhcp();
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.decided_by, DhcpSource::network_scripts);
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_NE(s.notes[0].text.find(kUuid), std::string::npos);
}

TEST_F(Dhcp, NetworkManagerUnmanagedDeviceFallsThrough) {
  nm_device("managed=false\n");
  nm_connection("[ipv4]\nmethod=auto\n");
  EXPECT_EQ(dhcp().decided_by, DhcpSource::none);
}

TEST_F(Dhcp, NetworkdDhcpYes) {
  networkd_link("configured", "yes");
  const auto s = dhcp();
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.decided_by, DhcpSource::systemd_networkd);
  EXPECT_NE(s.evidence.find("10-eth0.network:5: DHCP=yes"), std::string::npos);
}

TEST_F(Dhcp, NetworkdIpv6OnlyIsNotDhcpv4) {
  networkd_link("configured", "ipv6");
  const auto s = dhcp();
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.decided_by, DhcpSource::systemd_networkd);
}

TEST_F(Dhcp, NetworkdDropInOverridesAndLeaseProves) {
  const auto dropin = root.write("etc/systemd/network/10-eth0.network.d/dhcp.conf", "[Network]\nDHCP=ipv4\n");
  networkd_link("configured", "no", "NETWORK_FILE_DROPINS=\"" + dropin.string() + "\"\n");
  EXPECT_TRUE(dhcp().enabled);

  networkd_link("configuring", "no", "DHCP_LEASE=/run/systemd/netif/leases/2\n");
  const auto s = dhcp();
  EXPECT_TRUE(s.enabled);
  EXPECT_NE(s.evidence.find("DHCP_LEASE="), std::string::npos);
}

TEST_F(Dhcp, NetworkdUnmanagedFallsThrough) {
  networkd_link("unmanaged", "yes");
  ifupdown("eth0=eth0\n", "etc/network/interfaces.d/eth0", "allow-hotplug eth0\n  iface eth0 inet dhcp\n");
  const auto s = dhcp();
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.decided_by, DhcpSource::ifupdown);
  EXPECT_NE(s.evidence.find("interfaces.d/eth0:2"), std::string::npos);
}

TEST_F(Dhcp, IfupdownStaticAndNamedConfiguration) {
  ifupdown("lo=lo\neth0=eth0\n", "etc/network/interfaces.d/eth0",
           "iface eth0 inet static\n  address 192.0.2.2/24\niface eth0 inet6 dhcp\n");
  auto s = dhcp();
  EXPECT_FALSE(s.enabled);  // inet6 dhcp is not DHCPv4
  EXPECT_EQ(s.decided_by, DhcpSource::ifupdown);

  // `ifquery --state` gives the logical name the interface was brought up with.
  ifupdown("eth0=work\n", "etc/network/interfaces.d/work", "iface work inet dhcp\n");
  EXPECT_TRUE(dhcp().enabled);
}

TEST_F(Dhcp, IfupdownIgnoresFileNamesTheScriptSkips) {
  // find -regex '.*/[a-zA-Z0-9_-]+$': "eth0.cfg" is not searched.
  ifupdown("eth0=eth0\n", "etc/network/interfaces.d/eth0.cfg", "iface eth0 inet dhcp\n");
  const auto s = dhcp();
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.decided_by, DhcpSource::ifupdown);
}

TEST_F(Dhcp, IfupdownNotUpFallsThrough) {
  ifupdown("lo=lo\n", "etc/network/interfaces.d/eth0", "iface eth0 inet dhcp\n");
  EXPECT_EQ(dhcp().decided_by, DhcpSource::none);
}

TEST_F(Dhcp, NetworkScriptsBootproto) {
  root.write("etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\n  BOOTPROTO=\"dhcp\"\n");
  EXPECT_TRUE(dhcp().enabled);
  root.write("etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=none\n# was dhcp\n");
  const auto s = dhcp();
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.decided_by, DhcpSource::network_scripts);
}

TEST_F(Dhcp, NotAnInterfaceName) {
  const auto s = read_dhcp_state("../eth0", paths);
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.decided_by, DhcpSource::none);
  EXPECT_EQ(s.notes.size(), 1u);
}

TEST_F(Dhcp, MalformedStateFilesNeverCrash) {
  root.write("sys/class/net/eth0/ifindex", "two\n");  // NM and networkd cannot be asked
  root.write("run/network/ifstate", "\xff\xfe=\n=\n\n");
  root.write("etc/sysconfig/network-scripts/ifcfg-eth0", std::string("BOOTPROTO=\0dhcp", 15));
  const auto s = dhcp();
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.decided_by, DhcpSource::network_scripts);
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_NE(s.notes[0].text.find("not a decimal interface index"), std::string::npos);
}

}  // namespace kvp::sysinfo::dhcp_test
