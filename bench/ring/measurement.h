// File: bench/ring/measurement.h
//
// What one timed run produces (`Sample`), the repetitions of one benchmark row
// (`Measurement`), and their statistics (common/statistics.h: median, min, max, stdev).
// Rates are payload-only: Mpps = packets / s / 1e6, GB/s = payload bytes / s
// / 1e9 (decimal GB); descriptors, padding and trailers are not counted.
//
// Usage:
//   Measurement m{.kind = Kind::vmbus_ring, .payload = 64, .batch = 32};
//   m.samples.push_back(run_ring(...));
//   double mpps = m.mpps().median;
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/statistics.h"

namespace bench {

struct Sample {
  double seconds = 0;                // first producer step to last consumer step
  std::uint64_t packets = 0;         // packets the consumer read and checked
  std::uint64_t payload_bytes = 0;   // their payload bytes
  std::uint64_t writer_commits = 0;  // ring: commits that published something; spsc: push() calls that pushed
  std::uint64_t writer_signals = 0;  // OutgoingRing::commit() returned true
  std::uint64_t reader_commits = 0;  // ring: commits; spsc: pop() calls that popped
  std::uint64_t reader_signals = 0;  // IncomingRing::commit() returned true
  std::uint64_t writer_waits = 0;    // spin steps the producer made on a full ring / queue
  std::uint64_t reader_waits = 0;    // spin steps the consumer made on an empty one
  std::uint64_t order_errors = 0;    // packets whose sequence number was not the next one
  std::string error;                 // set if the run broke (a ring error); the numbers are then partial

  double mpps() const noexcept { return seconds > 0 ? static_cast<double>(packets) / seconds / 1e6 : 0; }
  double gbps() const noexcept { return seconds > 0 ? static_cast<double>(payload_bytes) / seconds / 1e9 : 0; }
};

// spsc_queue: one push() and one pop() per packet; spsc_queue_bulk: one push()
// and one pop() per batch (spsc_workload.h).
enum class Kind { vmbus_ring, spsc_queue, spsc_queue_bulk, memcpy_copy };
const char* kind_name(Kind kind) noexcept;   // for JSON: "spsc_queue_bulk"
const char* kind_label(Kind kind) noexcept;  // for tables: "spsc bulk"

struct Measurement {
  Kind kind = Kind::vmbus_ring;
  std::uint32_t payload = 0;              // bytes per packet
  std::uint32_t batch = 1;                // packets per commit (ring), per push/pop (spsc bulk); 1 for memcpy
  bool reader_masked = false;             // ring: the reader kept interrupt_mask set
  std::uint32_t elements_per_packet = 0;  // spsc_queue(_bulk): 64-byte elements per packet
  std::vector<Sample> samples;            // measured repetitions (warm-up excluded)
  double foreign_load = -1;               // CPU share other processes took meanwhile (host_load.h); -1 unknown

  Summary mpps() const;
  Summary gbps() const;
  // Sums over all samples.
  Sample totals() const;
  // The first error any sample reported, or "".
  std::string error() const;
};

}  // namespace bench
