// File: bench/echo/echo_options.h
//
// echo_bench's command line (boost::program_options): which hvsim to start,
// what to measure and for how long. `--quick` shortens every count and
// duration not given explicitly, for a smoke run of a few seconds.
//
// Usage:
//   EchoOptions options;
//   if (auto exit_code = parse_options(argc, argv, options)) return *exit_code;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench::echo {

struct EchoOptions {
  std::string hvsim;  // the hvsim binary
  std::vector<std::uint32_t> payloads{64, 512, 1500, 4000};
  std::uint32_t window = 64;          // packets in flight at most (throughput)
  std::uint32_t round_trips = 20000;  // per payload and path, over all repetitions
  std::uint32_t duration_ms = 1000;   // per throughput repetition
  std::uint32_t warmup_ms = 200;      // one unmeasured throughput run per payload and path
  std::uint32_t repetitions = 3;
  std::optional<std::uint32_t> monitor_latency_us;  // passed to hvsim; its default (50 us) otherwise
  std::string json_path;                            // empty: no JSON
  bool quick = false;
};

// Fills `options`. Returns an exit status when the program should stop here:
// 0 after --help, 2 after a bad argument (the reason is on stderr).
std::optional<int> parse_options(int argc, char** argv, EchoOptions& options);

}  // namespace bench::echo
