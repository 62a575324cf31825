// File: kvp/sysinfo/system_paths.h
//
// Every file and directory the KVP system readers look at, with the paths
// hv_kvp_daemon and its helper scripts use as defaults. Tests point them at
// fixture files; `under(root)` moves all of them below one directory (a
// fixture tree laid out like the real system).
//
// What reads what:
//   os_release, suse_release, redhat_release   kvp_get_os_info (os_release.h)
//   resolv_conf                                hv_get_dns_info (resolv_conf.h)
//   proc_net_route, proc_net_ipv6_route        `ip route show dev X` in kvp_get_ipconfig_info (routes.h)
//   sys_class_net                              kvp_mac_to_ip (adapter.h), ifindex for dhcp_state.h
//   nm_*, networkd_links, ifupdown_*,          hv_get_dhcp_info (dhcp_state.h)
//   network_scripts
//
// Usage:
//   kvp::sysinfo::SystemPaths paths;                          // the real system
//   auto fixture = kvp::sysinfo::SystemPaths::under("/tmp/root");
//   fixture.resolv_conf = "/tmp/other/resolv.conf";           // or one file at a time
//   auto info = kvp::sysinfo::read_ip_info("00:15:5D:01:02:03", kvp::kAddrFamilyNone, fixture);
#pragma once

#include <filesystem>
#include <vector>

namespace kvp::sysinfo {

struct SystemPaths {
  // kvp_get_os_info: /etc/os-release only (not /usr/lib/os-release), then the
  // two legacy files.
  std::filesystem::path os_release = "/etc/os-release";
  std::filesystem::path suse_release = "/etc/SuSE-release";
  std::filesystem::path redhat_release = "/etc/redhat-release";

  // hv_get_dns_info: awk '/^nameserver/ { print $2 }' /etc/resolv.conf
  std::filesystem::path resolv_conf = "/etc/resolv.conf";

  // The main routing table (IPv4) and the IPv6 FIB, in place of `ip route`.
  std::filesystem::path proc_net_route = "/proc/net/route";
  std::filesystem::path proc_net_ipv6_route = "/proc/net/ipv6_route";

  // KVP_NET_DIR: <name>/address (the MAC), <name>/ifindex.
  std::filesystem::path sys_class_net = "/sys/class/net";

  // hv_get_dhcp_info's four checks, in its order (dhcp_state.h).
  // NetworkManager: devices/<ifindex> names the connection; its keyfile is
  // found in one of the connection directories.
  std::filesystem::path nm_devices = "/run/NetworkManager/devices";
  std::vector<std::filesystem::path> nm_connections = {
      "/etc/NetworkManager/system-connections",
      "/run/NetworkManager/system-connections",
      "/usr/lib/NetworkManager/system-connections",
  };
  // systemd-networkd: links/<ifindex> (ADMIN_STATE, NETWORK_FILE, DHCP_LEASE).
  std::filesystem::path networkd_links = "/run/systemd/netif/links";
  // ifupdown: ifstate (what `ifquery --state` reads) and the configuration.
  std::filesystem::path ifupdown_state = "/run/network/ifstate";
  std::filesystem::path ifupdown_interfaces = "/etc/network/interfaces";
  std::filesystem::path ifupdown_interfaces_d = "/etc/network/interfaces.d";
  // Red Hat network-scripts: ifcfg-<name>.
  std::filesystem::path network_scripts = "/etc/sysconfig/network-scripts";

  // The defaults, each prefixed with `root` ("/etc/os-release" becomes
  // root/"etc/os-release"). Paths found inside state files (a networkd
  // NETWORK_FILE) are used as written.
  static SystemPaths under(const std::filesystem::path& root);
};

}  // namespace kvp::sysinfo
