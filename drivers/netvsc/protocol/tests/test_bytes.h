// Byte helpers for the protocol tests: literal byte vectors, views of them,
// and little-endian patching of a field in place (for malformed inputs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <vector>

#include "netvsc/protocol/parse_error.h"

namespace netvsc::test {

using Bytes = std::vector<std::uint8_t>;

inline std::span<const std::byte> view(const Bytes& b) { return std::as_bytes(std::span(b)); }
inline std::span<std::byte> writable(Bytes& b) { return std::as_writable_bytes(std::span(b)); }
inline Bytes copy(std::span<const std::byte> s) {
  Bytes b(s.size());
  if (!s.empty()) std::memcpy(b.data(), s.data(), s.size());
  return b;
}

// Little-endian u32s, for writing expected messages as words.
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

inline void put32(Bytes& b, std::size_t at, std::uint32_t v) { std::memcpy(b.data() + at, &v, sizeof v); }
inline void put16(Bytes& b, std::size_t at, std::uint16_t v) { std::memcpy(b.data() + at, &v, sizeof v); }

inline ParseError error(Field f, Violation v, std::uint64_t value) { return ParseError{f, v, value}; }

}  // namespace netvsc::test
