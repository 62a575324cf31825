// Byte helpers for the KVP protocol tests: literal byte vectors, views of
// them, little-endian patching in place (for malformed inputs), UTF-16LE
// strings written out unit by unit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "kvp/protocol/field_error.h"

namespace kvp::test {

using Bytes = std::vector<std::uint8_t>;

inline std::span<const std::byte> view(const Bytes& b) { return std::as_bytes(std::span(b)); }
inline std::span<std::byte> writable(Bytes& b) { return std::as_writable_bytes(std::span(b)); }

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

// ASCII text as UTF-16LE units, without a NUL: each char becomes {c, 0}.
inline Bytes ascii16(std::string_view s) {
  Bytes b;
  for (char c : s) {
    b.push_back(static_cast<std::uint8_t>(c));
    b.push_back(0);
  }
  return b;
}

inline void put8(Bytes& b, std::size_t at, std::uint8_t v) { b.at(at) = v; }
inline void put16(Bytes& b, std::size_t at, std::uint16_t v) { std::memcpy(&b.at(at + 1) - 1, &v, sizeof v); }
inline void put32(Bytes& b, std::size_t at, std::uint32_t v) { std::memcpy(&b.at(at + 3) - 3, &v, sizeof v); }
inline void put64(Bytes& b, std::size_t at, std::uint64_t v) { std::memcpy(&b.at(at + 7) - 7, &v, sizeof v); }
inline void put_bytes(Bytes& b, std::size_t at, const Bytes& v) {
  for (std::size_t i = 0; i < v.size(); ++i) b.at(at + i) = v[i];
}
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

inline FieldError error(Field f, Violation v, std::uint64_t value) { return FieldError{f, v, value}; }

}  // namespace kvp::test
