// File: bench/echo/echo_measurement.h
//
// What one echo measurement produces, for the VMBus device and for the
// socket reference alike:
//   - latency: one packet in flight; the time from handing it over (send) to
//     having its echo (receive), per round trip, in microseconds;
//   - throughput: up to `window` packets in flight; the sender tops the
//     window up in batches (one flush, so at most one signal, per batch)
//     whenever half of it came back. Rates count echoed packets, and payload
//     bytes in one direction (Gbit/s = payload bytes x 8 / s / 1e9).
// Every echo is checked: its id, its length, and its first 8 bytes (the
// sequence number the sender stamped); a latency run compares every byte.
//
// Usage:
//   ThroughputRun t = device.throughput(1500, 64, 1000ms);
//   double gbit = t.gbps();
#pragma once

#include <cstdint>
#include <vector>

namespace bench::echo {

struct LatencyRun {
  std::vector<double> rtt_us;  // one value per round trip
};

struct ThroughputRun {
  double seconds = 0;               // first send to last echo received
  std::uint64_t packets = 0;        // echoes received and checked
  std::uint64_t payload_bytes = 0;  // their payload, one direction
  std::uint64_t batches = 0;        // window refills that sent something (vmbus: flush() calls)
  std::uint32_t max_in_flight = 0;  // packets in flight at most (a full ring or socket buffer caps it)

  double pps() const noexcept { return seconds > 0 ? static_cast<double>(packets) / seconds : 0; }
  double gbps() const noexcept { return seconds > 0 ? static_cast<double>(payload_bytes) * 8 / seconds / 1e9 : 0; }
};

}  // namespace bench::echo
