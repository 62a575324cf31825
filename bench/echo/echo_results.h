// File: bench/echo/echo_results.h
//
// Everything one echo_bench run measured, and the ratios read from it. Per
// payload, each path (the VMBus echo device, the socket reference) has every
// round trip (percentiles over all of them) and one throughput run per
// repetition (median of those). The ratios are vmbus / socket:
//   throughput  packets per second, medians: above 1, VMBus is faster;
//   latency     round-trip time at p50, p99, p99.9: below 1, VMBus is faster.
// With them: what the VMBus runs cost in signals, and where the CPU time
// went during the throughput runs.
//
// Usage:
//   EchoResults results;  results.rows.push_back(measure_payload(...));
//   std::optional<double> r = results.rows[0].throughput_ratio();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/statistics.h"
#include "echo/cpu_time.h"
#include "echo/echo_measurement.h"
#include "echo/signal_cost.h"

namespace bench::echo {

struct PathResult {
  std::vector<double> rtt_us;       // every measured round trip
  std::vector<ThroughputRun> runs;  // one per repetition
  CpuTime cpu;                      // during the measured throughput runs

  Percentiles latency() const { return percentiles(rtt_us); }
  Summary pps() const;
  Summary gbps() const;
  std::uint64_t packets() const noexcept;  // echoed in the throughput runs
  std::uint64_t batches() const noexcept;  // window refills that sent something
  std::uint32_t max_in_flight() const noexcept;
};

struct PayloadResult {
  std::uint32_t payload = 0;
  PathResult vmbus;
  PathResult socket;
  SignalCost latency_cost;     // the VMBus round trips
  SignalCost throughput_cost;  // the VMBus throughput runs (warm-up excluded)

  std::optional<double> throughput_ratio() const;                      // vmbus pps / socket pps, medians
  std::optional<double> latency_ratio(double Percentiles::*at) const;  // e.g. &Percentiles::p50
};

struct RunInfo {
  // hvsim and the device, as found.
  std::string hvsim_binary;
  std::string hvsim_root;
  int hvsim_pid = 0;
  std::string device_instance;
  std::string device_backing;  // "endpoint /dev/shm/.../dev/uio0"
  std::uint32_t relid = 0;
  std::optional<std::uint32_t> monitor_id;
  std::optional<double> monitor_latency_us;  // from channels/<relid>/latency
  bool monitor_latency_given = false;        // --monitor-latency-us, not hvsim's default
  std::uint32_t ring_bytes = 0;              // per direction, header page included
  int peer_pid = 0;
};

struct EchoResults {
  RunInfo info;
  std::vector<PayloadResult> rows;
};

}  // namespace bench::echo
