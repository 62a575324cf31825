// File: kvp/sysinfo/uname_info.h
//
// The kernel's identity from uname(2), and the three AUTO pool values
// hv_kvp_daemon derives from it in kvp_get_os_info:
//   OSBuildNumber          = release, whole        ("6.1.0-18-amd64")
//   OSVersion              = release cut at its first '-' ("6.1.0"; the
//                            daemon's comment: the Windows 7 host expects x.y.z)
//   ProcessorArchitecture  = machine               ("x86_64")
// and sysname ("Linux"), the daemon's OSName when no release file names the
// distribution.
//
// Usage:
//   auto u = kvp::sysinfo::read_uname();
//   if (!u) return log(u.error().message());
//   std::string os_version = kvp::sysinfo::os_version_of(u->release);
#pragma once

#include <string>
#include <string_view>

#include "kvp/sysinfo/report.h"

namespace kvp::sysinfo {

struct UnameInfo {
  std::string sysname;
  std::string release;
  std::string machine;
};

SysinfoResult<UnameInfo> read_uname();

// `release` up to (not including) its first '-'; all of it when there is none.
std::string os_version_of(std::string_view release);

}  // namespace kvp::sysinfo
