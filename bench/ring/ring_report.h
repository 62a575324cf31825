// File: bench/ring/ring_report.h
//
// ring_bench's output on stdout: the header that states the machine and the
// run, then the tables (the ring, the references with ratios, checks,
// targets). The same content as JSON: ring_json.h.
//
// Usage:
//   const MachineInfo machine = describe_machine();
//   print_header(machine, plan, config);
//   ... run ...
//   print_results(results);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/machine_info.h"
#include "ring/bench_threads.h"
#include "ring/targets.h"

namespace bench {

struct RunConfig {
  std::uint32_t duration_ms = 0;  // per measured repetition
  std::uint32_t warmup_ms = 0;    // one unmeasured run before each row
  std::uint32_t repetitions = 0;
  std::size_t ring_data_bytes = 0;
  bool quick = false;
  bool request_space = false;
};

void print_header(const MachineInfo& machine, const CpuPlan& plan, const RunConfig& config);
void print_results(const Results& results);

}  // namespace bench
