// File: bench/echo/echo_json.h
//
// echo_bench's results as JSON for --json: the machine and the run, hvsim
// and the device, then one entry per payload with both paths' latency
// percentiles (us) and throughput (packets/s and Gbit/s of payload, one
// summary over the repetitions), the ratios vmbus / socket, the signal
// counters of the VMBus runs and the CPU split.
//
// Usage:
//   std::ofstream(path) << to_json(machine, options, results).dump(2);
#pragma once

#include <nlohmann/json.hpp>

#include "common/machine_info.h"
#include "echo/echo_options.h"
#include "echo/echo_results.h"

namespace bench::echo {

nlohmann::ordered_json to_json(const MachineInfo& machine, const EchoOptions& options, const EchoResults& results);

}  // namespace bench::echo
