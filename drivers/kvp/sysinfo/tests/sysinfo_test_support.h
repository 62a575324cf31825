// Helpers for the KVP system-reader tests: the fixture directory, a
// temporary directory per test with whole-file writes (for trees laid out
// like / under SystemPaths::under), and running a shell pipeline to compare
// with what hv_kvp_daemon's scripts would print.
#pragma once

#include <stdio.h>   // popen

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "../../../../sdk/tests/temp_dir.h"

namespace kvp::sysinfo::test {

inline std::filesystem::path fixture(std::string_view relative) {
  return std::filesystem::path(KVP_SYSINFO_FIXTURES) / relative;
}

// The whole file ("" if it cannot be opened). stdio, not istreambuf_iterator:
// GCC 12 at -O2 warns (-Wnull-dereference) inside the latter.
inline std::string read_file(const std::filesystem::path& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

// sdk/tests/temp_dir.h's, with a writer of fixture files.
class TempDir : public vmbus::test::TempDir {
 public:
  // Writes `text` at path()/relative, creating the directories on the way.
  std::filesystem::path write(std::string_view relative, std::string_view text) const {
    const auto file = path() / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    return file;
  }
};

// The lines a shell command prints (newlines cut), or nothing when it cannot
// be run or fails (the caller skips).
inline std::optional<std::vector<std::string>> command_lines(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (::pclose(pipe) != 0) return std::nullopt;
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < out.size()) {
    const auto nl = out.find('\n', start);
    const auto end = nl == std::string::npos ? out.size() : nl;
    lines.push_back(out.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace kvp::sysinfo::test
