// File: bench/common/statistics.h
//
// What the benchmarks report over many values:
//   - `Summary` of a few repetitions of a rate (median, min, max, stdev):
//     every throughput row is the median of its repetitions;
//   - `Percentiles` of many latencies (p50, p99, p99.9 by nearest rank, plus
//     min, max and mean): every round trip is one value.
//
// Usage:
//   Summary s = summarize({1.2, 1.1, 1.3});          // s.median == 1.2
//   Percentiles p = percentiles(std::move(rtt_us));  // p.p99 in the values' unit
#pragma once

#include <cstddef>
#include <vector>

namespace bench {

struct Summary {
  double median = 0;
  double min = 0;
  double max = 0;
  double stdev = 0;  // sample standard deviation; 0 for fewer than two values
  std::vector<double> values;
};
Summary summarize(std::vector<double> values);

struct Percentiles {
  std::size_t count = 0;  // 0: no values, every field is 0
  double p50 = 0;
  double p99 = 0;
  double p999 = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
};
// Nearest rank: the smallest value with at least q of all values <= it.
Percentiles percentiles(std::vector<double> values);

}  // namespace bench
