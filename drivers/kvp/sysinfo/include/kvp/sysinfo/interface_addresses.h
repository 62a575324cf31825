// File: kvp/sysinfo/interface_addresses.h
//
// The machine's IPv4 and IPv6 addresses from getifaddrs(3), in its order
// (glibc lists every interface's IPv4 addresses, then the IPv6 ones), and
// the AUTO pool's NetworkAddressIPv4 / NetworkAddressIPv6 values built from
// them as hv_kvp_daemon's kvp_get_ip_info(family, NULL, KVP_OP_ENUMERATE)
// builds them:
//   - entries without an address, of other families, or on an interface
//     flagged IFF_LOOPBACK are skipped (so 127.0.0.1 and ::1 never appear;
//     link-local fe80:: addresses do);
//   - each address is inet_ntop's text, joined with ';' (no trailing ';');
//   - kvp_process_ip_address stops adding once fewer than
//     INET_ADDRSTRLEN + 2 (IPv4) or INET6_ADDRSTRLEN + 2 (IPv6) bytes of the
//     2048-byte value are left, counting each address as its length + 1;
//   - and, here, before the list passes kAutoValueChars: the kernel sends at
//     most (HV_KVP_EXCHANGE_MAX_VALUE_SIZE / 2) - 2 UTF-16 units of a value
//     (hv_kvp.c kvp_respond_to_host) and would cut the daemon's longer list
//     in the middle of an address; this list ends at a whole address.
// The daemon reads the addresses again on every ENUMERATE of index 2 and 3.
//
// Usage:
//   auto addrs = kvp::sysinfo::read_interface_addresses();
//   if (!addrs) return log(addrs.error().message());
//   std::string v4 = kvp::sysinfo::network_address_list(*addrs, kvp::sysinfo::IpFamily::ipv4);
//   // "192.0.2.2;198.51.100.7"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kvp/sysinfo/report.h"

namespace kvp::sysinfo {

enum class IpFamily : std::uint8_t { ipv4, ipv6 };

// The ADDR_FAMILY_* bit of a family (kvp/protocol/kvp_msg.h).
std::uint8_t addr_family_bit(IpFamily family) noexcept;

struct InterfaceAddress {
  std::string interface;  // ifa_name
  IpFamily family = IpFamily::ipv4;
  std::string address;    // inet_ntop of ifa_addr
  std::string netmask;    // inet_ntop of ifa_netmask; "" when getifaddrs gave none
  int prefix_length = -1; // bits set in ifa_netmask (the daemon's hweight32 sum); -1 when none
  bool loopback = false;  // IFF_LOOPBACK on the interface
  friend bool operator==(const InterfaceAddress&, const InterfaceAddress&) = default;
};

// Every AF_INET and AF_INET6 entry getifaddrs returns, loopback included
// (flagged), in getifaddrs' order.
SysinfoResult<std::vector<InterfaceAddress>> read_interface_addresses();

// The daemon's buffer: HV_KVP_EXCHANGE_MAX_VALUE_SIZE, which is also
// MAX_IP_ADDR_SIZE * 2, the length it gives ip_addr and sub_net.
inline constexpr std::size_t kAddressListBytes = 2048;
// What the kernel carries of an AUTO pool value: (2048 / 2) - 2 UTF-16 units.
inline constexpr std::size_t kAutoValueChars = 1022;

// NetworkAddressIPv4 / NetworkAddressIPv6 from `addresses`. When the limits
// above drop addresses, a note in `notes` (if given) says how many.
std::string network_address_list(const std::vector<InterfaceAddress>& addresses, IpFamily family,
                                 std::vector<Note>* notes = nullptr);

}  // namespace kvp::sysinfo
