// A small reader for the key=value files the DHCP checks look at:
// NetworkManager keyfiles ([section] key=value), systemd .network files
// (same shape), and systemd/networkd state files (KEY=VALUE, no section).
// Lines starting with '#' or ';' are comments; blanks around keys and
// values are dropped; a later assignment wins. Lines that are neither a
// section, a comment nor key=value are counted, not fatal.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvp::sysinfo::detail {

struct KeyFileEntry {
  std::string section;  // "" before the first [section]
  std::string key;
  std::string value;
  std::size_t line = 0;  // 1-based
};

struct KeyFile {
  std::vector<KeyFileEntry> entries;
  std::vector<std::size_t> malformed_lines;  // 1-based

  // The last value of `key` in any section named `section`.
  const KeyFileEntry* find(std::string_view section, std::string_view key) const;
};

KeyFile parse_keyfile(std::string_view text);

// `s` without blanks (space, tab, \r, \f, \v) at either end.
std::string_view trim_blanks(std::string_view s) noexcept;

}  // namespace kvp::sysinfo::detail
