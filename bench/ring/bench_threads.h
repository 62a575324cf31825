// File: bench/ring/bench_threads.h
//
// Where the benchmark's threads run and how they wait. A producer and a
// consumer go on two different CPUs (pthread_setaffinity_np); with only one
// CPU available nothing is pinned and every spin loop yields instead, so the
// run still finishes (slowly). `run_workers` starts the threads, releases them
// together, lets them run for a fixed time, raises `stop` and joins them; each
// worker times itself.
//
// Usage:
//   const CpuPlan plan = plan_cpus();
//   run_workers(plan, 150ms, {[&](const std::atomic<bool>& stop) { produce(stop); },
//                             [&](const std::atomic<bool>& stop) { consume(stop); }});
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace bench {

struct CpuPlan {
  std::vector<int> allowed;  // CPUs this process may run on (sched_getaffinity)
  int producer_cpu = -1;     // worker 0; -1 when not pinned
  int consumer_cpu = -1;     // worker 1
  bool pinned = false;       // both CPUs accepted a pthread_setaffinity_np
  std::string note;          // why not pinned, if not

  // Fewer than two CPUs: spinning would starve the peer, so spinners yield.
  bool shared_core() const noexcept { return !pinned; }
};

// Picks the first two allowed CPUs and checks that the process may pin to them.
CpuPlan plan_cpus();

// One spin-wait step: a pause instruction on a dedicated core, a yield otherwise.
inline void relax(const CpuPlan& plan) noexcept {
  if (plan.shared_core()) {
    std::this_thread::yield();
    return;
  }
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

using Worker = std::function<void(const std::atomic<bool>& stop)>;

// Runs workers[0] on the producer CPU and workers[1] on the consumer CPU (a
// single worker gets the producer CPU). They start together once all are
// pinned; `stop` rises after `duration`. Returns when every worker returned.
void run_workers(const CpuPlan& plan, std::chrono::milliseconds duration, const std::vector<Worker>& workers);

}  // namespace bench
