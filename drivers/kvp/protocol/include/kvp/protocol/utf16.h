// File: kvp/protocol/utf16.h
//
// UTF-16LE <-> UTF-8, strictly. Keys and values cross VMBus as UTF-16LE
// (the Windows host's encoding) and live in the pool files as UTF-8
// (hv_kvp_daemon), so every string is converted once each way.
//
// Linux converts with utf16s_to_utf8s and utf8s_to_utf16s (fs/nls), which
// skip an unpaired surrogate or a bad UTF-8 byte and carry on; here any such
// input is an error naming its byte position, so nothing is silently lost or
// changed. Surrogate pairs become 4-byte UTF-8 and back. U+0000 converts
// like any other code point: callers decide where strings end (wire_string.h).
//
// Usage:
//   auto text = kvp::utf::utf16le_to_utf8(key_bytes);      // std::string
//   if (!text) log("bad key at byte ", text.error().position);
//   auto units = kvp::utf::utf8_to_utf16("Größe 😀");      // std::u16string
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "vmbus/result.h"

namespace kvp::utf {

// What is wrong with the input, and where it starts (a byte offset).
enum class Problem : std::uint8_t {
  odd_length,                 // UTF-16LE bytes that are not whole 2-byte units
  unpaired_high_surrogate,    // 0xD800..0xDBFF not followed by 0xDC00..0xDFFF
  unpaired_low_surrogate,     // 0xDC00..0xDFFF with no high surrogate before it
  invalid_utf8_lead,          // 0x80..0xC1 or 0xF5..0xFF where a sequence starts
  invalid_utf8_continuation,  // a byte inside a sequence that is not 0x80..0xBF
  truncated_utf8,             // the input ends inside a sequence
  overlong_utf8,              // more bytes than the code point needs (E0 80..9F, F0 80..8F)
  utf8_surrogate,             // ED A0..BF: U+D800..U+DFFF
  utf8_above_max,             // F4 90..BF: above U+10FFFF
};

struct EncodingError {
  Problem problem;
  std::size_t position;  // byte offset in the input where the bad sequence starts
  friend bool operator==(const EncodingError&, const EncodingError&) = default;
};

template <typename T>
using EncodingResult = vmbus::BasicResult<T, EncodingError>;

// Decodes every unit of `utf16le` (whose size must be even).
EncodingResult<std::string> utf16le_to_utf8(std::span<const std::byte> utf16le);

// Encodes `utf8` as UTF-16 code units (native order; store them with
// store_utf16le).
EncodingResult<std::u16string> utf8_to_utf16(std::string_view utf8);

// Writes `units` little-endian at the start of `out`. Precondition:
// out.size() >= 2 * units.size().
void store_utf16le(std::u16string_view units, std::span<std::byte> out) noexcept;

}  // namespace kvp::utf
