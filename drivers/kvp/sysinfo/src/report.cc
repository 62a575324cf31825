// Text for notes and errors, and the HRESULT an error is answered with.
#include "kvp/sysinfo/report.h"

#include <cstring>

#include "kvp/protocol/ic.h"

namespace kvp::sysinfo {

std::string Note::message() const {
  std::string out = source;
  if (line != 0) out += ":" + std::to_string(line);
  return out + ": " + text;
}

std::uint32_t SysinfoError::hresult() const noexcept {
  // kvp_mac_to_ip: `int error = HV_E_FAIL;` survives when no entry matches
  // or opendir fails; kvp_get_ip_info returns HV_E_FAIL when getifaddrs does.
  return kvp::ic::kHvEFail;
}

std::string SysinfoError::message() const {
  switch (code) {
    case SysinfoErrc::unknown_adapter:
      return "no network interface has MAC address \"" + detail + "\" (looked in " + path +
             "; the host sends it upper-case with ':', as the daemon compares it)";
    case SysinfoErrc::io_error:
      return path + ": " + operation + ": " + std::strerror(sys_errno) + " (errno " + std::to_string(sys_errno) +
             ")";
  }
  return path + ": unknown error";
}

}  // namespace kvp::sysinfo
