// Statistics and ratios over the echo runs.
#include "echo/echo_results.h"

#include <algorithm>

#include "common/report_format.h"

namespace bench::echo {

Summary PathResult::pps() const {
  std::vector<double> v;
  for (const ThroughputRun& r : runs) v.push_back(r.pps());
  return summarize(std::move(v));
}

Summary PathResult::gbps() const {
  std::vector<double> v;
  for (const ThroughputRun& r : runs) v.push_back(r.gbps());
  return summarize(std::move(v));
}

std::uint64_t PathResult::packets() const noexcept {
  std::uint64_t n = 0;
  for (const ThroughputRun& r : runs) n += r.packets;
  return n;
}

std::uint64_t PathResult::batches() const noexcept {
  std::uint64_t n = 0;
  for (const ThroughputRun& r : runs) n += r.batches;
  return n;
}

std::uint32_t PathResult::max_in_flight() const noexcept {
  std::uint32_t n = 0;
  for (const ThroughputRun& r : runs) n = std::max(n, r.max_in_flight);
  return n;
}

std::optional<double> PayloadResult::throughput_ratio() const { return ratio(vmbus.pps().median, socket.pps().median); }

std::optional<double> PayloadResult::latency_ratio(double Percentiles::*at) const {
  return ratio(vmbus.latency().*at, socket.latency().*at);
}

}  // namespace bench::echo
