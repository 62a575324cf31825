// Medians over repetitions and percentiles over latencies.
#include "common/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace bench {
namespace {

// Nearest rank on sorted values: index ceil(q * n) - 1.
double rank(const std::vector<double>& sorted, double q) {
  const auto n = static_cast<double>(sorted.size());
  const auto index = static_cast<std::size_t>(std::ceil(q * n));
  return sorted[index == 0 ? 0 : std::min(index, sorted.size()) - 1];
}

}  // namespace

Summary summarize(std::vector<double> values) {
  Summary s;
  s.values = values;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  s.min = values.front();
  s.max = values.back();
  s.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  if (n > 1) {
    const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(n);
    double squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    s.stdev = std::sqrt(squares / static_cast<double>(n - 1));
  }
  return s;
}

Percentiles percentiles(std::vector<double> values) {
  Percentiles p;
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  p.count = values.size();
  p.p50 = rank(values, 0.50);
  p.p99 = rank(values, 0.99);
  p.p999 = rank(values, 0.999);
  p.min = values.front();
  p.max = values.back();
  p.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  return p;
}

}  // namespace bench
