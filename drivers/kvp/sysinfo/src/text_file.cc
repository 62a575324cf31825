// Whole-file reads with errno, and fgets/awk-like splitting.
#include "text_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kvp::sysinfo::detail {

FileRead read_text_file(const std::filesystem::path& path, std::size_t max_bytes) {
  FileRead out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out.sys_errno = errno;
    return out;
  }
  out.opened = true;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      out.sys_errno = errno;
      ::close(fd);
      return out;
    }
    if (n == 0) break;
    const auto got = static_cast<std::size_t>(n);
    if (out.text.size() + got > max_bytes) {
      out.text.append(buf, max_bytes - out.text.size());
      out.truncated = true;
      break;
    }
    out.text.append(buf, got);
  }
  ::close(fd);
  out.ok = true;
  return out;
}

Note unreadable_note(const std::filesystem::path& path, int sys_errno) {
  return Note{path.string(), 0, std::string("cannot read: ") + std::strerror(sys_errno)};
}

Note truncated_note(const std::filesystem::path& path) {
  return Note{path.string(), 0,
              "longer than " + std::to_string(kMaxFileBytes >> 20) + " MiB; only that much was read"};
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos) {
      lines.push_back(text);
      break;
    }
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::vector<std::string_view> fgets_pieces(std::string_view text, std::size_t size, std::size_t* long_lines) {
  std::vector<std::string_view> pieces;
  const std::size_t most = size > 1 ? size - 1 : 1;
  std::size_t cut_lines = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::size_t line_len = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line_len > most) ++cut_lines;
    std::size_t done = 0;
    while (done < line_len) {
      const std::size_t n = std::min(most, line_len - done);
      pieces.push_back(text.substr(done, n));
      done += n;
    }
    text.remove_prefix(line_len);
  }
  if (long_lines != nullptr) *long_lines = cut_lines;
  return pieces;
}

std::vector<std::string_view> blank_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

std::string_view until_nul(std::string_view s) noexcept {
  const auto nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

}  // namespace kvp::sysinfo::detail
