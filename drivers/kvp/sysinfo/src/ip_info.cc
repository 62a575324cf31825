// GET_IP_INFO from the guest's interfaces: kvp_mac_to_ip, kvp_get_ip_info
// and kvp_get_ipconfig_info of hv_kvp_daemon.
#include "kvp/sysinfo/ip_info.h"

#include "address_list.h"
#include "kvp/sysinfo/adapter.h"
#include "kvp/sysinfo/resolv_conf.h"
#include "kvp/sysinfo/routes.h"

namespace kvp::sysinfo {
namespace {

// Each UTF-16 array of hv_kvp_ipaddr_value less its NUL.
constexpr std::size_t kIpAddrChars = kvp::kMaxIpAddrUnits - 1;
constexpr std::size_t kGatewayChars = kvp::kMaxGatewayUnits - 1;

std::size_t reserve_for(IpFamily family) {
  return family == IpFamily::ipv4 ? detail::kInetAddrStrLen : detail::kInet6AddrStrLen;
}

void note_dropped(std::vector<Note>& notes, std::size_t dropped, std::string_view what, std::size_t chars) {
  if (dropped == 0) return;
  notes.push_back({"GET_IP_INFO", 0,
                   std::to_string(dropped) + " " + std::string(what) + " left out: the field holds " +
                       std::to_string(chars) + " characters"});
}

template <typename T>
void append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// kvp_get_ip_info(0, if_name, KVP_OP_GET_IP_INFO, ...) for one interface
// that has addresses, plus what kvp_get_ipconfig_info adds.
void answer_for(IpInfoReport& report, const std::string& interface, const std::vector<const InterfaceAddress*>& mine,
                std::uint8_t families, const SystemPaths& paths) {
  kvp::IpInfo& info = report.info;
  detail::JoinedList ip(kAddressListBytes, kIpAddrChars);
  detail::JoinedList subnets(kAddressListBytes, kIpAddrChars);
  std::size_t added = 0;
  for (const InterfaceAddress* a : mine) {
    // The daemon adds the subnet first, then the address; an address that
    // does not fit ends the list (getaddr_done). Here the address decides,
    // so ip_addr and sub_net stay pairs.
    if (!ip.add(a->address, reserve_for(a->family))) break;
    ++added;
    info.addr_family = static_cast<std::uint8_t>(info.addr_family | addr_family_bit(a->family));
    if (a->prefix_length < 0) {
      report.notes.push_back({"getifaddrs", 0, a->address + " on " + interface + " has no netmask; no sub_net entry"});
      continue;
    }
    if (a->family == IpFamily::ipv4) {
      subnets.add(a->netmask, detail::kInetAddrStrLen);  // inet_ntop of ifa_netmask
    } else {
      const std::string cidr = "/" + std::to_string(a->prefix_length);  // sprintf(cidr_mask, "/%d", weight)
      subnets.add(cidr, cidr.size() - 1);
    }
  }
  info.ip_addr = ip.text();
  info.sub_net = subnets.text();
  note_dropped(report.notes, mine.size() - added, "address(es)", kIpAddrChars);
  note_dropped(report.notes, subnets.dropped(), "subnet(s)", kIpAddrChars);

  // Gateways: `ip route show dev X`, then `ip -f inet6 route show dev X`.
  detail::TerminatedList gateways(kGatewayListBytes, kGatewayChars);
  for (IpFamily family : {IpFamily::ipv4, IpFamily::ipv6}) {
    if ((families & addr_family_bit(family)) == 0) continue;
    const GatewayList found = read_default_gateways(interface, family, paths);
    for (const auto& g : found.gateways) gateways.add(g, reserve_for(family));
    append(report.notes, found.notes);
  }
  info.gate_way = gateways.text();
  note_dropped(report.notes, gateways.dropped(), "gateway(s)", kGatewayChars);

  // DNS: hv_get_dns_info, every line INET_ADDRSTRLEN wide.
  detail::TerminatedList dns(kAddressListBytes, kIpAddrChars);
  const Nameservers servers = read_nameservers(paths);
  for (const auto& s : servers.addresses) dns.add(s, detail::kInetAddrStrLen);
  append(report.notes, servers.notes);
  info.dns_addr = dns.text();
  note_dropped(report.notes, dns.dropped(), "DNS server(s)", kIpAddrChars);

  // DHCP: hv_get_dhcp_info <if>.
  report.dhcp = read_dhcp_state(interface, paths);
  info.dhcp_enabled = report.dhcp.enabled ? 1 : 0;
  append(report.notes, report.dhcp.notes);
  report.interface = interface;
}

SysinfoResult<std::vector<std::string>> matching_interfaces(std::string_view adapter_id, const SystemPaths& paths) {
  auto matched = interfaces_with_mac(adapter_id, paths.sys_class_net);
  if (!matched) return matched.error();
  if (adapter_id.empty() || matched->empty()) {
    return SysinfoError{SysinfoErrc::unknown_adapter, paths.sys_class_net.string(), {}, 0, std::string(adapter_id)};
  }
  return matched;
}

SysinfoResult<IpInfoReport> answer(std::string_view adapter_id, std::uint8_t families, const SystemPaths& paths,
                                   std::vector<std::string> matched, const std::vector<InterfaceAddress>& addresses) {
  // Family 0 asks for both, as kvp_get_ip_info's `family != 0` test.
  auto wanted = static_cast<std::uint8_t>(families & (kvp::kAddrFamilyIpv4 | kvp::kAddrFamilyIpv6));
  if (wanted == kvp::kAddrFamilyNone) wanted = kvp::kAddrFamilyIpv4 | kvp::kAddrFamilyIpv6;

  IpInfoReport report;
  report.info.adapter_id = std::string(adapter_id);
  report.matched = std::move(matched);
  for (const auto& name : report.matched) {
    // Whole-name comparison; loopback never counts (IFF_LOOPBACK).
    std::vector<const InterfaceAddress*> mine;
    for (const auto& a : addresses) {
      if (a.interface == name && !a.loopback && !a.address.empty() && (wanted & addr_family_bit(a.family)) != 0) {
        mine.push_back(&a);
      }
    }
    // "A NIC (e.g. VF) matching the MAC, but without IP, is skipped."
    if (mine.empty()) continue;
    answer_for(report, name, mine, wanted, paths);
    return report;
  }
  return report;  // matched, but no address anywhere: an empty, successful answer
}

}  // namespace

SysinfoResult<IpInfoReport> read_ip_info(std::string_view adapter_id, std::uint8_t families,
                                         const SystemPaths& paths) {
  auto matched = matching_interfaces(adapter_id, paths);
  if (!matched) return matched.error();
  auto addresses = read_interface_addresses();
  if (!addresses) return addresses.error();
  return answer(adapter_id, families, paths, std::move(*matched), *addresses);
}

SysinfoResult<IpInfoReport> read_ip_info(std::string_view adapter_id, std::uint8_t families,
                                         const SystemPaths& paths, const std::vector<InterfaceAddress>& addresses) {
  auto matched = matching_interfaces(adapter_id, paths);
  if (!matched) return matched.error();
  return answer(adapter_id, families, paths, std::move(*matched), addresses);
}

}  // namespace kvp::sysinfo
