// One pool file, opened and locked for the length of one operation: the
// daemon's kvp_acquire_lock / kvp_release_lock around a whole-file read and,
// when something changed, a whole-file rewrite. RAII: the lock is released
// and the descriptor closed when the object goes, on every path.
// Internal to kvp_pool.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

#include "kvp/pool/pool_error.h"
#include "vmbus/unique_fd.h"

namespace kvp::pool::detail {

class LockedFile {
 public:
  enum class Access : std::uint8_t {
    read,   // no creation; a missing file reads as empty; read-only fallback
    write,  // create the directory (0755) and the file (0644) if missing
  };

  // Opens `path`, takes the whole-file lock (F_SETLKW, retried on EINTR) and
  // reads the whole file. Errors: io_error naming the path and the call.
  static PoolResult<LockedFile> open(const std::filesystem::path& path, Access access);

  LockedFile(LockedFile&& other) noexcept = default;
  LockedFile& operator=(LockedFile&&) = delete;
  LockedFile(const LockedFile&) = delete;
  LockedFile& operator=(const LockedFile&) = delete;
  ~LockedFile();

  const std::vector<std::byte>& contents() const noexcept { return contents_; }

  // Replaces the whole file with `bytes` (pwrite from 0, then ftruncate),
  // through the locked descriptor. Errors: io_error "write" / "truncate".
  PoolStatus rewrite(std::span<const std::byte> bytes);

 private:
  LockedFile(std::filesystem::path path, vmbus::UniqueFd fd) noexcept : path_(std::move(path)), fd_(std::move(fd)) {}
  PoolStatus lock(short type);
  PoolStatus read_all();

  std::filesystem::path path_;
  vmbus::UniqueFd fd_;  // empty when a read found no file
  bool locked_ = false;
  std::vector<std::byte> contents_;
};

}  // namespace kvp::pool::detail
