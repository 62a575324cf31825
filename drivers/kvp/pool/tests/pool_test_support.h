// Helpers for the pool tests: a temporary directory per test, whole-file
// reads and writes, and an independent reader of the pool format that
// follows the documented layout byte by byte (512 key bytes, 2048 value
// bytes, each a C string) without any of the library's code or constants.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "../../../../sdk/tests/temp_dir.h"

namespace kvp::pool::test {

using Bytes = std::vector<std::uint8_t>;

using TempDir = vmbus::test::TempDir;  // sdk/tests/temp_dir.h

inline Bytes read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const std::filesystem::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// A record the way the documented format has it.
struct RawRecord {
  std::string key;
  std::string value;
  friend bool operator==(const RawRecord&, const RawRecord&) = default;
};

// The C string at b[from .. from + length), stopping at the first NUL.
inline std::string c_string(const Bytes& b, std::size_t from, std::size_t length) {
  std::string s;
  for (std::size_t i = from; i < from + length && b[i] != 0; ++i) s += static_cast<char>(b[i]);
  return s;
}

// Every record of a pool file: 2560-byte records, key at +0 (512 bytes),
// value at +512 (2048 bytes).
inline std::vector<RawRecord> independent_read(const std::filesystem::path& p) {
  const Bytes b = read_file(p);
  EXPECT_EQ(b.size() % 2560, 0u) << p;
  std::vector<RawRecord> records;
  for (std::size_t at = 0; at + 2560 <= b.size(); at += 2560) {
    records.push_back({c_string(b, at, 512), c_string(b, at + 512, 2048)});
  }
  return records;
}

// One record as hv_kvp_daemon leaves it: the key and value with their NUL,
// and whatever its realloc'd buffer held after them (here `filler`).
inline Bytes daemon_record(std::string_view key, std::string_view value, std::uint8_t filler = 0xa5) {
  Bytes r(2560, filler);
  for (std::size_t i = 0; i < key.size(); ++i) r[i] = static_cast<std::uint8_t>(key[i]);
  r[key.size()] = 0;
  for (std::size_t i = 0; i < value.size(); ++i) r[512 + i] = static_cast<std::uint8_t>(value[i]);
  r[512 + value.size()] = 0;
  return r;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}

// Runs `body` in a child process; returns its exit status (0 = success).
template <typename Body>
int in_child(Body&& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace kvp::pool::test
