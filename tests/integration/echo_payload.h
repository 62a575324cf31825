// File: tests/integration/echo_payload.h
//
// What the echo tests send and check: the payload bytes of packet `id`, and
// how much ring space an in-band packet with a payload of that size takes,
// to batch packets so that a batch fits both rings.
//
// Usage:
//   for (std::size_t i = 0; i < size; ++i) payload[i] = pattern(id, i);
//   if (bytes + packet_bytes(size) > kBatchBytes) break;
#pragma once

#include <cstddef>
#include <cstdint>

namespace vmbus_it {

// Byte `i` of packet `id`'s payload.
inline std::byte pattern(std::uint64_t id, std::size_t i) {
  return static_cast<std::byte>((id * 131u + i * 7u) & 0xffu);
}

// Ring bytes of an in-band packet: 16-byte descriptor, the payload padded to
// 8 bytes, 8-byte trailer.
inline std::size_t packet_bytes(std::size_t payload) { return 16 + ((payload + 7) / 8) * 8 + 8; }

}  // namespace vmbus_it
