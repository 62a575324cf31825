// File: bench/echo/signal_cost.h
//
// What a run cost in the protocol's own currency, signals, seen from both
// sides of the echo device's primary channel:
//   - hvsim's counters (`hvsim ctl stats echo --json`, docs/hvsim.md
//     "Accounting"): guest signals it took, how many were unnecessary (no
//     empty->non-empty transition with its mask clear, no room it waited
//     for), interrupts it sent, packets, drains;
//   - the SDK's ChannelCounters in this process: packets and signals sent.
// hvsim scans monitor bits, so two guest signals between two scans count as
// one there: the guest's count is the one to read per packet, hvsim's says
// which were unnecessary.
//
// Usage:
//   const HostCounters before = HostCounters::from_stats(sim.ctl({"stats", "echo"}), relid);
//   ... run ...
//   cost.host += HostCounters::from_stats(sim.ctl({"stats", "echo"}), relid) - before;
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include <nlohmann/json.hpp>

#include "vmbus/channel/channel_counters.h"

namespace bench::echo {

struct HostCounters {
  std::uint64_t packets_in = 0;   // guest -> host packets hvsim read
  std::uint64_t packets_out = 0;  // echoes it wrote
  std::uint64_t packets_dropped = 0;
  std::uint64_t signals = 0;  // guest signals it took
  std::uint64_t signals_unnecessary = 0;
  std::uint64_t signals_for_data = 0;
  std::uint64_t signals_for_space = 0;
  std::uint64_t interrupts = 0;    // host -> guest interrupts
  std::uint64_t drains = 0;        // times the host thread drained the TX ring
  std::uint64_t host_blocked = 0;  // times the RX ring was too full for an echo

  // The counter names as hvsim's JSON spells them.
  static constexpr std::array<std::pair<const char*, std::uint64_t HostCounters::*>, 10> kFields{{
      {"packets_in", &HostCounters::packets_in},
      {"packets_out", &HostCounters::packets_out},
      {"packets_dropped", &HostCounters::packets_dropped},
      {"signals", &HostCounters::signals},
      {"signals_unnecessary", &HostCounters::signals_unnecessary},
      {"signals_for_data", &HostCounters::signals_for_data},
      {"signals_for_space", &HostCounters::signals_for_space},
      {"interrupts", &HostCounters::interrupts},
      {"drains", &HostCounters::drains},
      {"host_blocked", &HostCounters::host_blocked},
  }};

  // The channel `relid` of the only device in `stats` (hvsim ctl stats DEVICE
  // --json). Throws std::runtime_error naming what is missing.
  static HostCounters from_stats(const nlohmann::json& stats, std::uint32_t relid);

  HostCounters operator-(const HostCounters& earlier) const noexcept;
  HostCounters& operator+=(const HostCounters& more) noexcept;
};

struct SignalCost {
  HostCounters host;
  std::uint64_t guest_packets_sent = 0;  // ChannelCounters::packets_sent
  std::uint64_t guest_signals_sent = 0;  // ChannelCounters::signals_sent

  void add_guest(const vmbus::ChannelCountersSnapshot& before, const vmbus::ChannelCountersSnapshot& after) noexcept {
    guest_packets_sent += after.packets_sent - before.packets_sent;
    guest_signals_sent += after.signals_sent - before.signals_sent;
  }
};

}  // namespace bench::echo
