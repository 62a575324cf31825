// File: kvp/sysinfo/routes.h
//
// The default gateways of one interface, read from the kernel's routing
// tables without running `ip`. hv_kvp_daemon's kvp_get_ipconfig_info runs
//   ip route show dev <if> | awk '/default/ {print $3}'           (IPv4)
//   ip -f inet6 route show dev <if> | awk '/default/ {print $3}'  (IPv6)
// i.e. the "via" address of each default route of the main table on that
// interface, in the kernel's order. The equivalents here:
//   - /proc/net/route (the main table, fib_route_seq_show): rows
//     "Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT"
//     with the addresses as the hex of the raw (network-order) 32-bit word;
//     a default route has Destination 0 and Mask 0, and a gateway RTF_GATEWAY.
//   - /proc/net/ipv6_route (ipv6_route_native_seq_show): rows
//     "dest plen src src_plen nexthop metric refcnt use flags dev", the
//     addresses as 32 hex digits; a default route has plen 0, a gateway
//     RTF_GATEWAY; RTF_REJECT rows (unreachable defaults) are not gateways.
// Differences from `ip`, on purpose: a default route without a gateway
// ("default dev eth0") has no address to report (awk would print a word of
// the route, such as "link"); /proc/net/ipv6_route lists every table, so an
// IPv6 default in a policy-routing table also counts.
// Rows that cannot be parsed are skipped with a note; a missing file (IPv6
// disabled) is an empty list.
//
// Usage:
//   auto gw = kvp::sysinfo::read_default_gateways("eth0", kvp::sysinfo::IpFamily::ipv4, paths);
//   // gw.gateways == {"192.0.2.1"}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kvp/sysinfo/interface_addresses.h"
#include "kvp/sysinfo/report.h"
#include "kvp/sysinfo/system_paths.h"

namespace kvp::sysinfo {

struct GatewayList {
  std::vector<std::string> gateways;  // inet_ntop text, in the file's order
  std::vector<Note> notes;
};

// On the text of /proc/net/route; `source` names it in notes.
GatewayList parse_ipv4_default_gateways(std::string_view text, std::string_view interface, std::string_view source);
// On the text of /proc/net/ipv6_route.
GatewayList parse_ipv6_default_gateways(std::string_view text, std::string_view interface, std::string_view source);

// paths.proc_net_route or paths.proc_net_ipv6_route.
GatewayList read_default_gateways(std::string_view interface, IpFamily family, const SystemPaths& paths);

}  // namespace kvp::sysinfo
