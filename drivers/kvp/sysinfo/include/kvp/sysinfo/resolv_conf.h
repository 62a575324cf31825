// File: kvp/sysinfo/resolv_conf.h
//
// The DNS servers GET_IP_INFO reports. hv_kvp_daemon runs the script
// hv_get_dns_info, which is
//   awk '/^nameserver/ { print $2 }' /etc/resolv.conf
// and takes each line it prints as one server. The same, parsed here:
//   - only lines that begin with "nameserver" at column 0 count (a "#" or
//     ";" comment, or an indented line, does not);
//   - the server is the second blank-separated (space/tab) field; the rest
//     of the line (a trailing comment) is ignored; a '\r' ending is dropped;
//   - every server, in file order (not only resolv.conf's first three).
// Unlike the script, a line without a second field, or whose field is not an
// IPv4 or IPv6 address (an optional %zone allowed), is skipped with a note
// instead of being passed on to the host.
//
// Usage:
//   auto dns = kvp::sysinfo::read_nameservers(paths);
//   // dns.addresses == {"10.255.255.53", "2001:db8::53"}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kvp/sysinfo/report.h"
#include "kvp/sysinfo/system_paths.h"

namespace kvp::sysinfo {

struct Nameservers {
  std::vector<std::string> addresses;
  std::vector<Note> notes;
};

// On the text of a resolv.conf; `source` names it in notes.
Nameservers parse_nameservers(std::string_view text, std::string_view source);

// paths.resolv_conf; a missing file is an empty list (the script's 2>/dev/null).
Nameservers read_nameservers(const SystemPaths& paths);

}  // namespace kvp::sysinfo
