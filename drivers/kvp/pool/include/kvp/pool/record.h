// File: kvp/pool/record.h
//
// The layout of hv_kvp_daemon's pool files (tools/hv/hv_kvp_daemon.c), the
// format every KVP pool on a Linux guest is kept in:
//   - one file per pool, KVP_CONFIG_LOC "/var/lib/hyperv" + "/.kvp_pool_%d",
//     pools 0 .. KVP_POOL_COUNT - 1 (kvp_file_init); the directory is created
//     0755, the files 0644;
//   - no header: the file is an array of struct kvp_record
//     {char key[HV_KVP_EXCHANGE_MAX_KEY_SIZE]; char value[HV_KVP_EXCHANGE_MAX_VALUE_SIZE];},
//     2560 bytes each, in insertion order;
//   - key and value are UTF-8, NUL-terminated inside their arrays; the bytes
//     after the NUL are whatever the daemon's buffer held (kvp_key_add_or_modify
//     copies key_size and value_size bytes only), so readers stop at the NUL.
// A key therefore holds at most 511 bytes of UTF-8 and a value 2047.
//
// Usage:
//   std::filesystem::path p = dir / kvp::pool::pool_file_name(1);  // ".kvp_pool_1"
//   std::uintmax_t records = std::filesystem::file_size(p) / kvp::pool::kRecordSize;
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kvp::pool {

inline constexpr std::size_t kKeyBytes = 512;     // HV_KVP_EXCHANGE_MAX_KEY_SIZE
inline constexpr std::size_t kValueBytes = 2048;  // HV_KVP_EXCHANGE_MAX_VALUE_SIZE
// The longest key and value, in bytes of UTF-8 without the NUL.
inline constexpr std::size_t kMaxKeyLength = kKeyBytes - 1;
inline constexpr std::size_t kMaxValueLength = kValueBytes - 1;

// struct kvp_record.
struct Record {
  char key[kKeyBytes];
  char value[kValueBytes];
};
static_assert(offsetof(Record, key) == 0);
static_assert(offsetof(Record, value) == 512);
static_assert(sizeof(Record) == 2560);
inline constexpr std::size_t kRecordSize = sizeof(Record);

// KVP_POOL_COUNT: pools 0 (external) .. 4 (auto internal).
inline constexpr int kPoolCount = 5;

// KVP_CONFIG_LOC, where the daemon keeps its pools.
inline constexpr std::string_view kDefaultDirectory = "/var/lib/hyperv";

// Modes the daemon creates the directory and the files with.
inline constexpr unsigned kDirectoryMode = 0755;
inline constexpr unsigned kFileMode = 0644;

// ".kvp_pool_<pool>".
inline std::string pool_file_name(int pool) { return ".kvp_pool_" + std::to_string(pool); }

}  // namespace kvp::pool
