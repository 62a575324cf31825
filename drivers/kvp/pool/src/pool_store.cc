// The pool operations: hv_kvp_daemon's kvp_get_value, kvp_key_add_or_modify,
// kvp_key_delete and kvp_pool_enumerate, each under the file lock and with
// the damage it met reported.
#include "kvp/pool/pool_store.h"

#include <algorithm>
#include <mutex>

#include "locked_file.h"
#include "records.h"

namespace kvp::pool {
namespace {

// fcntl locks exclude processes, not threads of one process: this does.
std::mutex& process_mutex() {
  static std::mutex m;
  return m;
}

PoolError error(PoolErrc code, std::uint64_t detail, std::string path = {}) {
  PoolError e;
  e.code = code;
  e.detail = detail;
  e.path = std::move(path);
  return e;
}

PoolStatus check_pool(int pool) {
  if (pool < 0 || pool >= kPoolCount) return error(PoolErrc::pool_out_of_range, static_cast<std::uint64_t>(pool));
  return {};
}

// kvp_key_add_or_modify refuses key_size > HV_KVP_EXCHANGE_MAX_KEY_SIZE
// (and the value likewise); key_size counts the NUL.
PoolStatus check_key(std::string_view key) {
  if (key.size() + 1 > kKeyBytes) return error(PoolErrc::key_too_long, key.size() + 1);
  if (const auto nul = key.find('\0'); nul != std::string_view::npos) return error(PoolErrc::key_contains_nul, nul);
  return {};
}

PoolStatus check_value(std::string_view value) {
  if (value.size() + 1 > kValueBytes) return error(PoolErrc::value_too_long, value.size() + 1);
  if (const auto nul = value.find('\0'); nul != std::string_view::npos) {
    return error(PoolErrc::value_contains_nul, nul);
  }
  return {};
}

PoolStatus check(int pool, std::string_view key) {
  if (auto s = check_pool(pool); !s) return s;
  return check_key(key);
}

// The readable records of a scanned file, in order.
std::vector<Entry> readable_entries(std::span<const std::byte> contents, const detail::ScannedFile& scanned) {
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < scanned.records; ++i) {
    if (!scanned.readable[i]) continue;
    const auto record = detail::record_at(contents, i);
    entries.push_back(Entry{std::string(*detail::key_of(record)), std::string(*detail::value_of(record))});
  }
  return entries;
}

// Rewrites `file` with `contents` (whole records only); a partial record
// the scan reported is now gone, and says so.
PoolStatus rewrite(detail::LockedFile& file, std::span<const std::byte> contents,
                   std::vector<FileProblem>& problems) {
  if (auto s = file.rewrite(contents); !s) return s;
  for (FileProblem& p : problems) {
    if (p.kind == FileProblem::Kind::partial_record) p.dropped = true;
  }
  return {};
}

}  // namespace

PoolStore::PoolStore(std::filesystem::path directory) : directory_(std::move(directory)) {}

std::filesystem::path PoolStore::file_path(int pool) const { return directory_ / pool_file_name(pool); }

PoolStatus PoolStore::create_files() const {
  const std::lock_guard guard(process_mutex());
  for (int pool = 0; pool < kPoolCount; ++pool) {
    auto file = detail::LockedFile::open(file_path(pool), detail::LockedFile::Access::write);
    if (!file) return file.error();
  }
  return {};
}

PoolResult<Lookup> PoolStore::get(int pool, std::string_view key) const {
  if (auto s = check(pool, key); !s) return s.error();
  const std::lock_guard guard(process_mutex());
  auto file = detail::LockedFile::open(file_path(pool), detail::LockedFile::Access::read);
  if (!file) return file.error();
  const std::span<const std::byte> contents = file->contents();
  auto scanned = detail::scan(contents, file_path(pool).string());
  Lookup lookup{std::nullopt, std::move(scanned.problems)};
  if (auto i = detail::find_key(contents, scanned.records, key)) {
    const auto value = detail::value_of(detail::record_at(contents, *i));
    if (!value) return error(PoolErrc::corrupt_record, *i, file_path(pool).string());
    lookup.value = std::string(*value);
  }
  return lookup;
}

PoolResult<Update> PoolStore::set(int pool, std::string_view key, std::string_view value) const {
  if (auto s = check(pool, key); !s) return s.error();
  if (auto s = check_value(value); !s) return s.error();
  const std::lock_guard guard(process_mutex());
  auto file = detail::LockedFile::open(file_path(pool), detail::LockedFile::Access::write);
  if (!file) return file.error();
  auto scanned = detail::scan(file->contents(), file_path(pool).string());
  Update update{Change::unchanged, std::move(scanned.problems)};
  // Whole records only: a trailing partial record does not survive a rewrite.
  std::vector<std::byte> contents(file->contents().begin(),
                                  file->contents().begin() +
                                      static_cast<std::ptrdiff_t>(scanned.records * kRecordSize));
  if (auto i = detail::find_key(contents, scanned.records, key)) {
    const auto record = detail::record_at(std::span(contents), *i);
    if (detail::value_of(record) == value) return update;
    detail::write_value(record, value);
    update.change = Change::replaced;
  } else {
    contents.resize(contents.size() + kRecordSize);
    detail::write_record(detail::record_at(std::span(contents), scanned.records), key, value);
    update.change = Change::added;
  }
  if (auto s = rewrite(*file, contents, update.problems); !s) return s.error();
  return update;
}

PoolResult<Update> PoolStore::remove(int pool, std::string_view key) const {
  if (auto s = check(pool, key); !s) return s.error();
  const std::lock_guard guard(process_mutex());
  auto file = detail::LockedFile::open(file_path(pool), detail::LockedFile::Access::write);
  if (!file) return file.error();
  auto scanned = detail::scan(file->contents(), file_path(pool).string());
  Update update{Change::not_found, std::move(scanned.problems)};
  auto i = detail::find_key(file->contents(), scanned.records, key);
  if (!i) return update;
  // kvp_key_delete: the later records move up one place.
  std::vector<std::byte> contents(file->contents().begin(),
                                  file->contents().begin() +
                                      static_cast<std::ptrdiff_t>(scanned.records * kRecordSize));
  const auto first = contents.begin() + static_cast<std::ptrdiff_t>(*i * kRecordSize);
  contents.erase(first, first + static_cast<std::ptrdiff_t>(kRecordSize));
  update.change = Change::removed;
  if (auto s = rewrite(*file, contents, update.problems); !s) return s.error();
  return update;
}

PoolResult<Enumeration> PoolStore::enumerate(int pool, std::uint32_t index) const {
  auto listing = list(pool);
  if (!listing) return listing.error();
  Enumeration e{std::nullopt, std::move(listing->problems)};
  if (index < listing->entries.size()) e.entry = std::move(listing->entries[index]);
  return e;
}

PoolResult<Listing> PoolStore::list(int pool) const {
  if (auto s = check_pool(pool); !s) return s.error();
  const std::lock_guard guard(process_mutex());
  auto file = detail::LockedFile::open(file_path(pool), detail::LockedFile::Access::read);
  if (!file) return file.error();
  auto scanned = detail::scan(file->contents(), file_path(pool).string());
  return Listing{readable_entries(file->contents(), scanned), std::move(scanned.problems)};
}

}  // namespace kvp::pool
