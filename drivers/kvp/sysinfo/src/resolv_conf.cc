// DNS servers from resolv.conf, as hv_get_dns_info prints them
// (awk '/^nameserver/ { print $2 }' /etc/resolv.conf).
#include "kvp/sysinfo/resolv_conf.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>

#include "text_file.h"

namespace kvp::sysinfo {
namespace {

bool is_address(std::string_view text) {
  const std::string s(text);
  struct in_addr v4 {};
  if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) return true;
  // resolv.conf allows an IPv6 zone: fe80::1%eth0.
  const auto percent = s.find('%');
  if (percent != std::string::npos && percent + 1 == s.size()) return false;
  const std::string bare = s.substr(0, percent);
  struct in6_addr v6 {};
  return ::inet_pton(AF_INET6, bare.c_str(), &v6) == 1;
}

}  // namespace

Nameservers parse_nameservers(std::string_view text, std::string_view source) {
  Nameservers out;
  const auto lines = detail::split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = detail::until_nul(lines[i]);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 10) != "nameserver") continue;  // /^nameserver/: column 0, any continuation
    const auto fields = detail::blank_fields(line);
    if (fields.size() < 2) {
      out.notes.push_back({std::string(source), i + 1, "nameserver without an address; skipped"});
      continue;
    }
    if (!is_address(fields[1])) {
      out.notes.push_back({std::string(source), i + 1,
                           "nameserver \"" + std::string(fields[1]) + "\" is not an IPv4 or IPv6 address; skipped"});
      continue;
    }
    out.addresses.emplace_back(fields[1]);
  }
  return out;
}

Nameservers read_nameservers(const SystemPaths& paths) {
  const auto file = detail::read_text_file(paths.resolv_conf);
  if (!file.ok) {
    Nameservers none;
    if (file.sys_errno != ENOENT) none.notes.push_back(detail::unreadable_note(paths.resolv_conf, file.sys_errno));
    return none;
  }
  auto out = parse_nameservers(file.text, paths.resolv_conf.string());
  if (file.truncated) out.notes.push_back(detail::truncated_note(paths.resolv_conf));
  return out;
}

}  // namespace kvp::sysinfo
