// File: tests/netvsc/traffic_checks.h
//
// Checks more than one conformance test makes on an open port: a short
// checked run of traffic (FlowPump over every queue) and one malformed-input
// counter of a stats snapshot.
//
// Usage:
//   expect_traffic(opened, 3000);                      // every frame back, in order, intact
//   EXPECT_EQ(malformed(port.stats().total, netvsc::Malformed::pageset_id), 1u);
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include "flow_pump.h"
#include "netvsc/port.h"
#include "netvsc/stats.h"

namespace netvsc_ct {

inline std::uint64_t malformed(const netvsc::QueueStatsSnapshot& s, netvsc::Malformed kind) {
  return s.malformed[static_cast<std::size_t>(kind)];
}

// `frames_per_queue` frames on every queue over 16 flows per queue, each
// received once, in order, intact; and nothing the driver found malformed.
inline void expect_traffic(netvsc::OpenedPort& opened, std::uint64_t frames_per_queue,
                           std::uint32_t max_frame = kMaxStandardFrame) {
  netvsc::Port& port = *opened.port;
  FlowPump pump(*opened.device, port, make_flows(16u * port.queue_count(), port.queue_count()),
                {.frames_per_queue = frames_per_queue, .max_frame = max_frame});
  const PumpResult r = pump.run();
  EXPECT_EQ(r.failures, 0u) << r.report();
  EXPECT_EQ(r.total.received, frames_per_queue * port.queue_count()) << r.report();
  EXPECT_EQ(port.stats().total.malformed_total(), 0u);
}

}  // namespace netvsc_ct
