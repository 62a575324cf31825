// File: bench/report_format.h
//
// Small text helpers shared by ring_bench's tables and JSON.
//
// Usage:
//   size_text(65536)        // "64 KiB"
//   ratio_text(0.734)       // "0.73x"; "-" when empty
//   load_text(measurement)  // "3%", "12%!" above kForeignLoadWarning, "?" unknown
//   per(commits, packets)   // commits / packets, 0 when packets is 0
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "measurement.h"

namespace bench {

std::string size_text(std::uint64_t bytes);
std::string ratio_text(const std::optional<double>& r);
std::string load_text(const Measurement& m);

inline double per(std::uint64_t n, std::uint64_t d) noexcept {
  return d == 0 ? 0 : static_cast<double>(n) / static_cast<double>(d);
}

}  // namespace bench
