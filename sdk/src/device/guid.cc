// Guid: text output and hashing.
#include "vmbus/device/guid.h"

#include <cstring>
#include <ostream>

namespace vmbus {

std::string Guid::str() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(kTextLength);
  for (std::size_t i = 0; i < kSize; ++i) {
    // %pUl: dashes after the 4th, 6th, 8th and 10th byte (lib/vsprintf.c: uuid_string).
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    const std::uint8_t byte = bytes_[kTextOrder[i]];
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 0xf]);
  }
  return text;
}

std::string Guid::braced() const { return "{" + str() + "}"; }

std::ostream& operator<<(std::ostream& out, const Guid& guid) { return out << guid.str(); }

}  // namespace vmbus

std::size_t std::hash<vmbus::Guid>::operator()(const vmbus::Guid& guid) const noexcept {
  // The GUIDs Hyper-V hands out are random in their low bytes, but class
  // GUIDs are well known and could be chosen: mix both halves anyway.
  std::uint64_t halves[2];
  std::memcpy(halves, guid.bytes().data(), sizeof halves);
  std::uint64_t h = halves[0] * 0x9e3779b97f4a7c15ULL;
  h ^= halves[1] + 0x7f4a7c159e3779b9ULL + (h << 6) + (h >> 2);
  return static_cast<std::size_t>(h ^ (h >> 29));
}
