// File: kvp/protocol/wire.h
//
// Loads and stores of wire structs by copy. Every IC and KVP field is
// little-endian (Linux's hv_kvp.c and hv_util.c read them without byte
// swaps, and the strings are UTF-16LE), and a packet payload sits at any
// alignment in the caller's buffer, so nothing here casts a pointer: a field
// is memcpy'd in or out. Callers check bounds first; these helpers do not.
//
// Usage:
//   auto hdr = kvp::wire::load<kvp::ic::MessageHeader>(payload, kvp::ic::kPipeHeaderSize);
//   kvp::wire::store<std::uint8_t>(packet, kvp::ic::kIcFlagsOffset, flags);
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace kvp::wire {

static_assert(std::endian::native == std::endian::little,
              "KVP wire structs are little-endian and read by copy; a big-endian port needs swaps here");

// Reads a T at `offset`. Precondition: offset + sizeof(T) <= bytes.size().
template <typename T>
  requires std::is_trivially_copyable_v<T>
inline T load(std::span<const std::byte> bytes, std::size_t offset = 0) noexcept {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// Writes `value` at `offset`. Precondition: offset + sizeof(T) <= bytes.size().
template <typename T>
  requires std::is_trivially_copyable_v<T>
inline void store(std::span<std::byte> bytes, std::size_t offset, const T& value) noexcept {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

// The object representation of a wire struct, for appending it to a buffer.
template <typename T>
  requires std::is_trivially_copyable_v<T>
inline std::span<const std::byte> bytes_of(const T& value) noexcept {
  return {reinterpret_cast<const std::byte*>(&value), sizeof value};
}

// `offset + length` fits in [0, limit], computed in 64 bits so a peer's
// sizes can never wrap into range.
constexpr bool fits(std::uint64_t offset, std::uint64_t length, std::uint64_t limit) noexcept {
  return offset <= limit && length <= limit - offset;
}

}  // namespace kvp::wire
