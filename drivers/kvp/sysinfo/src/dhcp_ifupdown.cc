// hv_get_dhcp_info's check_ifupdown without ifquery:
//   conf_name="$(ifquery --state -- <if> | sed 's/[^=]*=//')"   (non-empty)
//   find /etc/network/interfaces /etc/network/interfaces.d
//        -type f -regex '.*/[a-zA-Z0-9_-]+$' -print |
//     xargs grep -qE '^\s*iface\s+'"$conf_name"'\s+inet\s+dhcp(\s|$)'
// `ifquery --state` reads ifupdown's state file (/run/network/ifstate,
// lines "<if>=<configuration>"). The configuration name is matched as a
// literal here (the script pastes it into the regex).
#include <algorithm>
#include <system_error>

#include "dhcp_checks.h"
#include "keyfile.h"
#include "text_file.h"

namespace kvp::sysinfo::detail {
namespace {

// -regex '.*/[a-zA-Z0-9_-]+$': the file name is all letters, digits, '_', '-'.
bool plain_file_name(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// find -type f: regular files, symbolic links not followed.
bool regular_not_link(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::symlink_status(path, ec).type() == std::filesystem::file_type::regular;
}

std::vector<std::filesystem::path> configuration_files(const SystemPaths& paths) {
  std::vector<std::filesystem::path> files;
  if (regular_not_link(paths.ifupdown_interfaces) && plain_file_name(paths.ifupdown_interfaces)) {
    files.push_back(paths.ifupdown_interfaces);
  }
  std::vector<std::filesystem::path> below;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(paths.ifupdown_interfaces_d, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (regular_not_link(it->path()) && plain_file_name(it->path())) below.push_back(it->path());
  }
  std::sort(below.begin(), below.end());
  files.insert(files.end(), below.begin(), below.end());
  return files;
}

// \s in GNU grep: space, tab, and the other ASCII blanks.
std::vector<std::string_view> whitespace_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  constexpr std::string_view kSpace = " \t\r\f\v";
  std::size_t i = 0;
  while (i < line.size()) {
    i = line.find_first_not_of(kSpace, i);
    if (i == std::string_view::npos) break;
    const auto end = std::min(line.find_first_of(kSpace, i), line.size());
    fields.push_back(line.substr(i, end - i));
    i = end;
  }
  return fields;
}

}  // namespace

std::optional<DhcpDecision> check_ifupdown(const DhcpQuery& q, std::vector<Note>& notes) {
  const auto state = read_if_present(q.paths.ifupdown_state, notes);
  if (!state) return std::nullopt;
  std::string configuration;
  for (std::string_view line : split_lines(*state)) {
    const auto eq = line.find('=');
    if (eq != std::string_view::npos && line.substr(0, eq) == q.interface) {
      configuration = std::string(trim_blanks(line.substr(eq + 1)));
    }
  }
  if (configuration.empty()) return std::nullopt;  // not brought up by ifupdown

  for (const auto& file : configuration_files(q.paths)) {
    const auto text = read_if_present(file, notes);
    if (!text) continue;
    const auto lines = split_lines(*text);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto f = whitespace_fields(until_nul(lines[i]));
      if (f.size() >= 4 && f[0] == "iface" && f[1] == configuration && f[2] == "inet" && f[3] == "dhcp") {
        return DhcpDecision{true, file.string() + ":" + std::to_string(i + 1) + ": iface " + configuration +
                                      " inet dhcp"};
      }
    }
  }
  return DhcpDecision{false, q.paths.ifupdown_state.string() + ": " + std::string(q.interface) + "=" + configuration +
                                 ", with no \"iface " + configuration + " inet dhcp\" in the configuration"};
}

}  // namespace kvp::sysinfo::detail
