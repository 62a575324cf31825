// File: bench/echo/cpu_time.h
//
// Where the CPU time went while echo runs were measured: this process (the
// guest, polling), hvsim (its host thread scanning and echoing), the socket
// echo child, and everything else on the machine. On a 2-core machine these
// compete, so the split says what limits a number. Read from /proc
// (common/host_load.h) in clock ticks, reported as cores: ticks / USER_HZ /
// wall seconds (1.0 = one CPU busy all the time).
//
// Usage:
//   CpuMeter meter({hvsim_pid, peer_pid});
//   ... run ...
//   cpu += meter.stop();
//   std::printf("hvsim %.2f cores\n", cpu.cores(cpu.hvsim));
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>

#include "common/host_load.h"

namespace bench::echo {

struct CpuTime {
  double seconds = 0;       // wall time covered
  std::uint64_t guest = 0;  // ticks of this process
  std::uint64_t hvsim = 0;  // ticks of hvsim (every thread)
  std::uint64_t peer = 0;   // ticks of the socket echo child
  std::uint64_t busy = 0;   // ticks all CPUs were busy, everyone included
  bool valid = false;       // /proc was readable throughout

  double cores(std::uint64_t ticks) const noexcept;
  // Everything else: busy - guest - hvsim - peer, in cores, at least 0.
  double other_cores() const noexcept;
  // other_cores() as a share of the CPUs online (0..1), as ring_bench's
  // foreign_cpu_share; -1 if unknown.
  double other_share(long cores_online) const noexcept;
  CpuTime& operator+=(const CpuTime& more) noexcept;
};

class CpuMeter {
 public:
  CpuMeter(pid_t hvsim, pid_t peer);
  CpuTime stop() const;

 private:
  struct Reading {
    LoadSnapshot machine;
    std::uint64_t hvsim = 0;
    std::uint64_t peer = 0;
    bool valid = false;
  };
  Reading read() const;

  pid_t hvsim_;
  pid_t peer_;
  std::chrono::steady_clock::time_point start_;
  Reading at_start_;
};

}  // namespace bench::echo
