// File: bench/ring/ring_options.h
//
// ring_bench's command line (boost::program_options): what to measure and for
// how long. `--quick` shortens the run for CI unless --duration-ms or
// --repetitions are given explicitly.
//
// Usage:
//   Options options;
//   if (auto exit_code = parse_options(argc, argv, options)) return *exit_code;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ring/ring_report.h"

namespace bench {

// A NIC's ring: 2 MiB of data per direction (netvsc's default).
inline constexpr std::size_t kRingDataBytes = std::size_t{2} << 20;

struct Options {
  RunConfig config;
  std::vector<std::uint32_t> payloads{64, 256, 1500, 4096, 65536};
  std::vector<std::uint32_t> batches{1, 32};
  std::string json_path;  // empty: no JSON
};

// Fills `options`. Returns an exit status when the program should stop here:
// 0 after --help, 2 after a bad argument (the reason is on stderr).
std::optional<int> parse_options(int argc, char** argv, Options& options);

}  // namespace bench
