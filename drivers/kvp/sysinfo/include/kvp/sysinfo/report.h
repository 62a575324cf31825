// File: kvp/sysinfo/report.h
//
// How the system readers report trouble, in two kinds:
//   - Note: the answer was produced, but something on the way was skipped or
//     could not be read (a malformed /proc/net/route row, a nameserver line
//     without an address, an os-release that cannot be opened). Notes name
//     the file and line, so a log says exactly what was ignored.
//   - SysinfoError: no answer (the adapter the host named is not here, or a
//     system call every answer depends on failed). `hresult()` is the status
//     hv_kvp_daemon would put in the reply for it.
// Expected failures never throw; malformed input never crashes.
//
// Usage:
//   auto r = kvp::sysinfo::read_ip_info(request.adapter_id, kvp::kAddrFamilyNone);
//   if (!r) { log(r.error().message()); return reply_status(r.error().hresult()); }
//   for (const auto& n : r->notes) log(n.message());
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "vmbus/result.h"

namespace kvp::sysinfo {

struct Note {
  std::string source;    // a file path, or what was called ("getifaddrs", "uname")
  std::size_t line = 0;  // 1-based line in `source`; 0 when not about one line
  std::string text;      // what was wrong and what was done about it

  // "/etc/resolv.conf:4: nameserver without an address; skipped"
  std::string message() const;
  friend bool operator==(const Note&, const Note&) = default;
};

enum class SysinfoErrc : std::uint8_t {
  unknown_adapter,  // no interface in sys_class_net has the MAC the host sent; `detail` = it
  io_error,         // `operation` on `path` failed with `sys_errno`
};

struct SysinfoError {
  SysinfoErrc code = SysinfoErrc::io_error;
  std::string path;       // the file, directory or call concerned
  std::string operation;  // io_error: "opendir", "getifaddrs", "uname", ...
  int sys_errno = 0;
  std::string detail;     // unknown_adapter: the adapter id as received

  // What hv_kvp_daemon answers: kvp_mac_to_ip starts from HV_E_FAIL and
  // keeps it when no /sys/class/net entry has the MAC or opendir fails;
  // kvp_get_ip_info returns HV_E_FAIL when getifaddrs fails. (HV_GUID_NOTFOUND
  // is SET_IP_INFO's answer, kvp_get_if_name, not GET_IP_INFO's.)
  std::uint32_t hresult() const noexcept;
  // "no network interface has MAC address "00:15:5D:..." (looked in /sys/class/net)"
  std::string message() const;
};

template <typename T>
using SysinfoResult = vmbus::BasicResult<T, SysinfoError>;

}  // namespace kvp::sysinfo
