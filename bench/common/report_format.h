// File: bench/common/report_format.h
//
// Small text helpers shared by the benchmarks' tables and JSON.
//
// Usage:
//   size_text(65536)        // "64 KiB"
//   ratio_text(0.734)       // "0.73x"; "-" when empty
//   load_text(0.12)         // "12%!" above kForeignLoadWarning, "3%", "?" when negative (unknown)
//   per(commits, packets)   // commits / packets, 0 when packets is 0
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bench {

std::string size_text(std::uint64_t bytes);
std::string ratio_text(const std::optional<double>& r);
std::string load_text(double foreign_share);

inline double per(std::uint64_t n, std::uint64_t d) noexcept {
  return d == 0 ? 0 : static_cast<double>(n) / static_cast<double>(d);
}

// a / b, or nothing when b is not positive (a reference that did not run).
inline std::optional<double> ratio(double a, double b) noexcept {
  if (!(b > 0)) return std::nullopt;
  return a / b;
}

}  // namespace bench
