// File: vmbus/channel/channel_counters.h
//
// Per-channel statistics that a control plane (vmbusd, vmbusctl, a metrics
// thread) reads while the data path runs, without locks and without slowing
// it down:
//   - every counter is a lock-free std::atomic<uint64_t>, so a reader on any
//     thread (or, later, in another process through shared memory: the type
//     is standard-layout with no pointers) sees whole values;
//   - each counter has one writer, which adds with a relaxed load + store (no
//     locked instruction per packet); the two that several threads bump
//     (signals_sent, interrupts_seen) use fetch_add, once per batch or wake-up;
//   - the sending and receiving sides write different cache lines, so a TX
//     thread and an RX thread on one channel do not share a line.
// Values are monotonic and only approximately simultaneous: a snapshot may
// show packets_sent one batch ahead of bytes_sent.
//
// Usage (control plane):
//   vmbus::ChannelCountersSnapshot s = device.channel(0).counters().snapshot();
//   std::printf("tx %llu pkts, %llu signals\n", (unsigned long long)s.packets_sent,
//               (unsigned long long)s.signals_sent);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace vmbus {

// Plain values, for printing and JSON.
struct ChannelCountersSnapshot {
  std::uint64_t packets_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t ring_full_events = 0;
  std::uint64_t signals_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t corrupt_packets = 0;
  std::uint64_t interrupts_seen = 0;
};

struct alignas(64) ChannelCounters {
  using Counter = std::atomic<std::uint64_t>;

  // Written by the sending thread.
  Counter packets_sent{0};      // packets published to the TX ring (flush() committed them)
  Counter bytes_sent{0};        // their length as framed: descriptor + header + payload + pad (len8 * 8)
  Counter ring_full_events{0};  // write() calls refused with Errc::full
  Counter signals_sent{0};      // signals to the host, from either side (fetch_add)

  // Written by the receiving thread.
  alignas(64) Counter packets_received{0};  // packets read or consumed from the RX ring
  Counter bytes_received{0};                 // len8 * 8 of each
  Counter corrupt_packets{0};                // corruption errors reported by receive()/peek()
  // Device-level: uio delivers every channel's interrupt on one fd
  // (d062463edf17), so Device counts them on the primary channel (fetch_add).
  Counter interrupts_seen{0};

  ChannelCountersSnapshot snapshot() const noexcept {
    constexpr auto r = std::memory_order_relaxed;
    return {packets_sent.load(r),     bytes_sent.load(r),     ring_full_events.load(r), signals_sent.load(r),
            packets_received.load(r), bytes_received.load(r), corrupt_packets.load(r),  interrupts_seen.load(r)};
  }

  // The single-writer increment: no locked read-modify-write on the data path.
  static void add(Counter& counter, std::uint64_t n) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "counters must be readable without locks");
static_assert(std::is_standard_layout_v<ChannelCounters>);
static_assert(offsetof(ChannelCounters, packets_received) == 64, "TX and RX counters on separate cache lines");
static_assert(sizeof(ChannelCounters) == 128);

}  // namespace vmbus
