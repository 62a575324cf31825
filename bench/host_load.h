// File: bench/host_load.h
//
// How much of the machine's CPU time other processes took while a benchmark
// ran: (busy time of all CPUs - this process's CPU time) / all CPU time,
// from /proc/stat and /proc/self/stat. Two threads spinning on two cores are
// very sensitive to a third busy process (a build, a test run), so every row
// records this and the report flags rows where it was high.
//
// Usage:
//   const LoadSnapshot before = LoadSnapshot::take();
//   ... measure ...
//   double share = foreign_cpu_share(before, LoadSnapshot::take());  // 0..1, or -1 if unknown
#pragma once

#include <cstdint>

namespace bench {

struct LoadSnapshot {
  std::uint64_t total = 0;  // all CPUs' jiffies, idle included
  std::uint64_t busy = 0;   // all CPUs' non-idle jiffies
  std::uint64_t self = 0;   // this process's user + system jiffies
  bool valid = false;

  static LoadSnapshot take();
};

// Share of all CPU time between the two snapshots used by other processes;
// -1 when /proc could not be read or no time passed.
double foreign_cpu_share(const LoadSnapshot& before, const LoadSnapshot& after) noexcept;

// Above this, a row's numbers are marked as disturbed.
inline constexpr double kForeignLoadWarning = 0.05;

}  // namespace bench
