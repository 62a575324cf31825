// File: bench/echo/echo_report.h
//
// echo_bench's output on stdout: the header that states the machine, the CPU
// count (on 2 CPUs the guest, hvsim and the socket child compete), hvsim,
// the device and the run; then the tables: round-trip latency, throughput,
// signals, CPU time. The same content as JSON: echo_json.h.
//
// Usage:
//   print_header(machine, options, results.info);
//   ... run ...
//   print_results(machine, options, results);
#pragma once

#include "common/machine_info.h"
#include "echo/echo_options.h"
#include "echo/echo_results.h"

namespace bench::echo {

void print_header(const MachineInfo& machine, const EchoOptions& options, const RunInfo& info);
void print_results(const MachineInfo& machine, const EchoOptions& options, const EchoResults& results);

}  // namespace bench::echo
