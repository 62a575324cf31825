// uname(2), and OSVersion cut from the release.
#include "kvp/sysinfo/uname_info.h"

#include <sys/utsname.h>

#include <cerrno>

namespace kvp::sysinfo {

SysinfoResult<UnameInfo> read_uname() {
  struct utsname uts {};
  if (::uname(&uts) != 0) return SysinfoError{SysinfoErrc::io_error, "uname", "uname", errno, {}};
  return UnameInfo{uts.sysname, uts.release, uts.machine};
}

std::string os_version_of(std::string_view release) {
  // kvp_get_os_info: "The current windows host (win7) expects the build
  // string to be of the form: x.y.z"; strchr(os_version, '-') = '\0'.
  return std::string(release.substr(0, release.find('-')));
}

}  // namespace kvp::sysinfo
