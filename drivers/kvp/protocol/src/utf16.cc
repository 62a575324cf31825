// Strict UTF-16LE <-> UTF-8 (RFC 3629 for UTF-8, RFC 2781 for UTF-16).
#include "kvp/protocol/utf16.h"

namespace kvp::utf {
namespace {

constexpr bool is_high_surrogate(std::uint32_t u) noexcept { return u >= 0xD800 && u <= 0xDBFF; }
constexpr bool is_low_surrogate(std::uint32_t u) noexcept { return u >= 0xDC00 && u <= 0xDFFF; }
constexpr bool is_continuation(unsigned char b) noexcept { return (b & 0xC0) == 0x80; }

std::uint32_t unit_at(std::span<const std::byte> bytes, std::size_t i) noexcept {
  return std::to_integer<std::uint32_t>(bytes[i]) | (std::to_integer<std::uint32_t>(bytes[i + 1]) << 8);
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

EncodingResult<std::string> utf16le_to_utf8(std::span<const std::byte> utf16le) {
  if (utf16le.size() % 2 != 0) return EncodingError{Problem::odd_length, utf16le.size() - 1};
  std::string out;
  out.reserve(utf16le.size());
  for (std::size_t i = 0; i < utf16le.size(); i += 2) {
    std::uint32_t cp = unit_at(utf16le, i);
    if (is_low_surrogate(cp)) return EncodingError{Problem::unpaired_low_surrogate, i};
    if (is_high_surrogate(cp)) {
      if (i + 4 > utf16le.size()) return EncodingError{Problem::unpaired_high_surrogate, i};
      const std::uint32_t low = unit_at(utf16le, i + 2);
      if (!is_low_surrogate(low)) return EncodingError{Problem::unpaired_high_surrogate, i};
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      i += 2;
    }
    append_utf8(out, cp);
  }
  return out;
}

EncodingResult<std::u16string> utf8_to_utf16(std::string_view utf8) {
  std::u16string out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    const std::size_t start = i;
    const auto lead = static_cast<unsigned char>(utf8[i]);
    if (lead < 0x80) {
      out += static_cast<char16_t>(lead);
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t cp = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      cp = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      cp = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      cp = lead & 0x07u;
    } else {
      // 0x80..0xBF (a stray continuation), 0xC0/0xC1 (always overlong), 0xF5..0xFF.
      return EncodingError{Problem::invalid_utf8_lead, start};
    }
    for (std::size_t k = 1; k < length; ++k) {
      if (start + k >= utf8.size()) return EncodingError{Problem::truncated_utf8, start};
      const auto b = static_cast<unsigned char>(utf8[start + k]);
      if (!is_continuation(b)) return EncodingError{Problem::invalid_utf8_continuation, start + k};
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if ((length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000)) {
      return EncodingError{Problem::overlong_utf8, start};
    }
    if (is_high_surrogate(cp) || is_low_surrogate(cp)) return EncodingError{Problem::utf8_surrogate, start};
    if (cp > 0x10FFFF) return EncodingError{Problem::utf8_above_max, start};
    if (cp >= 0x10000) {
      const std::uint32_t v = cp - 0x10000;
      out += static_cast<char16_t>(0xD800 + (v >> 10));
      out += static_cast<char16_t>(0xDC00 + (v & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
    i = start + length;
  }
  return out;
}

void store_utf16le(std::u16string_view units, std::span<std::byte> out) noexcept {
  for (std::size_t i = 0; i < units.size(); ++i) {
    const auto u = static_cast<std::uint16_t>(units[i]);
    out[2 * i] = static_cast<std::byte>(u & 0xFF);
    out[2 * i + 1] = static_cast<std::byte>(u >> 8);
  }
}

}  // namespace kvp::utf
