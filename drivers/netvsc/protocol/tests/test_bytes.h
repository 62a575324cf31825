// Byte helpers for the protocol tests: literal byte vectors, views of them,
// and little-endian patching of a field in place (for malformed inputs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <vector>

#include "../../../../tests/support/wire_bytes.h"
#include "netvsc/protocol/parse_error.h"

namespace netvsc::test {

// tests/support/wire_bytes.h: Bytes, view, writable, copy, le16, le32, cat,
// zeros, put16/put32 (bounds-checked).
using namespace vmbus_support::wire_bytes;

inline ParseError error(Field f, Violation v, std::uint64_t value) { return ParseError{f, v, value}; }

}  // namespace netvsc::test
