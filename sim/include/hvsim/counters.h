// File: hvsim/counters.h
//
// Per-channel counters the simulated host keeps: what it sent the guest, what
// the guest signalled, and how many of those signals were unnecessary. One
// thread writes them (the device's host service thread); anyone reads them
// lock-free (ctl, the sysfs refresh). They live as long as the channel is
// offered, across opens, as the kernel's channel->interrupts does.
//
// The kernel's channel attributes come from some of them:
//   interrupts     <- interrupts        (host -> guest)
//   events         <- signals           (guest -> host, as the host sees them)
//   intr_out_empty <- signals_for_data  (the guest's TX ring went empty -> non-empty)
//   intr_in_full   <- signals_for_space (the host was blocked and the guest freed room)
//
// Usage:
//   counters.add(hvsim::Counter::packets_in);          // host thread only
//   std::uint64_t n = counters.get(hvsim::Counter::signals_unnecessary);
//   for (auto c : hvsim::all_counters()) print(hvsim::counter_name(c), snap[c]);
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace hvsim {

enum class Counter : std::uint8_t {
  interrupts,            // interrupts sent to the guest (eventfd writes)
  interrupts_for_data,   // ... because the guest's RX ring went empty -> non-empty, mask clear
  interrupts_for_space,  // ... because room the guest asked for (pending_send_sz) freed up
  signals,               // guest -> host signals seen
  signals_unnecessary,   // ... that nothing justified (see HostChannel)
  signals_for_data,      // ... justified by the TX ring going empty -> non-empty, host mask clear
  signals_for_space,     // ... justified by room the host asked for in the RX ring
  packets_in,            // packets the host read from the guest's TX ring
  bytes_in,              // their ring bytes
  packets_out,           // packets the host wrote to the guest's RX ring
  bytes_out,             // their ring bytes
  host_blocked,          // times the host found the guest's RX ring full and waited
  packets_dropped,       // packets the device host could not handle (logged)
  drains,                // drain passes over the guest's TX ring
  corrupt_closes,        // times the channel was closed for a corrupt guest ring
  faults_injected,       // faults that fired on purpose (hvsim/faults.h)
  count_,
};
inline constexpr std::size_t kCounterCount = static_cast<std::size_t>(Counter::count_);

std::string_view counter_name(Counter c);
std::span<const Counter> all_counters();

struct CountersSnapshot {
  std::array<std::uint64_t, kCounterCount> values{};
  std::uint64_t operator[](Counter c) const { return values[static_cast<std::size_t>(c)]; }
};

// Where a channel is, as ctl shows it.
enum class ChannelState : std::uint8_t {
  closed,   // no client has the device open
  open,     // the host serves the channel
  blocked,  // the host waits for room in the guest's RX ring (pending_send_sz set)
  corrupt,  // the guest broke a ring; the host stopped serving it until the next open
  broken,   // an injected fault broke the channel on purpose (hvsim/faults.h), until the next open
};
std::string_view state_name(ChannelState s);

class ChannelCounters {
 public:
  void set_state(ChannelState s) noexcept { state_.store(s, std::memory_order_relaxed); }
  ChannelState state() const noexcept { return state_.load(std::memory_order_relaxed); }

  // Single writer: a load and a store, no locked instruction.
  void add(Counter c, std::uint64_t n = 1) noexcept {
    auto& v = values_[static_cast<std::size_t>(c)];
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get(Counter c) const noexcept { return values_[static_cast<std::size_t>(c)].load(std::memory_order_relaxed); }
  CountersSnapshot snapshot() const noexcept {
    CountersSnapshot s;
    for (std::size_t i = 0; i < kCounterCount; ++i) s.values[i] = values_[i].load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kCounterCount> values_{};
  std::atomic<ChannelState> state_{ChannelState::closed};
};

}  // namespace hvsim
