// File: kvp/sysinfo/ip_info.h
//
// The answer to the host's GET_IP_INFO, from the guest's real interfaces, as
// hv_kvp_daemon builds it (kvp_mac_to_ip -> kvp_get_ip_info(0, if_name,
// KVP_OP_GET_IP_INFO) -> kvp_get_ipconfig_info):
//   - the interface: the entries of /sys/class/net whose MAC is the adapter
//     id (adapter.h); the first with an address answers. None matching is an
//     error (HV_E_FAIL). Matching entries without any address give a
//     successful, empty answer (addr_family 0), as the daemon's does. The
//     loopback's addresses never count (IFF_LOOPBACK is skipped).
//   - adapter_id: echoed (the daemon leaves it as received).
//   - ip_addr: the interface's IPv4 and IPv6 addresses in getifaddrs order,
//     ';'-joined, with the daemon's length rule (interface_addresses.h).
//   - sub_net: one entry per address, same order: IPv4 the netmask in dotted
//     form ("255.255.255.0"), IPv6 "/<prefix length>" ("/64").
//   - addr_family: ADDR_FAMILY_IPV4 | ADDR_FAMILY_IPV6 for the families found.
//     The daemon asks for both families whatever the host's request says
//     (kvp_mac_to_ip passes family 0); pass kAddrFamilyNone to do the same,
//     or one family to answer for that one only.
//   - gate_way: the interface's IPv4 default gateways, then its IPv6 ones
//     (routes.h), each FOLLOWED by ';' ("192.0.2.1;fd00::1;"), as
//     kvp_process_ipconfig_file appends ";" to every line the command
//     prints; 1024 bytes (MAX_GATEWAY_SIZE * 2), stopping when less than
//     INET(6)_ADDRSTRLEN + 1 bytes are left.
//   - dns_addr: resolv.conf's servers (resolv_conf.h), each followed by ';';
//     2048 bytes, INET_ADDRSTRLEN + 1 kept free.
//   Every string also stays within its UTF-16 array with the NUL (1023
//   units, gate_way 511): the daemon's byte buffers are twice the arrays the
//   kernel copies them into (process_ob_ipinfo), which would cut them
//   mid-address and without a NUL; here they end at a whole address.
//   - dhcp_enabled: dhcp_state.h.
//   gate_way, dns_addr and dhcp_enabled are gathered only when the interface
//   has an address (the daemon gathers them inside its per-address loop).
// Differences, on purpose: interface names are compared whole (the daemon's
// strncmp on strlen(if_name) also takes eth10's addresses for eth1); an
// address list that reaches its limit is cut with a note (the daemon fails
// the whole request when ip_addr overflows).
//
// Usage:
//   auto r = kvp::sysinfo::read_ip_info(req.adapter_id, kvp::kAddrFamilyNone);
//   if (!r) return reply_status(r.error().hresult());     // unknown MAC: HV_E_FAIL
//   reply_ip_info(r->info);   // ip_addr "192.0.2.2;fd00::2;fe80::fc:ff:fe00:1", sub_net "255.255.255.0;/64;/64"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kvp/protocol/requests.h"
#include "kvp/sysinfo/dhcp_state.h"
#include "kvp/sysinfo/interface_addresses.h"
#include "kvp/sysinfo/report.h"
#include "kvp/sysinfo/system_paths.h"

namespace kvp::sysinfo {

// MAX_GATEWAY_SIZE * 2: the bytes the daemon gives gate_way.
inline constexpr std::size_t kGatewayListBytes = 1024;

struct IpInfoReport {
  kvp::IpInfo info;
  std::string interface;                    // the interface answered for; "" if none had an address
  std::vector<std::string> matched;         // every interface with the adapter's MAC
  DhcpState dhcp;                           // how dhcp_enabled was decided
  std::vector<Note> notes;                  // everything skipped on the way
};

// `families`: kAddrFamilyNone (both, as the daemon), kAddrFamilyIpv4,
// kAddrFamilyIpv6, or both bits. Reads getifaddrs now.
SysinfoResult<IpInfoReport> read_ip_info(std::string_view adapter_id, std::uint8_t families = kAddrFamilyNone,
                                         const SystemPaths& paths = {});

// The same with the address list given (a snapshot, or a test's).
SysinfoResult<IpInfoReport> read_ip_info(std::string_view adapter_id, std::uint8_t families,
                                         const SystemPaths& paths, const std::vector<InterfaceAddress>& addresses);

}  // namespace kvp::sysinfo
