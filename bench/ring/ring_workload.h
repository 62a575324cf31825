// File: bench/ring/ring_workload.h
//
// The measured work: one VMBus ring (4 KiB header page + data area, allocated
// page-aligned), an OutgoingRing and an IncomingRing attached to the same
// memory, a producer thread and a consumer thread on two CPUs.
//
//   producer  writes `batch` inband packets (payload starts with a u64
//             sequence number), then commit(); on `full` it commits what it
//             has, then polls until there is room (with --request-space it
//             also asks for a space signal, as a writer about to sleep would).
//   consumer  read()s up to `batch` packets into its own buffer, checks each
//             sequence number, then commit().
// Both count the commits that published something and those that returned
// true (a signal the peer would get).
//
// Usage:
//   RingStorage storage(2 << 20);
//   Sample s = run_ring(storage, plan, {.payload = 64, .batch = 32}, 150ms);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ring/bench_threads.h"
#include "ring/measurement.h"

namespace bench {

// Header page + data area in anonymous, page-aligned, pre-faulted memory.
class RingStorage {
 public:
  explicit RingStorage(std::size_t data_bytes);  // throws std::system_error
  ~RingStorage();
  RingStorage(const RingStorage&) = delete;
  RingStorage& operator=(const RingStorage&) = delete;

  std::span<std::byte> bytes() const noexcept { return {base_, size_}; }
  std::size_t data_bytes() const noexcept;

 private:
  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
};

struct RingParams {
  std::uint32_t payload = 64;    // bytes per packet, at least 8
  std::uint32_t batch = 1;       // packets per commit, both sides
  bool reader_masked = false;    // reader keeps interrupt_mask set (else clear)
  bool request_space = false;    // writer sets pending_send_sz when it finds the ring full
};

// One timed run on a freshly initialized ring.
Sample run_ring(const RingStorage& storage, const CpuPlan& plan, const RingParams& params,
                std::chrono::milliseconds duration);

}  // namespace bench
