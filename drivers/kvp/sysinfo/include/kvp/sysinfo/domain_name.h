// File: kvp/sysinfo/domain_name.h
//
// The AUTO pool's FullyQualifiedDomainName, as hv_kvp_daemon's
// kvp_get_domain_name computes it: gethostname(), then getaddrinfo() on it
// with AF_INET, SOCK_STREAM and AI_CANONNAME, and the first result's
// ai_canonname. The daemon does this once at start and caches it ("because
// getaddrinfo takes an unpredictable amount of time"); so does AutoPool.
//
// When getaddrinfo fails the daemon stores the text
// "getaddrinfo failed: 0x<code> <gai_strerror>" as the value. By default we
// answer with the host name instead (FqdnFallback::host_name) and put the
// failure in a note; FqdnFallback::daemon_error_text gives the daemon's
// exact value.
//
// Usage:
//   auto fqdn = kvp::sysinfo::read_fully_qualified_domain_name();
//   pool_value = fqdn.value;  // "vm.example.com", or "vm" if it does not resolve
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kvp/sysinfo/report.h"

namespace kvp::sysinfo {

enum class FqdnFallback : std::uint8_t {
  host_name,          // gethostname()'s answer
  daemon_error_text,  // "getaddrinfo failed: 0x%x %s", as hv_kvp_daemon
};

struct DomainName {
  std::string value;
  bool canonical = false;   // value is getaddrinfo's canonical name
  std::vector<Note> notes;  // why it is not
};

DomainName read_fully_qualified_domain_name(FqdnFallback fallback = FqdnFallback::host_name);

}  // namespace kvp::sysinfo
