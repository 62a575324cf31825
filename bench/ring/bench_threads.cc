// CPU selection, pinning and the start/stop protocol of the benchmark threads.
#include "ring/bench_threads.h"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace bench {
namespace {

bool pin_thread(pthread_t thread, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  return pthread_setaffinity_np(thread, sizeof set, &set) == 0;
}

}  // namespace

CpuPlan plan_cpus() {
  CpuPlan plan;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) {
    plan.note = std::string("sched_getaffinity failed: ") + std::strerror(errno);
    return plan;
  }
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(static_cast<std::size_t>(cpu), &set)) plan.allowed.push_back(cpu);
  }
  if (plan.allowed.size() < 2) {
    plan.note = "only one CPU available: threads share it and spin loops yield";
    return plan;
  }
  // Try both CPUs on this thread, then give it its old mask back.
  const pthread_t self = pthread_self();
  const bool ok = pin_thread(self, plan.allowed[0]) && pin_thread(self, plan.allowed[1]);
  pthread_setaffinity_np(self, sizeof set, &set);
  if (!ok) {
    plan.note = std::string("pthread_setaffinity_np refused: ") + std::strerror(errno) + "; threads not pinned";
    return plan;
  }
  plan.producer_cpu = plan.allowed[0];
  plan.consumer_cpu = plan.allowed[1];
  plan.pinned = true;
  return plan;
}

void run_workers(const CpuPlan& plan, std::chrono::milliseconds duration, const std::vector<Worker>& workers) {
  // Each flag on its own cache line: the workers poll `go` and `stop`.
  alignas(64) std::atomic<bool> go{false};
  alignas(64) std::atomic<bool> stop{false};
  alignas(64) std::atomic<std::size_t> ready{0};

  std::vector<std::thread> threads;
  threads.reserve(workers.size());
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const int cpu = i == 0 ? plan.producer_cpu : plan.consumer_cpu;
    threads.emplace_back([&, cpu, i] {
      if (plan.pinned) pin_thread(pthread_self(), cpu);  // checked by plan_cpus()
      ready.fetch_add(1, std::memory_order_acq_rel);
      while (!go.load(std::memory_order_acquire)) relax(plan);
      workers[i](stop);
    });
  }
  while (ready.load(std::memory_order_acquire) != workers.size()) std::this_thread::yield();
  go.store(true, std::memory_order_release);
  std::this_thread::sleep_for(duration);
  stop.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
}

}  // namespace bench
