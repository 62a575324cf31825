// File: bench/ring/memcpy_workload.h
//
// The memcpy reference ring_bench measures in the same run as the VMBus ring:
// one thread on the producer CPU copying the payload from one source buffer
// into a destination area the size of the ring's data, cycling through it.
//
// Usage:
//   Sample c = run_memcpy(plan, 65536, 2 << 20, 150ms);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "ring/bench_threads.h"
#include "ring/measurement.h"

namespace bench {

Sample run_memcpy(const CpuPlan& plan, std::uint32_t payload, std::size_t area_bytes,
                  std::chrono::milliseconds duration);

}  // namespace bench
