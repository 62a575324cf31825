// Text helpers for the benchmarks' reports.
#include "common/report_format.h"

#include <cstdio>

#include "common/host_load.h"

namespace bench {

std::string size_text(std::uint64_t bytes) {
  if (bytes >= 1024 && bytes % 1024 == 0) {
    const std::uint64_t k = bytes / 1024;
    if (k >= 1024 && k % 1024 == 0) return std::to_string(k / 1024) + " MiB";
    return std::to_string(k) + " KiB";
  }
  return std::to_string(bytes) + " B";
}

std::string ratio_text(const std::optional<double>& r) {
  if (!r) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2fx", *r);
  return text;
}

std::string load_text(double foreign_share) {
  if (foreign_share < 0) return "?";
  char text[16];
  std::snprintf(text, sizeof text, "%.0f%%%s", foreign_share * 100, foreign_share > kForeignLoadWarning ? "!" : "");
  return text;
}

}  // namespace bench
