// File: vmbus/wire.h
//
// Loads and stores of wire structs by copy, for every protocol on VMBus:
// VMBus itself, and the drivers' NVSP, RNDIS, NDIS, IC and KVP messages. All
// of them are little-endian (hyperv.h, hyperv_net.h and MS-RNDIS 2.2 have no
// byte swaps), and a peer's bytes may sit at any alignment inside a ring copy
// or a receive buffer section, so nothing here casts a pointer: a struct is
// memcpy'd in or out. Callers check bounds first; these helpers do not.
//
// Usage:
//   auto header = vmbus::wire::load<netvsc::rndis::Packet>(message, 8);
//   vmbus::wire::store(out, 0, header);
//   if (!vmbus::wire::fits(offset, length, message.size())) return error;
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace vmbus::wire {

static_assert(std::endian::native == std::endian::little,
              "VMBus wire structs are little-endian and read by copy; a big-endian port needs swaps here");

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

// `offset + length` fits in [0, limit]: computed in 64 bits, so a peer's
// u32 offset and length can never wrap into range.
constexpr bool fits(std::uint64_t offset, std::uint64_t length, std::uint64_t limit) noexcept {
  return offset <= limit && length <= limit - offset;
}

}  // namespace vmbus::wire
