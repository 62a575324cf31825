// File: tests/support/wire_bytes.h
//
// Byte helpers for protocol tests (NVSP/RNDIS, IC/KVP, ...): literal byte
// vectors written as little-endian words, views of them for parsers, and
// little-endian patching of a field in place to make a malformed input.
// put* and get* check their bounds (a test's typo fails, never corrupts).
//
// Usage:
//   using namespace vmbus_support::wire_bytes;
//   Bytes m = cat({le32({2, 0x28}), zeros(32)});
//   put32(m, 4, 0xffffffff);                 // a size that lies
//   auto r = parse(view(m));
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <vector>

namespace vmbus_support::wire_bytes {

using Bytes = std::vector<std::uint8_t>;

inline std::span<const std::byte> view(const Bytes& b) { return std::as_bytes(std::span(b)); }
inline std::span<std::byte> writable(Bytes& b) { return std::as_writable_bytes(std::span(b)); }
inline Bytes copy(std::span<const std::byte> s) {
  Bytes b(s.size());
  if (!s.empty()) std::memcpy(b.data(), s.data(), s.size());
  return b;
}

inline Bytes le16(std::initializer_list<std::uint16_t> units) {
  Bytes b;
  for (std::uint16_t u : units) {
    b.push_back(static_cast<std::uint8_t>(u));
    b.push_back(static_cast<std::uint8_t>(u >> 8));
  }
  return b;
}
inline Bytes le32(std::initializer_list<std::uint32_t> words) {
  Bytes b;
  for (std::uint32_t w : words) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(w >> (8 * i)));
  }
  return b;
}
inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}
inline Bytes zeros(std::size_t n) { return Bytes(n, 0); }

inline void put8(Bytes& b, std::size_t at, std::uint8_t v) { b.at(at) = v; }
inline void put16(Bytes& b, std::size_t at, std::uint16_t v) { std::memcpy(&b.at(at + 1) - 1, &v, sizeof v); }
inline void put32(Bytes& b, std::size_t at, std::uint32_t v) { std::memcpy(&b.at(at + 3) - 3, &v, sizeof v); }
inline void put64(Bytes& b, std::size_t at, std::uint64_t v) { std::memcpy(&b.at(at + 7) - 7, &v, sizeof v); }
inline std::uint16_t get16(const Bytes& b, std::size_t at) {
  std::uint16_t v;
  std::memcpy(&v, &b.at(at + 1) - 1, sizeof v);
  return v;
}
inline std::uint32_t get32(const Bytes& b, std::size_t at) {
  std::uint32_t v;
  std::memcpy(&v, &b.at(at + 3) - 3, sizeof v);
  return v;
}

}  // namespace vmbus_support::wire_bytes
