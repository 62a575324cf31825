// File: kvp/pool/pool_error.h
//
// What the pool files can go wrong with, in two kinds:
//   - PoolError: the operation did not happen (a key or value too long for
//     a record, a pool number outside 0..4, a system call that failed on a
//     named file, a record that cannot be read for the key asked for);
//   - FileProblem: the operation happened, but the file it read is damaged
//     (not a whole number of records, a key or value without its NUL). Every
//     result carries the problems found on the way, so nothing damaged is
//     skipped or dropped without the caller hearing of it.
//
// Usage:
//   auto r = store.set(1, "Location", "Rack 12");
//   if (!r) { log(r.error().message()); return kvp::ic::kHvEFail; }
//   for (const auto& p : r->problems) log(p.message());
#pragma once

#include <cstdint>
#include <string>

#include "vmbus/result.h"

namespace kvp::pool {

enum class PoolErrc : std::uint8_t {
  pool_out_of_range,   // detail = the pool number (as unsigned)
  key_too_long,        // detail = bytes with the NUL; a record holds 512
  value_too_long,      // detail = bytes with the NUL; a record holds 2048
  key_contains_nul,    // detail = position of the '\0'
  value_contains_nul,  // detail = position of the '\0'
  corrupt_record,      // the record holding the key has no NUL in its value; detail = record index
  io_error,            // `operation` on `path` failed with `sys_errno`
};

struct PoolError {
  PoolErrc code = PoolErrc::io_error;
  std::uint64_t detail = 0;
  int sys_errno = 0;
  std::string path;       // the file or directory concerned, if any
  std::string operation;  // io_error: "open", "lock", "read", "write", "truncate", "mkdir", "chmod"

  // "/var/lib/hyperv/.kvp_pool_1: write: No space left on device (errno 28)" and the like.
  std::string message() const;
};

template <typename T>
using PoolResult = vmbus::BasicResult<T, PoolError>;
using PoolStatus = vmbus::BasicStatus<PoolError>;

// Damage found in a pool file while reading it.
struct FileProblem {
  enum class Kind : std::uint8_t {
    partial_record,        // the file ends `bytes` bytes into a record
    key_not_terminated,    // no NUL in the record's 512 key bytes
    value_not_terminated,  // no NUL in the record's 2048 value bytes
  };
  Kind kind = Kind::partial_record;
  std::string path;
  std::uint64_t record = 0;  // index of the record (a partial one: the index it would have)
  std::uint64_t offset = 0;  // where it starts in the file
  std::uint64_t bytes = 0;   // partial_record: how many bytes of it there are
  bool dropped = false;      // partial_record: this operation rewrote the file without them

  // What was found and what was done about it, naming the file.
  std::string message() const;
  friend bool operator==(const FileProblem&, const FileProblem&) = default;
};

}  // namespace kvp::pool
