// File: bench/ring/spsc_workload.h
//
// The spsc_queue reference ring_bench measures in the same run as the VMBus
// ring: boost::lockfree::spsc_queue of 64-byte elements, capacity = the ring's
// data bytes, the same two CPUs. A packet of P bytes is ceil(P/64) elements,
// its sequence number in the first one; the consumer copies every packet into
// its own buffer and checks the sequence number. Two modes:
//
//   per_packet  the producer calls push() once per packet and the consumer
//               pop() once per packet: one queue operation per packet on each
//               side, like the ring's write() and read() (spsc_queue has no
//               commit: every push publishes). `batch` only groups the
//               producer's loop, so batch 1 and 32 are the same work.
//   bulk        the producer pushes `batch` packets with one push() (one copy
//               from a batch-sized source, one index store) and the consumer
//               pops up to `batch` packets per pop(): a bulk array copy with no
//               per-packet queue work. At batch 1 it equals per_packet.
//
// A push() or pop() may move fewer elements than asked (the queue is nearly
// full or empty); the rest follows in further calls, all counted.
//
// Usage:
//   Sample q = run_spsc(plan, {.payload = 64, .batch = 32, .capacity_bytes = 2 << 20,
//                              .mode = SpscMode::per_packet}, 150ms);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "ring/bench_threads.h"
#include "ring/measurement.h"

namespace bench {

inline constexpr std::uint32_t kSpscElementSize = 64;

// Elements of kSpscElementSize bytes that carry one packet of `payload` bytes.
constexpr std::uint32_t spsc_elements_per_packet(std::uint32_t payload) noexcept {
  return payload <= kSpscElementSize ? 1 : (payload + kSpscElementSize - 1) / kSpscElementSize;
}

enum class SpscMode { per_packet, bulk };

struct SpscParams {
  std::uint32_t payload = 64;
  std::uint32_t batch = 1;
  std::size_t capacity_bytes = 0;  // queue capacity in bytes (elements * 64)
  SpscMode mode = SpscMode::per_packet;
};

Sample run_spsc(const CpuPlan& plan, const SpscParams& params, std::chrono::milliseconds duration);

}  // namespace bench
