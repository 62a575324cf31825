// File: kvp/sysinfo/os_release.h
//
// The distribution's name and version as hv_kvp_daemon finds them
// (kvp_get_os_info), for the AUTO pool's OSName, OSMajorVersion and
// OSMinorVersion:
//   1. /etc/os-release, if it can be opened: NAME -> name, VERSION_ID ->
//      major; minor stays "". The daemon reads it with fgets(buf, 512), so a
//      line longer than 511 bytes is read in pieces; lines whose first byte
//      is '#' are comments; a line is split at its first '='; the key must
//      match exactly (no trimming); in the value, ' " and newlines are
//      dropped wherever they are and a backslash keeps the byte after it.
//      A later NAME or VERSION_ID replaces an earlier one. A file without
//      NAME leaves the name at uname's sysname ("Linux").
//   2. otherwise /etc/SuSE-release, else /etc/redhat-release: its first
//      three lines (fgets pieces, newline cut) are name, major and minor.
//   3. otherwise name = uname sysname, major = minor = "".
//
// Usage:
//   kvp::sysinfo::OsInfo os = kvp::sysinfo::read_os_info(paths, "Linux");
//   // Debian 12: os.name == "Debian GNU/Linux", os.major_version == "12"
//   for (const auto& n : os.notes) log(n.message());
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kvp/sysinfo/report.h"
#include "kvp/sysinfo/system_paths.h"

namespace kvp::sysinfo {

struct OsInfo {
  std::string name;           // OSName
  std::string major_version;  // OSMajorVersion
  std::string minor_version;  // OSMinorVersion
  std::string source;         // the file the values came from, or "uname" when none could be read
  std::vector<Note> notes;    // lines skipped, files that could not be read (other than missing)
};

// Reads the files in `paths` in the daemon's order. `sysname` is uname's
// (the daemon's starting value for the name).
OsInfo read_os_info(const SystemPaths& paths, std::string_view sysname);

// The os-release step alone, on the file's text: `source` names it in notes.
OsInfo parse_os_release(std::string_view text, std::string_view sysname, std::string_view source);

// The legacy-file step alone (SuSE-release, redhat-release).
OsInfo parse_legacy_release(std::string_view text, std::string_view sysname, std::string_view source);

}  // namespace kvp::sysinfo
