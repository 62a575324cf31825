// File: hvsim/guid.h
//
// A VMBus GUID (device class or instance) as hvsim names, prints and parses
// it. Text is the usual 8-4-4-4-12 hex form; the kernel prints it lowercase
// with %pUl (sysfs class_id/device_id add braces, directory names do not).
// On the wire (offer messages, modalias) a guid_t keeps the first three fields
// little-endian (include/linux/uuid.h, "Windows layout"), which wire_bytes()
// returns.
//
// Usage:
//   auto g = hvsim::Guid::parse("{F8615163-DF3E-46C5-913F-F2D2F965ED0E}");
//   if (!g) fail("not a GUID");
//   std::string dir = g->str();          // "f8615163-df3e-46c5-913f-f2d2f965ed0e"
//   std::string file = g->braced();      // "{f8615163-...}"
//   std::string alias = "vmbus:" + g->modalias_hex();
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hvsim {

class Guid {
 public:
  Guid() = default;  // the nil GUID

  // Accepts 36 characters of 8-4-4-4-12 hex in any case, optionally inside
  // braces, with nothing else around them. nullopt otherwise.
  static std::optional<Guid> parse(std::string_view text);
  // A random version-4 GUID (instances of hot-added devices).
  static Guid random();

  std::string str() const;                        // lowercase, no braces
  std::string braced() const { return "{" + str() + "}"; }
  std::array<std::uint8_t, 16> wire_bytes() const;  // guid_t in memory
  std::string modalias_hex() const;               // 32 hex digits of wire_bytes() (%*phN)
  bool is_nil() const { return bytes_ == std::array<std::uint8_t, 16>{}; }

  friend auto operator<=>(const Guid&, const Guid&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};  // in text order
};

}  // namespace hvsim
