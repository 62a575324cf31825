// Random instance GUIDs and the modalias text.
#include "hvsim/guid.h"

#include <random>

namespace hvsim {

Guid random_guid() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  Guid::Bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t v = engine();
    for (std::size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
  }
  // Wire layout: the version nibble is the high nibble of the third field
  // (stored little-endian, so byte 7); the variant is byte 8.
  bytes[7] = static_cast<std::uint8_t>((bytes[7] & 0x0f) | 0x40);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);
  return Guid(bytes);
}

std::string modalias_hex(const Guid& guid) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * Guid::kSize);
  for (std::uint8_t b : guid.bytes()) {
    s += kHex[b >> 4];
    s += kHex[b & 0xf];
  }
  return s;
}

}  // namespace hvsim
