// File: tests/integration/echo_payload.h
//
// What the echo tests send and check: the payload bytes of packet `id`, and
// how much ring space an in-band packet with a payload of that size takes,
// to batch packets so that a batch fits both rings.
//
// Usage:
//   std::span<const std::byte> want = pattern_bytes(id, size);  // pattern(id, 0..size-1)
//   std::memcpy(payload.data(), want.data(), size);
//   if (bytes + packet_bytes(size) > kBatchBytes) break;
#pragma once

#include <cstddef>
#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

namespace vmbus_it {

// Byte `i` of packet `id`'s payload.
inline std::byte pattern(std::uint64_t id, std::size_t i) {
  return static_cast<std::byte>((id * 131u + i * 7u) & 0xffu);
}

// pattern(id, 0..size-1) as one view, for memcpy and memcmp instead of a
// loop per byte (a million packets at -O0 under ASan: the loops were most of
// the test's time). pattern(id, i) = 7 * (i + j) mod 256 with
// j = 131 * id * 183 (183 = 7^-1 mod 256), so every payload is a window
// of one sequence that repeats every 256 bytes. At most kMaxPatternBytes.
inline constexpr std::size_t kMaxPatternBytes = 64 * 1024;
inline std::span<const std::byte> pattern_bytes(std::uint64_t id, std::size_t size) {
  static const auto table = [] {
    std::array<std::byte, 256 + kMaxPatternBytes> t{};
    for (std::size_t k = 0; k < t.size(); ++k) t[k] = pattern(0, k);
    return t;
  }();
  if (size > kMaxPatternBytes) throw std::length_error("pattern_bytes: " + std::to_string(size) + " bytes");
  const std::size_t j = static_cast<std::size_t>((id * 131u * 183u) & 0xffu);
  return std::span<const std::byte>(table).subspan(j, size);
}

// Ring bytes of an in-band packet: 16-byte descriptor, the payload padded to
// 8 bytes, 8-byte trailer.
inline std::size_t packet_bytes(std::size_t payload) { return 16 + ((payload + 7) / 8) * 8 + 8; }

}  // namespace vmbus_it
