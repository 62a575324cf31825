// CPU time per process during a measurement, from /proc.
#include "echo/cpu_time.h"

#include <unistd.h>

#include <optional>

namespace bench::echo {

double CpuTime::cores(std::uint64_t ticks) const noexcept {
  const long hz = ::sysconf(_SC_CLK_TCK);
  if (!valid || seconds <= 0 || hz <= 0) return 0;
  return static_cast<double>(ticks) / static_cast<double>(hz) / seconds;
}

double CpuTime::other_cores() const noexcept {
  const std::uint64_t ours = guest + hvsim + peer;
  return busy > ours ? cores(busy - ours) : 0;
}

double CpuTime::other_share(long cores_online) const noexcept {
  if (!valid || cores_online <= 0) return -1;
  return other_cores() / static_cast<double>(cores_online);
}

CpuTime& CpuTime::operator+=(const CpuTime& more) noexcept {
  valid = (seconds == 0 || valid) && more.valid;
  seconds += more.seconds;
  guest += more.guest;
  hvsim += more.hvsim;
  peer += more.peer;
  busy += more.busy;
  return *this;
}

CpuMeter::CpuMeter(pid_t hvsim, pid_t peer)
    : hvsim_(hvsim), peer_(peer), start_(std::chrono::steady_clock::now()), at_start_(read()) {}

CpuMeter::Reading CpuMeter::read() const {
  Reading r;
  r.machine = LoadSnapshot::take();
  const std::optional<std::uint64_t> hvsim = process_cpu_ticks(hvsim_);
  const std::optional<std::uint64_t> peer = process_cpu_ticks(peer_);
  r.valid = r.machine.valid && hvsim && peer;
  r.hvsim = hvsim.value_or(0);
  r.peer = peer.value_or(0);
  return r;
}

CpuTime CpuMeter::stop() const {
  const Reading end = read();
  CpuTime t;
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  t.valid = at_start_.valid && end.valid && end.machine.busy >= at_start_.machine.busy;
  if (!t.valid) return t;
  t.guest = end.machine.self - at_start_.machine.self;
  t.hvsim = end.hvsim - at_start_.hvsim;
  t.peer = end.peer - at_start_.peer;
  t.busy = end.machine.busy - at_start_.machine.busy;
  return t;
}

}  // namespace bench::echo
