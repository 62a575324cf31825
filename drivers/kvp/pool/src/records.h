// Records inside a pool file's bytes (record.h): finding whole records and
// the damage around them, matching keys as the daemon does, writing records.
// Internal to kvp_pool.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kvp/pool/pool_error.h"
#include "kvp/pool/record.h"

namespace kvp::pool::detail {

// A pool file's contents, checked.
struct ScannedFile {
  std::size_t records = 0;             // whole records
  std::vector<FileProblem> problems;   // in file order; a partial record last
  std::vector<bool> readable;          // per record: key and value both terminated
};
ScannedFile scan(std::span<const std::byte> contents, const std::string& path);

std::span<const std::byte> record_at(std::span<const std::byte> contents, std::size_t index) noexcept;
std::span<std::byte> record_at(std::span<std::byte> contents, std::size_t index) noexcept;

// The key and the value up to their NUL; nullopt without one.
std::optional<std::string_view> key_of(std::span<const std::byte> record) noexcept;
std::optional<std::string_view> value_of(std::span<const std::byte> record) noexcept;

// kvp_key_add_or_modify's test: memcmp(key, record.key, key_size) with
// key_size = the key and its NUL. Precondition: key.size() < kKeyBytes.
bool key_matches(std::span<const std::byte> record, std::string_view key) noexcept;

// Fills `record` with key and value, zeroes after each NUL. Preconditions:
// the lengths fit (kMaxKeyLength, kMaxValueLength).
void write_record(std::span<std::byte> record, std::string_view key, std::string_view value) noexcept;
void write_value(std::span<std::byte> record, std::string_view value) noexcept;

// The index of the first record matching `key`, if any.
std::optional<std::size_t> find_key(std::span<const std::byte> contents, std::size_t records,
                                    std::string_view key) noexcept;

}  // namespace kvp::pool::detail
