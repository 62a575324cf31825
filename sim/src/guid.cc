// Guid: text form, wire form, random instances.
#include "hvsim/guid.h"

#include <random>

namespace hvsim {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

std::optional<Guid> Guid::parse(std::string_view text) {
  if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
  if (text.size() != 36) return std::nullopt;
  Guid g;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const int hi = hex_value(text[i]);
    const int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    g.bytes_[byte++] = static_cast<std::uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return g;
}

Guid Guid::random() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  Guid g;
  for (std::size_t i = 0; i < 16; i += 8) {
    std::uint64_t v = engine();
    for (std::size_t j = 0; j < 8; ++j) g.bytes_[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
  }
  g.bytes_[6] = static_cast<std::uint8_t>((g.bytes_[6] & 0x0f) | 0x40);  // version 4
  g.bytes_[8] = static_cast<std::uint8_t>((g.bytes_[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return g;
}

std::string Guid::str() const {
  std::string s;
  s.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[bytes_[i] >> 4];
    s += kHex[bytes_[i] & 0xf];
  }
  return s;
}

std::array<std::uint8_t, 16> Guid::wire_bytes() const {
  // guid_t: u32, u16, u16 little-endian, then 8 bytes as written.
  std::array<std::uint8_t, 16> w = bytes_;
  w[0] = bytes_[3], w[1] = bytes_[2], w[2] = bytes_[1], w[3] = bytes_[0];
  w[4] = bytes_[5], w[5] = bytes_[4];
  w[6] = bytes_[7], w[7] = bytes_[6];
  return w;
}

std::string Guid::modalias_hex() const {
  std::string s;
  for (std::uint8_t b : wire_bytes()) {
    s += kHex[b >> 4];
    s += kHex[b & 0xf];
  }
  return s;
}

}  // namespace hvsim
