// key=value files with optional [sections].
#include "keyfile.h"

#include "text_file.h"

namespace kvp::sysinfo::detail {

std::string_view trim_blanks(std::string_view s) noexcept {
  constexpr std::string_view kBlanks = " \t\r\f\v";
  const auto first = s.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(kBlanks);
  return s.substr(first, last - first + 1);
}

const KeyFileEntry* KeyFile::find(std::string_view section, std::string_view key) const {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it)
    if (it->section == section && it->key == key) return &*it;
  return nullptr;
}

KeyFile parse_keyfile(std::string_view text) {
  KeyFile out;
  std::string section;
  const auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = trim_blanks(until_nul(lines[i]));
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        out.malformed_lines.push_back(i + 1);
        continue;
      }
      section = std::string(trim_blanks(line.substr(1, line.size() - 2)));
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      out.malformed_lines.push_back(i + 1);
      continue;
    }
    out.entries.push_back({section, std::string(trim_blanks(line.substr(0, eq))),
                           std::string(trim_blanks(line.substr(eq + 1))), i + 1});
  }
  return out;
}

}  // namespace kvp::sysinfo::detail
