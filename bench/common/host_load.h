// File: bench/common/host_load.h
//
// Where the machine's CPU time went while a benchmark ran, from /proc:
//   - how much other processes took: (busy time of all CPUs - this process's
//     CPU time) / all CPU time. Two threads spinning on two cores are very
//     sensitive to a third busy process (a build, a test run), so every row
//     records this and the report flags rows where it was high;
//   - how much one process took (process_cpu_ticks), for benchmarks whose
//     work spans several processes (echo_bench: the guest, hvsim, a child).
// Times are in clock ticks (USER_HZ, sysconf(_SC_CLK_TCK)), as /proc counts them.
//
// Usage:
//   const LoadSnapshot before = LoadSnapshot::take();
//   ... measure ...
//   double share = foreign_cpu_share(before, LoadSnapshot::take());  // 0..1, or -1 if unknown
//   std::optional<std::uint64_t> t = process_cpu_ticks(hvsim_pid);  // user + system, all threads
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace bench {

struct LoadSnapshot {
  std::uint64_t total = 0;  // all CPUs' ticks, idle included
  std::uint64_t busy = 0;   // all CPUs' non-idle ticks
  std::uint64_t self = 0;   // this process's user + system ticks
  bool valid = false;

  static LoadSnapshot take();
};

// Share of all CPU time between the two snapshots used by other processes;
// -1 when /proc could not be read or no time passed.
double foreign_cpu_share(const LoadSnapshot& before, const LoadSnapshot& after) noexcept;

// Above this, a row's numbers are marked as disturbed.
inline constexpr double kForeignLoadWarning = 0.05;

// utime + stime of process `pid` (/proc/<pid>/stat, fields 14 and 15: every
// thread, not its children); nullopt if it cannot be read (the process is gone).
std::optional<std::uint64_t> process_cpu_ticks(pid_t pid);

}  // namespace bench
