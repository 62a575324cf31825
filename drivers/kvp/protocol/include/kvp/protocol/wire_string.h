// File: kvp/protocol/wire_string.h
//
// KVP strings as they sit in a message, and the numbers that become
// strings. Two shapes on the wire:
//   - sized (key, value, delete key): a u32 size in bytes that includes the
//     UTF-16 NUL, and a fixed array (512 or 2048 bytes) holding the string;
//   - terminated (hv_kvp_ipaddr_value's strings): no size, a NUL somewhere
//     in the fixed array.
// Decoding checks everything a peer can get wrong and says which: a size of
// 0 (no room for the NUL), above the array, odd; no NUL where the size ends
// (or anywhere in the array); a NUL before the end, which Linux
// (utf16s_to_utf8s stops at it) would silently take as the end; invalid
// UTF-16. Encoding refuses a string that does not fit with its NUL instead
// of cutting it (Linux's replies truncate at 254 and 1022 units), and
// invalid UTF-8 or an embedded NUL. The array past the NUL is zeroed.
//
// Usage:
//   auto key = kvp::decode_sized_string(std::as_bytes(std::span(value.key)), value.key_size,
//                                       kvp::Field::key_size, kvp::Field::key);  // value: an ExchangeValue
//   auto size = kvp::encode_sized_string("Größe", std::span(field), kvp::Field::value);
//   std::string text = kvp::reg_value_text(kvp::kRegU32, bytes);  // "4294967295"
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kvp/protocol/field_error.h"
#include "kvp/protocol/utf16.h"

namespace kvp {

// An encoding problem in `field`, at byte `position` of the string.
FieldError encoding_error(Field field, const utf::EncodingError& e) noexcept;

// The UTF-8 text of a sized string: `size` bytes of `array`, the last unit
// being the NUL. Errors (value): size_field/below_minimum (0),
// size_field/above_maximum (size) past the array, size_field/odd_size (size);
// text_field/missing_nul (position of the last unit), text_field/embedded_nul
// (position), and the UTF-16 violations (position).
FieldResult<std::string> decode_sized_string(std::span<const std::byte> array, std::uint32_t size, Field size_field,
                                             Field text_field);

// The UTF-8 text of a NUL-terminated array. Errors: text_field/missing_nul
// (value = the array's size) when no unit is 0; the UTF-16 violations.
FieldResult<std::string> decode_terminated_string(std::span<const std::byte> array, Field text_field);

// Writes `utf8` as UTF-16LE plus a NUL at the start of `array` and zeroes
// the rest; returns the size in bytes, NUL included (what key_size and
// value_size carry). Nothing is written on error. Errors: text_field with
// the UTF-8 violations (position), embedded_nul (position of a '\0' in
// `utf8`), above_maximum (value = bytes the string needs with its NUL).
FieldResult<std::uint32_t> encode_sized_string(std::string_view utf8, std::span<std::byte> array, Field text_field);

// A REG_U32 or REG_U64 value as hv_kvp_daemon stores it: decimal, unsigned
// (kvp_send_key: "%u", "%llu"). `value` holds the union's bytes (at least 4
// or 8). Precondition: type is kRegU32 or kRegU64.
std::string reg_value_text(std::uint32_t type, std::span<const std::byte> value);

}  // namespace kvp
