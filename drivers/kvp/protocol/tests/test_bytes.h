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

#include "../../../../tests/support/wire_bytes.h"
#include "kvp/protocol/field_error.h"

namespace kvp::test {

// tests/support/wire_bytes.h: Bytes, view, writable, le16, le32, cat, zeros,
// put8..put64, get16, get32 (bounds-checked).
using namespace vmbus_support::wire_bytes;

// ASCII text as UTF-16LE units, without a NUL: each char becomes {c, 0}.
inline Bytes ascii16(std::string_view s) {
  Bytes b;
  for (char c : s) {
    b.push_back(static_cast<std::uint8_t>(c));
    b.push_back(0);
  }
  return b;
}

inline void put_bytes(Bytes& b, std::size_t at, const Bytes& v) {
  for (std::size_t i = 0; i < v.size(); ++i) b.at(at + i) = v[i];
}

inline FieldError error(Field f, Violation v, std::uint64_t value) { return FieldError{f, v, value}; }

}  // namespace kvp::test
