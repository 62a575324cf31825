// Reading the small text files the system readers parse (/etc, /proc,
// /sys, /run): whole-file reads that report errno instead of throwing, and
// the line and field splitting the daemon's tools do (fgets, awk).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "kvp/sysinfo/report.h"

namespace kvp::sysinfo::detail {

// Far above any file read here (a /proc/net/ipv6_route of a full Internet
// table is ~30 MiB); a bigger file is cut there, with `truncated` set.
inline constexpr std::size_t kMaxFileBytes = 64u << 20;

struct FileRead {
  bool ok = false;
  bool opened = false;     // open(2) worked (a read error may still follow)
  int sys_errno = 0;       // when !ok
  std::string text;
  bool truncated = false;  // the file is longer than the limit
};

// open(2) + read(2) until EOF (sizes in /proc and /sys are not stat's).
FileRead read_text_file(const std::filesystem::path& path, std::size_t max_bytes = kMaxFileBytes);

// A note for a file that could not be read: "<path>: cannot open: <strerror>".
Note unreadable_note(const std::filesystem::path& path, int sys_errno);
// A note for a file cut at kMaxFileBytes.
Note truncated_note(const std::filesystem::path& path);

// Lines split at '\n' (the newline not included); a last line without a
// newline counts, an empty text has no lines.
std::vector<std::string_view> split_lines(std::string_view text);

// fgets(buf, size, file) pieces: lines of at most size - 1 bytes counting
// their '\n', a longer line cut into several pieces (each keeps what fgets
// keeps, the '\n' only on the last). `long_lines` counts lines that were cut.
std::vector<std::string_view> fgets_pieces(std::string_view text, std::size_t size, std::size_t* long_lines = nullptr);

// awk's default field splitting: runs of blanks (space, tab) separate
// fields, leading and trailing blanks are ignored.
std::vector<std::string_view> blank_fields(std::string_view line);

// The part of `s` before its first NUL (what a C string of it holds).
std::string_view until_nul(std::string_view s) noexcept;

}  // namespace kvp::sysinfo::detail
