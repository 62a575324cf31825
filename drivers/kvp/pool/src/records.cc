// Records in a pool file's bytes.
#include "records.h"

#include <algorithm>
#include <cstring>

namespace kvp::pool::detail {
namespace {

// The text of a field up to its first NUL, if it has one.
std::optional<std::string_view> terminated(std::span<const std::byte> field) noexcept {
  const auto* chars = reinterpret_cast<const char*>(field.data());
  const void* nul = std::memchr(chars, 0, field.size());
  if (nul == nullptr) return std::nullopt;
  return std::string_view(chars, static_cast<std::size_t>(static_cast<const char*>(nul) - chars));
}

void write_field(std::span<std::byte> field, std::string_view text) noexcept {
  if (!text.empty()) std::memcpy(field.data(), text.data(), text.size());
  std::fill(field.begin() + static_cast<std::ptrdiff_t>(text.size()), field.end(), std::byte{0});
}

}  // namespace

ScannedFile scan(std::span<const std::byte> contents, const std::string& path) {
  ScannedFile f;
  f.records = contents.size() / kRecordSize;
  f.readable.assign(f.records, true);
  for (std::size_t i = 0; i < f.records; ++i) {
    const auto record = record_at(contents, i);
    const std::uint64_t offset = std::uint64_t{i} * kRecordSize;
    if (!key_of(record)) {
      f.problems.push_back({FileProblem::Kind::key_not_terminated, path, i, offset, kRecordSize, false});
      f.readable[i] = false;
    }
    if (!value_of(record)) {
      f.problems.push_back({FileProblem::Kind::value_not_terminated, path, i, offset, kRecordSize, false});
      f.readable[i] = false;
    }
  }
  // kvp_update_mem_state's fread counts whole records and drops the rest
  // without a word; here it is reported.
  if (const std::size_t rest = contents.size() % kRecordSize; rest != 0) {
    f.problems.push_back({FileProblem::Kind::partial_record, path, f.records,
                          std::uint64_t{f.records} * kRecordSize, rest, false});
  }
  return f;
}

std::span<const std::byte> record_at(std::span<const std::byte> contents, std::size_t index) noexcept {
  return contents.subspan(index * kRecordSize, kRecordSize);
}

std::span<std::byte> record_at(std::span<std::byte> contents, std::size_t index) noexcept {
  return contents.subspan(index * kRecordSize, kRecordSize);
}

std::optional<std::string_view> key_of(std::span<const std::byte> record) noexcept {
  return terminated(record.subspan(offsetof(Record, key), kKeyBytes));
}

std::optional<std::string_view> value_of(std::span<const std::byte> record) noexcept {
  return terminated(record.subspan(offsetof(Record, value), kValueBytes));
}

bool key_matches(std::span<const std::byte> record, std::string_view key) noexcept {
  const auto* stored = reinterpret_cast<const char*>(record.data() + offsetof(Record, key));
  return (key.empty() || std::memcmp(stored, key.data(), key.size()) == 0) && stored[key.size()] == '\0';
}

void write_record(std::span<std::byte> record, std::string_view key, std::string_view value) noexcept {
  write_field(record.subspan(offsetof(Record, key), kKeyBytes), key);
  write_value(record, value);
}

void write_value(std::span<std::byte> record, std::string_view value) noexcept {
  write_field(record.subspan(offsetof(Record, value), kValueBytes), value);
}

std::optional<std::size_t> find_key(std::span<const std::byte> contents, std::size_t records,
                                    std::string_view key) noexcept {
  for (std::size_t i = 0; i < records; ++i) {
    if (key_matches(record_at(contents, i), key)) return i;
  }
  return std::nullopt;
}

}  // namespace kvp::pool::detail
