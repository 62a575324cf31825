// Default gateways of one interface from /proc/net/route and
// /proc/net/ipv6_route (the `ip route show dev X | awk '/default/'` of
// kvp_get_ipconfig_info).
#include "kvp/sysinfo/routes.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "text_file.h"

namespace kvp::sysinfo {
namespace {

// Route flags (include/uapi/linux/route.h; IPv6 uses the same low bits,
// include/uapi/linux/ipv6_route.h).
constexpr std::uint32_t kRtfUp = 0x0001;
constexpr std::uint32_t kRtfGateway = 0x0002;
constexpr std::uint32_t kRtfReject = 0x0200;

bool parse_hex32(std::string_view field, std::uint32_t& out) {
  if (field.empty() || field.size() > 8) return false;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), out, 16);
  return ec == std::errc() && end == field.data() + field.size();
}

// 32 hex digits, as ipv6_route_native_seq_show prints an in6_addr (%pi6).
bool parse_hex128(std::string_view field, std::array<unsigned char, 16>& out) {
  if (field.size() != 32) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    unsigned value = 0;
    const char* first = field.data() + 2 * i;
    const auto [end, ec] = std::from_chars(first, first + 2, value, 16);
    if (ec != std::errc() || end != first + 2) return false;
    out[i] = static_cast<unsigned char>(value);
  }
  return true;
}

bool all_zero(const std::array<unsigned char, 16>& a) {
  for (unsigned char b : a)
    if (b != 0) return false;
  return true;
}

std::string skipped(std::string_view why) { return std::string(why) + "; row skipped"; }

}  // namespace

GatewayList parse_ipv4_default_gateways(std::string_view text, std::string_view interface, std::string_view source) {
  GatewayList out;
  const auto lines = detail::split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto f = detail::blank_fields(lines[i]);
    if (f.empty()) continue;
    if (i == 0 && f[0] == "Iface") continue;  // the header row
    // Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
    if (f.size() < 8) {
      out.notes.push_back({std::string(source), i + 1,
                           skipped("expected 11 fields (Iface Destination Gateway Flags ... Mask ...), found " +
                                   std::to_string(f.size()))});
      continue;
    }
    std::uint32_t destination = 0, gateway = 0, flags = 0, mask = 0;
    if (!parse_hex32(f[1], destination) || !parse_hex32(f[2], gateway) || !parse_hex32(f[3], flags) ||
        !parse_hex32(f[7], mask)) {
      out.notes.push_back({std::string(source), i + 1,
                           skipped("Destination, Gateway, Flags or Mask is not hexadecimal of at most 8 digits")});
      continue;
    }
    if (f[0] != interface || destination != 0 || mask != 0) continue;
    if ((flags & kRtfUp) == 0 || (flags & kRtfGateway) == 0) continue;  // no "via": nothing to report
    // fib_route_seq_show prints the __be32 as a host integer ("%08X"):
    // storing that integer back gives the address bytes in network order.
    struct in_addr addr {};
    addr.s_addr = gateway;
    char buf[INET_ADDRSTRLEN] = {};
    if (::inet_ntop(AF_INET, &addr, buf, sizeof buf) != nullptr) out.gateways.emplace_back(buf);
  }
  return out;
}

GatewayList parse_ipv6_default_gateways(std::string_view text, std::string_view interface, std::string_view source) {
  GatewayList out;
  const auto lines = detail::split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto f = detail::blank_fields(lines[i]);
    if (f.empty()) continue;
    // dest plen src src_plen nexthop metric refcnt use flags dev
    if (f.size() < 10) {
      out.notes.push_back({std::string(source), i + 1,
                           skipped("expected 10 fields (dest plen src src_plen nexthop metric refcnt use flags "
                                   "dev), found " +
                                   std::to_string(f.size()))});
      continue;
    }
    std::array<unsigned char, 16> destination{}, next_hop{};
    std::uint32_t prefix = 0, flags = 0;
    if (!parse_hex128(f[0], destination) || !parse_hex32(f[1], prefix) || !parse_hex128(f[4], next_hop) ||
        !parse_hex32(f[8], flags)) {
      out.notes.push_back(
          {std::string(source), i + 1, skipped("dest, plen, nexthop or flags is not in the kernel's hex form")});
      continue;
    }
    if (f[9] != interface || prefix != 0 || !all_zero(destination)) continue;
    if ((flags & kRtfUp) == 0 || (flags & kRtfGateway) == 0 || (flags & kRtfReject) != 0) continue;
    if (all_zero(next_hop)) continue;
    struct in6_addr addr {};
    std::memcpy(addr.s6_addr, next_hop.data(), next_hop.size());
    char buf[INET6_ADDRSTRLEN] = {};
    if (::inet_ntop(AF_INET6, &addr, buf, sizeof buf) != nullptr) out.gateways.emplace_back(buf);
  }
  return out;
}

GatewayList read_default_gateways(std::string_view interface, IpFamily family, const SystemPaths& paths) {
  const auto& path = family == IpFamily::ipv4 ? paths.proc_net_route : paths.proc_net_ipv6_route;
  const auto file = detail::read_text_file(path);
  if (!file.ok) {
    GatewayList none;
    // No file: no such table (IPv6 disabled), as `ip` would print nothing.
    if (file.sys_errno != ENOENT) none.notes.push_back(detail::unreadable_note(path, file.sys_errno));
    return none;
  }
  auto out = family == IpFamily::ipv4 ? parse_ipv4_default_gateways(file.text, interface, path.string())
                                      : parse_ipv6_default_gateways(file.text, interface, path.string());
  if (file.truncated) out.notes.push_back(detail::truncated_note(path));
  return out;
}

}  // namespace kvp::sysinfo
