// getifaddrs(3) as a list, and the AUTO pool's address values.
#include "kvp/sysinfo/interface_addresses.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "address_list.h"
#include "kvp/protocol/kvp_msg.h"

namespace kvp::sysinfo {
namespace {

std::string ntop(int family, const void* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(family, addr, text, sizeof text) == nullptr) return {};
  return text;
}

// The daemon sums hweight32 over the four words of the IPv6 mask; counting
// bits over the bytes is the same number, and serves IPv4 too.
int bits_set(const void* bytes, std::size_t n) {
  int count = 0;
  const auto* p = static_cast<const unsigned char*>(bytes);
  for (std::size_t i = 0; i < n; ++i) count += std::popcount(static_cast<unsigned>(p[i]));
  return count;
}

}  // namespace

std::uint8_t addr_family_bit(IpFamily family) noexcept {
  return family == IpFamily::ipv4 ? kvp::kAddrFamilyIpv4 : kvp::kAddrFamilyIpv6;
}

SysinfoResult<std::vector<InterfaceAddress>> read_interface_addresses() {
  struct ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return SysinfoError{SysinfoErrc::io_error, "getifaddrs", "getifaddrs", errno, {}};
  std::vector<InterfaceAddress> out;
  for (const struct ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr) continue;
    const int family = it->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    InterfaceAddress a;
    a.interface = it->ifa_name != nullptr ? it->ifa_name : "";
    a.loopback = (it->ifa_flags & IFF_LOOPBACK) != 0;
    if (family == AF_INET) {
      a.family = IpFamily::ipv4;
      struct sockaddr_in sin {};
      std::memcpy(&sin, it->ifa_addr, sizeof sin);
      a.address = ntop(AF_INET, &sin.sin_addr);
      if (it->ifa_netmask != nullptr) {
        struct sockaddr_in mask {};
        std::memcpy(&mask, it->ifa_netmask, sizeof mask);
        a.netmask = ntop(AF_INET, &mask.sin_addr);
        a.prefix_length = bits_set(&mask.sin_addr, sizeof mask.sin_addr);
      }
    } else {
      a.family = IpFamily::ipv6;
      struct sockaddr_in6 sin6 {};
      std::memcpy(&sin6, it->ifa_addr, sizeof sin6);
      a.address = ntop(AF_INET6, &sin6.sin6_addr);
      if (it->ifa_netmask != nullptr) {
        struct sockaddr_in6 mask {};
        std::memcpy(&mask, it->ifa_netmask, sizeof mask);
        a.netmask = ntop(AF_INET6, &mask.sin6_addr);
        a.prefix_length = bits_set(&mask.sin6_addr, sizeof mask.sin6_addr);
      }
    }
    out.push_back(std::move(a));
  }
  ::freeifaddrs(list);
  return out;
}

std::string network_address_list(const std::vector<InterfaceAddress>& addresses, IpFamily family,
                                 std::vector<Note>* notes) {
  const std::size_t reserve = family == IpFamily::ipv4 ? detail::kInetAddrStrLen : detail::kInet6AddrStrLen;
  detail::JoinedList list(kAddressListBytes, kAutoValueChars);
  for (const auto& a : addresses) {
    if (a.family != family || a.loopback || a.address.empty()) continue;
    list.add(a.address, reserve);
  }
  if (list.dropped() != 0 && notes != nullptr) {
    notes->push_back({"getifaddrs", 0,
                      std::to_string(list.dropped()) + " address(es) left out: a KVP value holds " +
                          std::to_string(kAutoValueChars) + " characters (hv_kvp_daemon: 2048 bytes)"});
  }
  return list.text();
}

}  // namespace kvp::sysinfo
