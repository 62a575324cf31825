// File: bench/ring/targets.h
//
// Every row of one ring_bench run, and what is read out of them: the ring's
// ratio to each reference for the same payload and batch, and the targets the
// issue set (ratios of medians). A target is information: MISS never changes
// the exit status. The issue's spsc_queue target is read against the
// per-packet spsc_queue row; the same ratio against spsc_queue_bulk (the whole
// batch in one push) follows as an informational line.
//
// Usage:
//   Results results;  results.rows.push_back(...);
//   for (const Target& t : evaluate_targets(results)) print(t.name, t.ratio, t.met());
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ring/measurement.h"

namespace bench {

struct Results {
  std::vector<Measurement> rows;

  // The row of `kind` for `payload` and `batch` (memcpy rows have batch 1), or null.
  const Measurement* find(Kind kind, std::uint32_t payload, std::uint32_t batch, bool masked = false) const;
};

// The ring row against the references with the same payload (and batch, for spsc_queue).
struct Comparison {
  const Measurement* ring = nullptr;
  const Measurement* spsc = nullptr;       // spsc_queue, push/pop per packet; may be null
  const Measurement* spsc_bulk = nullptr;  // spsc_queue_bulk, push/pop per batch; may be null (batch 1)
  const Measurement* copy = nullptr;       // memcpy; may be null
  std::optional<double> vs_spsc() const;       // ring Mpps / spsc Mpps (medians)
  std::optional<double> vs_spsc_bulk() const;  // ring Mpps / spsc bulk Mpps (medians)
  std::optional<double> vs_copy() const;       // ring GB/s / memcpy GB/s (medians)
};
std::vector<Comparison> compare(const Results& results);

struct Target {
  std::string name;  // e.g. "ring >= 0.7x spsc_queue (push/pop per packet) at 64 B, 32/commit"
  double threshold = 0;
  std::optional<double> ratio;  // empty when a row it needs was not run
  bool issue_target = true;     // false: a line for context, not one of the issue's targets

  bool met() const noexcept { return ratio && *ratio >= threshold; }
  const char* verdict() const noexcept { return !ratio ? "n/a" : met() ? "PASS" : "MISS"; }
};
std::vector<Target> evaluate_targets(const Results& results);

}  // namespace bench
