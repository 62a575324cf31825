// FullyQualifiedDomainName, as kvp_get_domain_name computes it.
#include "kvp/sysinfo/domain_name.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kvp/protocol/kvp_msg.h"

namespace kvp::sysinfo {

DomainName read_fully_qualified_domain_name(FqdnFallback fallback) {
  DomainName out;
  // full_domain_name[HV_KVP_EXCHANGE_MAX_VALUE_SIZE], filled by gethostname.
  char host[kvp::kMaxValueSize] = {};
  if (::gethostname(host, sizeof host - 1) != 0) {
    out.notes.push_back({"gethostname", 0, std::string("failed: ") + std::strerror(errno) + "; the name is empty"});
    host[0] = '\0';
  }

  struct addrinfo hints {};
  hints.ai_family = AF_INET;  // "Get only ipv4 addrinfo."
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_CANONNAME;
  struct addrinfo* info = nullptr;
  const int rc = ::getaddrinfo(host, nullptr, &hints, &info);
  if (rc == 0 && info != nullptr && info->ai_canonname != nullptr) {
    out.value = info->ai_canonname;
    out.canonical = true;
    ::freeaddrinfo(info);
    if (out.value.size() >= kvp::kMaxValueSize) out.value.resize(kvp::kMaxValueSize - 1);  // snprintf's cut
    return out;
  }
  if (info != nullptr) ::freeaddrinfo(info);

  // The daemon's value in this case: snprintf(buffer, length,
  // "getaddrinfo failed: 0x%x %s", error, gai_strerror(error)).
  char daemon_text[256];
  std::snprintf(daemon_text, sizeof daemon_text, "getaddrinfo failed: 0x%x %s", static_cast<unsigned>(rc),
                rc != 0 ? ::gai_strerror(rc) : "no canonical name");
  out.notes.push_back({"getaddrinfo", 0,
                       std::string(daemon_text) + " for host name \"" + host + "\"; " +
                           (fallback == FqdnFallback::host_name ? "using the host name" : "using the daemon's text")});
  out.value = fallback == FqdnFallback::host_name ? std::string(host) : std::string(daemon_text);
  return out;
}

}  // namespace kvp::sysinfo
