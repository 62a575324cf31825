// File: kvp/sysinfo/dhcp_state.h
//
// Whether DHCP(v4) configures an interface: GET_IP_INFO's dhcp_enabled.
// hv_kvp_daemon runs the script `hv_get_dhcp_info <if>` and sets
// dhcp_enabled = 1 when its output starts with "Enabled"
// (kvp_get_ipconfig_info). Upstream's script (tools/hv/hv_get_dhcp_info.sh,
// as reworked by Debian's maintainer, 2025) asks, in this order, and the
// first configuration system that manages the interface decides:
//   1. NetworkManager: `nmcli -g GENERAL.CONNECTION device show <if>` names
//      a connection, and its ipv4.method is "auto";
//   2. systemd-networkd: `networkctl status --json=short <if>` works and is
//      not "AdministrativeState":"unmanaged", and has a "DHCPv4Client";
//   3. ifupdown: `ifquery --state <if>` gives the applied configuration
//      name, and /etc/network/interfaces or a file under interfaces.d (name
//      of [a-zA-Z0-9_-]) has "iface <name> inet dhcp";
//   4. network-scripts: ifcfg-<if> exists and has ^\s*BOOTPROTO=.*dhcp;
//   5. otherwise Disabled.
// Without running anything, the same questions are answered from the files
// those tools read:
//   1. <nm_devices>/<ifindex> (NetworkManager's device state keyfile) has
//      connection-uuid=U; the connection keyfile with uuid=U (in
//      nm_connections) has [ipv4] method=auto, or no method (NM's default
//      is auto). A uuid whose keyfile is not found leaves NM undecided.
//   2. <networkd_links>/<ifindex> exists and ADMIN_STATE is not
//      "unmanaged": enabled when it records a DHCPv4 lease (DHCP_LEASE=) or
//      its NETWORK_FILE (and NETWORK_FILE_DROPINS, later ones winning)
//      sets [Network] DHCP= to yes/true/on/1/ipv4 (what creates networkd's
//      DHCPv4 client).
//   3. ifupdown_state (/run/network/ifstate, "if=config" lines) names the
//      interface's configuration; the configuration files are searched as
//      the script searches them.
//   4. <network_scripts>/ifcfg-<if>, as the script.
// `ifindex` comes from <sys_class_net>/<if>/ifindex.
//
// Usage:
//   auto dhcp = kvp::sysinfo::read_dhcp_state("eth0", paths);
//   info.dhcp_enabled = dhcp.enabled ? 1 : 0;
//   log("dhcp " + std::string(dhcp.enabled ? "on" : "off") + " per " + to_string(dhcp.decided_by));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kvp/sysinfo/report.h"
#include "kvp/sysinfo/system_paths.h"

namespace kvp::sysinfo {

enum class DhcpSource : std::uint8_t {
  none,              // no configuration system manages the interface: Disabled
  network_manager,
  systemd_networkd,
  ifupdown,
  network_scripts,
};

// "NetworkManager", "systemd-networkd", "ifupdown", "network-scripts", "none".
const char* to_string(DhcpSource source) noexcept;

struct DhcpState {
  bool enabled = false;
  DhcpSource decided_by = DhcpSource::none;
  std::string evidence;     // the file (and line) the answer rests on
  std::vector<Note> notes;  // files that could not be read or parsed on the way
};

DhcpState read_dhcp_state(std::string_view interface, const SystemPaths& paths);

}  // namespace kvp::sysinfo
