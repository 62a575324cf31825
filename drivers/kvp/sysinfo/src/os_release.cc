// OSName / OSMajorVersion / OSMinorVersion, as kvp_get_os_info finds them.
#include "kvp/sysinfo/os_release.h"

#include <cerrno>

#include "text_file.h"

namespace kvp::sysinfo {
namespace {

// kvp_get_os_info reads with `char buf[512]; fgets(buf, sizeof(buf), file)`.
constexpr std::size_t kFgetsBuffer = 512;

// The daemon's "Remove quotes and newline; un-escape" loop: a backslash
// keeps the byte after it (and ends the value when it is the last byte);
// ' " and '\n' are dropped wherever they are; everything else is kept.
std::string unquote(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\\') {
      if (++i == raw.size()) break;
      out.push_back(raw[i]);
    } else if (c != '\'' && c != '"' && c != '\n') {
      out.push_back(c);
    }
  }
  return out;
}

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string long_line_text(std::size_t count) {
  return std::to_string(count) + (count == 1 ? " line is" : " lines are") + " longer than " +
         std::to_string(kFgetsBuffer - 1) + " bytes; read in pieces of that size, as hv_kvp_daemon's fgets does";
}

}  // namespace

OsInfo parse_os_release(std::string_view text, std::string_view sysname, std::string_view source) {
  OsInfo info;
  info.name = std::string(sysname);
  info.source = std::string(source);
  std::size_t long_lines = 0;
  std::size_t line = 1;
  for (std::string_view piece : detail::fgets_pieces(text, kFgetsBuffer, &long_lines)) {
    const std::size_t this_line = line;
    if (!piece.empty() && piece.back() == '\n') ++line;
    const std::string_view c_string = detail::until_nul(piece);
    if (c_string.size() != piece.size()) {
      info.notes.push_back({info.source, this_line, "NUL byte in the line; the rest of it is ignored"});
    }
    if (c_string.empty() || c_string.front() == '#') continue;  // "Ignore comments": column 0 only
    const auto eq = c_string.find('=');
    if (eq == std::string_view::npos) {
      if (!is_blank(c_string)) info.notes.push_back({info.source, this_line, "no '=' in the line; skipped"});
      continue;
    }
    const std::string_view key = c_string.substr(0, eq);  // compared as is: no trimming
    if (key == "NAME") {
      info.name = unquote(c_string.substr(eq + 1));
    } else if (key == "VERSION_ID") {
      info.major_version = unquote(c_string.substr(eq + 1));
    }
  }
  if (long_lines != 0) info.notes.push_back({info.source, 0, long_line_text(long_lines)});
  return info;
}

OsInfo parse_legacy_release(std::string_view text, std::string_view sysname, std::string_view source) {
  OsInfo info;
  info.name = std::string(sysname);
  info.source = std::string(source);
  // "up to three lines": name, major, minor; each fgets piece cut at '\n'.
  const auto pieces = detail::fgets_pieces(text, kFgetsBuffer);
  std::string* targets[] = {&info.name, &info.major_version, &info.minor_version};
  for (std::size_t i = 0; i < pieces.size() && i < 3; ++i) {
    std::string_view v = detail::until_nul(pieces[i]);
    if (const auto nl = v.find('\n'); nl != std::string_view::npos) v = v.substr(0, nl);
    *targets[i] = std::string(v);
  }
  return info;
}

OsInfo read_os_info(const SystemPaths& paths, std::string_view sysname) {
  std::vector<Note> notes;
  // os-release first; if it can be opened the daemon stops there, whatever
  // it holds. Then the legacy files, in the daemon's order.
  const auto os_release = detail::read_text_file(paths.os_release);
  if (os_release.opened) {
    OsInfo info = parse_os_release(os_release.text, sysname, paths.os_release.string());
    if (!os_release.ok) info.notes.push_back(detail::unreadable_note(paths.os_release, os_release.sys_errno));
    if (os_release.truncated) info.notes.push_back(detail::truncated_note(paths.os_release));
    return info;
  }
  if (os_release.sys_errno != ENOENT) notes.push_back(detail::unreadable_note(paths.os_release, os_release.sys_errno));

  for (const auto* legacy : {&paths.suse_release, &paths.redhat_release}) {
    const auto file = detail::read_text_file(*legacy);
    if (file.opened) {
      OsInfo info = parse_legacy_release(file.text, sysname, legacy->string());
      if (!file.ok) notes.push_back(detail::unreadable_note(*legacy, file.sys_errno));
      notes.insert(notes.end(), info.notes.begin(), info.notes.end());
      info.notes = std::move(notes);
      return info;
    }
    if (file.sys_errno != ENOENT) notes.push_back(detail::unreadable_note(*legacy, file.sys_errno));
  }

  // "We don't have information about the os."
  OsInfo info;
  info.name = std::string(sysname);
  info.source = "uname";
  info.notes = std::move(notes);
  return info;
}

}  // namespace kvp::sysinfo
