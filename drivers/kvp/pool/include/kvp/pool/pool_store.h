// File: kvp/pool/pool_store.h
//
// The five KVP pools, kept in hv_kvp_daemon's files (record.h) and shared
// with the daemon and any other process that follows its locking. Every
// operation does what the daemon does around each host request
// (kvp_update_mem_state, kvp_update_file):
//   open the pool's file -> fcntl(F_SETLKW, F_WRLCK) on the whole file ->
//   read the whole file -> rewrite the whole file if the operation changed
//   something -> unlock -> close.
// All I/O goes through the one locked descriptor (the daemon reopens the
// file with fopen to write it; closing that second descriptor releases its
// lock early, a POSIX rule we do not repeat). fcntl locks belong to a
// process, so operations from several threads of one process are also
// serialised by a mutex. A reader without write access to the file (the
// daemon's files are 0644 root) falls back to O_RDONLY and F_RDLCK, which
// still excludes every writer.
//
// Semantics, as the daemon's:
//   - keys match by memcmp over the key and its NUL (kvp_key_add_or_modify);
//     the first matching record wins;
//   - set replaces the value of the matching record, or appends a record;
//   - remove deletes the record and moves the later ones up (compaction);
//   - enumerate returns the index-th record (kvp_pool_enumerate) counting
//     only records whose key and value are both NUL-terminated.
// Limits: a key up to 511 bytes of UTF-8 and a value up to 2047 (512 and
// 2048 with the NUL), no NUL inside either.
//
// Damaged files are read, not refused: whole records are used when their
// key and value are terminated, and every problem comes back in `problems`.
// Records without a NUL are skipped by enumerate/list and kept as they are
// on rewrite (a `set` of their key repairs them); a trailing partial record
// is ignored, and dropped (`dropped` = true) when the operation rewrites the
// file. Writing creates the directory (0755, one level) and the file (0644)
// when missing, whatever the umask; reading a missing file finds an empty pool.
//
// Usage:
//   kvp::pool::PoolStore pools;                        // /var/lib/hyperv
//   auto r = pools.set(0, "Location", "Rack 12");
//   if (!r) return log(r.error().message());
//   auto v = pools.get(0, "Location");                 // v->value == "Rack 12"
//   for (std::uint32_t i = 0;; ++i) {
//     auto e = pools.enumerate(1, i);
//     if (!e || !e->entry) break;                      // end: HV_S_CONT
//     send(e->entry->key, e->entry->value);
//   }
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvp/pool/pool_error.h"
#include "kvp/pool/record.h"

namespace kvp::pool {

struct Entry {
  std::string key;
  std::string value;
  friend bool operator==(const Entry&, const Entry&) = default;
};

// What a write did.
enum class Change : std::uint8_t {
  added,      // set: a new record at the end
  replaced,   // set: the matching record holds the new value
  unchanged,  // set: it already held that value; the file was not rewritten
  removed,    // remove: the record is gone and the ones after it moved up
  not_found,  // remove: no record has that key (the daemon answers HV_S_CONT)
};

struct Lookup {
  std::optional<std::string> value;  // nullopt: no such key (HV_S_CONT)
  std::vector<FileProblem> problems;
};

struct Update {
  Change change = Change::unchanged;
  std::vector<FileProblem> problems;
};

struct Enumeration {
  std::optional<Entry> entry;  // nullopt: index past the end (HV_S_CONT)
  std::vector<FileProblem> problems;
};

struct Listing {
  std::vector<Entry> entries;
  std::vector<FileProblem> problems;
};

class PoolStore {
 public:
  explicit PoolStore(std::filesystem::path directory = std::filesystem::path(kDefaultDirectory));

  const std::filesystem::path& directory() const noexcept { return directory_; }
  // directory / ".kvp_pool_<pool>" (no range check).
  std::filesystem::path file_path(int pool) const;

  // kvp_file_init: the directory (0755) and all five files (0644), without
  // touching files that exist. Errors: io_error naming the path.
  PoolStatus create_files() const;

  // Every operation fails with pool_out_of_range for a pool outside 0..4,
  // key_too_long / key_contains_nul for a key that no record can hold, and
  // io_error naming the file for a system call that failed.

  // The value of `key`. Also: corrupt_record when the matching record's
  // value has no NUL.
  PoolResult<Lookup> get(int pool, std::string_view key) const;
  // Adds or replaces. Also: value_too_long, value_contains_nul.
  PoolResult<Update> set(int pool, std::string_view key, std::string_view value) const;
  // Deletes and compacts (the daemon's KVP_OP_DELETE).
  PoolResult<Update> remove(int pool, std::string_view key) const;
  // The index-th readable record (the daemon's KVP_OP_ENUMERATE).
  PoolResult<Enumeration> enumerate(int pool, std::uint32_t index) const;
  // Every readable record, in file order.
  PoolResult<Listing> list(int pool) const;

 private:
  std::filesystem::path directory_;
};

}  // namespace kvp::pool
