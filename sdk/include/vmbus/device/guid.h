// File: vmbus/device/guid.h
//
// vmbus::Guid: a VMBus class or instance GUID, 16 bytes in the layout Hyper-V
// puts on the wire and Linux keeps in guid_t (include/linux/uuid.h): the
// first three fields little-endian, the last eight bytes in text order. So
// "f8615163-df3e-46c5-913f-f2d2f965ed0e" is the bytes 63 51 61 f8 3e df c5 46
// 91 3f f2 d2 f9 65 ed 0e, exactly GUID_INIT(0xf8615163, 0xdf3e, 0x46c5, ...).
//
// Parsing never throws: bad text gives std::nullopt. Text comes out the way
// the kernel prints it: `str()` is %pUl (lowercase, no braces), the name of a
// device's sysfs directory; `braced()` is "{%pUl}", what sysfs class_id and
// device_id hold (vmbus_drv.c: class_id_show, device_id_show).
//
// Usage:
//   std::optional<vmbus::Guid> g = vmbus::Guid::parse("{F8615163-DF3E-46C5-913F-F2D2F965ED0E}");
//   if (!g) return usage_error();
//   std::string dir = g->str();          // "f8615163-df3e-46c5-913f-f2d2f965ed0e"
//   std::unordered_set<vmbus::Guid> seen{*g};
//   constexpr vmbus::Guid kNic = vmbus::Guid::parse("f8615163-df3e-46c5-913f-f2d2f965ed0e").value();
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace vmbus {

class Guid {
 public:
  static constexpr std::size_t kSize = 16;
  using Bytes = std::array<std::uint8_t, kSize>;

  // The nil GUID, all zero.
  constexpr Guid() = default;
  // From the 16 wire bytes (first three fields little-endian).
  constexpr explicit Guid(const Bytes& wire_bytes) noexcept : bytes_(wire_bytes) {}

  // "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", optionally inside one pair of
  // braces, hex digits in any case. Anything else (a trailing newline
  // included) is std::nullopt. Follows the kernel's uuid_is_valid +
  // __uuid_parse (lib/uuid.c) with guid_index, plus the braces sysfs adds.
  static constexpr std::optional<Guid> parse(std::string_view text) noexcept;

  // Lowercase, no braces: the kernel's %pUl, the sysfs directory name.
  std::string str() const;
  // "{...}": what sysfs class_id and device_id print, without the newline.
  std::string braced() const;

  constexpr const Bytes& bytes() const noexcept { return bytes_; }
  constexpr bool is_nil() const noexcept { return *this == Guid{}; }

  friend constexpr bool operator==(const Guid&, const Guid&) noexcept = default;
  // Orders as the text does, so sorted lists read like `ls` of sysfs.
  friend constexpr std::strong_ordering operator<=>(const Guid& a, const Guid& b) noexcept {
    for (std::size_t i = 0; i < kSize; ++i) {
      const std::uint8_t x = a.bytes_[kTextOrder[i]];
      const std::uint8_t y = b.bytes_[kTextOrder[i]];
      if (x != y) return x <=> y;
    }
    return std::strong_ordering::equal;
  }

 private:
  // kTextOrder[i] is the wire byte printed as the i-th pair of hex digits:
  // the kernel's guid_index[] (lib/uuid.c).
  static constexpr std::array<std::size_t, kSize> kTextOrder = {3, 2, 1,  0,  5,  4,  7,  6,
                                                                8, 9, 10, 11, 12, 13, 14, 15};
  // Where the i-th pair of hex digits starts in the text (lib/uuid.c: si[]).
  static constexpr std::array<std::size_t, kSize> kTextPosition = {0,  2,  4,  6,  9,  11, 14, 16,
                                                                   19, 21, 24, 26, 28, 30, 32, 34};
  static constexpr std::size_t kTextLength = 36;

  static constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  Bytes bytes_{};
};

constexpr std::optional<Guid> Guid::parse(std::string_view text) noexcept {
  if (text.size() == kTextLength + 2 && text.front() == '{' && text.back() == '}') {
    text = text.substr(1, kTextLength);
  }
  if (text.size() != kTextLength) return std::nullopt;
  for (std::size_t i = 0; i < kTextLength; ++i) {
    const bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_here ? text[i] != '-' : hex_value(text[i]) < 0) return std::nullopt;
  }
  Bytes bytes{};
  for (std::size_t i = 0; i < kSize; ++i) {
    const int high = hex_value(text[kTextPosition[i]]);
    const int low = hex_value(text[kTextPosition[i] + 1]);
    bytes[kTextOrder[i]] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return Guid(bytes);
}

// Prints str(), so test failures and logs show the GUID as text.
std::ostream& operator<<(std::ostream& out, const Guid& guid);

}  // namespace vmbus

template <>
struct std::hash<vmbus::Guid> {
  std::size_t operator()(const vmbus::Guid& guid) const noexcept;
};
