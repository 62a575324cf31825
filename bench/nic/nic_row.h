// File: bench/nic/nic_row.h
//
// One nic_bench row: hvsim started with its NIC's backend set for the mode
// (tx: sink, rx: source at 10 Mpps of the row's frame size, loopback:
// loopback), the netvsc port opened on it with the row's queues, the
// traffic run (nic_traffic.h), `repetitions` windows measured, then the
// driver's and the host's counters and both processes' CPU time read.
//
// Usage:
//   RowResult r = run_row(options, Mode::tx, 64, 2);
//   std::printf("%.2f Mpps\n", r.mpps.median);
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/statistics.h"
#include "nic/nic_options.h"

namespace bench::nic {

struct RowResult {
  Mode mode = Mode::tx;
  std::uint32_t frame_size = 0;
  std::uint16_t queues_asked = 0;
  std::uint16_t queues = 0;          // opened (the host may grant fewer)
  Summary mpps;                      // frames per second / 1e6: sent (tx), received (rx, loopback)
  Summary gbps;                      // frame bytes * 8 per second / 1e9
  double guest_cpu = 0;              // CPU seconds per second of this process (2.0 = two cores busy)
  double hvsim_cpu = 0;              // the same for hvsim
  double foreign_load = -1;          // share of all CPU time used by processes other than these two (-1: unknown)
  std::uint64_t tx_packets = 0;      // the driver's counters over the whole row
  std::uint64_t rx_packets = 0;
  std::uint64_t signals = 0;
  std::uint64_t tx_ring_full = 0;
  std::uint64_t tx_no_resources = 0;
  std::uint64_t tx_gpa_direct = 0;
  std::uint64_t malformed = 0;
  nlohmann::json host_counters;      // hvsim's nic_counters at the end of the row
  std::uint64_t host_drops = 0;      // the sum of its drop_* counters
};

// Throws std::runtime_error (hvsim failed, the port did not open).
RowResult run_row(const NicOptions& options, Mode mode, std::uint32_t frame_size, std::uint16_t queues);

}  // namespace bench::nic
