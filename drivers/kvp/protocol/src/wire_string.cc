// KVP strings in their fixed arrays: decoding with every check, encoding
// without truncation.
#include "kvp/protocol/wire_string.h"

#include <algorithm>
#include <cstring>

#include "kvp/protocol/kvp_msg.h"
#include "kvp/protocol/wire.h"

namespace kvp {
namespace {

Violation violation_of(utf::Problem p) noexcept {
  switch (p) {
    case utf::Problem::odd_length: return Violation::odd_size;
    case utf::Problem::unpaired_high_surrogate: return Violation::unpaired_high_surrogate;
    case utf::Problem::unpaired_low_surrogate: return Violation::unpaired_low_surrogate;
    case utf::Problem::invalid_utf8_lead: return Violation::invalid_utf8_lead;
    case utf::Problem::invalid_utf8_continuation: return Violation::invalid_utf8_continuation;
    case utf::Problem::truncated_utf8: return Violation::truncated_utf8;
    case utf::Problem::overlong_utf8: return Violation::overlong_utf8;
    case utf::Problem::utf8_surrogate: return Violation::utf8_surrogate;
    case utf::Problem::utf8_above_max: return Violation::utf8_above_max;
  }
  return Violation::unexpected_value;
}

std::uint16_t unit_at(std::span<const std::byte> bytes, std::size_t i) noexcept {
  return wire::load<std::uint16_t>(bytes, i);
}

// The text before the NUL at byte `nul` (a multiple of 2), with no NUL before it.
FieldResult<std::string> decode_before_nul(std::span<const std::byte> array, std::size_t nul, Field text_field) {
  for (std::size_t i = 0; i < nul; i += 2) {
    if (unit_at(array, i) == 0) return FieldError{text_field, Violation::embedded_nul, i};
  }
  auto text = utf::utf16le_to_utf8(array.first(nul));
  if (!text) return encoding_error(text_field, text.error());
  return std::move(*text);
}

}  // namespace

FieldError encoding_error(Field field, const utf::EncodingError& e) noexcept {
  return FieldError{field, violation_of(e.problem), e.position};
}

FieldResult<std::string> decode_sized_string(std::span<const std::byte> array, std::uint32_t size, Field size_field,
                                             Field text_field) {
  // The size includes the terminator (HV_KVP_EXCHANGE_MAX_*_SIZE: "including
  // any applicable NULL terminators"), so 0 cannot be a string.
  if (size == 0) return FieldError{size_field, Violation::below_minimum, 0};
  if (size > array.size()) return FieldError{size_field, Violation::above_maximum, size};
  if (size % 2 != 0) return FieldError{size_field, Violation::odd_size, size};
  const std::size_t nul = size - 2;
  if (unit_at(array, nul) != 0) return FieldError{text_field, Violation::missing_nul, nul};
  return decode_before_nul(array, nul, text_field);
}

FieldResult<std::string> decode_terminated_string(std::span<const std::byte> array, Field text_field) {
  for (std::size_t i = 0; i + 2 <= array.size(); i += 2) {
    if (unit_at(array, i) == 0) return decode_before_nul(array, i, text_field);
  }
  return FieldError{text_field, Violation::missing_nul, array.size()};
}

FieldResult<std::uint32_t> encode_sized_string(std::string_view utf8, std::span<std::byte> array, Field text_field) {
  if (const auto nul = utf8.find('\0'); nul != std::string_view::npos) {
    return FieldError{text_field, Violation::embedded_nul, nul};
  }
  auto units = utf::utf8_to_utf16(utf8);
  if (!units) return encoding_error(text_field, units.error());
  const std::size_t needed = 2 * (units->size() + 1);
  if (needed > array.size()) return FieldError{text_field, Violation::above_maximum, needed};
  utf::store_utf16le(*units, array);
  std::fill(array.begin() + static_cast<std::ptrdiff_t>(needed - 2), array.end(), std::byte{0});
  return static_cast<std::uint32_t>(needed);
}

std::string reg_value_text(std::uint32_t type, std::span<const std::byte> value) {
  if (type == kRegU32) return std::to_string(wire::load<std::uint32_t>(value));
  return std::to_string(wire::load<std::uint64_t>(value));
}

}  // namespace kvp
