// File: bench/ring/ring_json.h
//
// ring_bench's results as JSON for --json: the machine and the run, every row
// (kind "vmbus_ring", "spsc_queue" (push/pop per packet), "spsc_queue_bulk"
// (push/pop per batch) or "memcpy") with its samples, the ring's ratios to
// each reference, and the targets.
//
// Usage:
//   std::ofstream(path) << to_json(machine, plan, config, results).dump(2);
#pragma once

#include <nlohmann/json.hpp>

#include "common/machine_info.h"
#include "ring/bench_threads.h"
#include "ring/ring_report.h"
#include "ring/targets.h"

namespace bench {

nlohmann::ordered_json to_json(const MachineInfo& machine, const CpuPlan& plan, const RunConfig& config,
                               const Results& results);

}  // namespace bench
