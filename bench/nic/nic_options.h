// File: bench/nic/nic_options.h
//
// nic_bench's command line (boost::program_options): which hvsim to start,
// which rows to measure (modes x frame sizes x queue counts), for how long.
// `--quick` shortens every duration not given explicitly, for a smoke run.
//
// Usage:
//   NicOptions options;
//   if (auto exit_code = parse_nic_options(argc, argv, options)) return *exit_code;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench::nic {

enum class Mode : std::uint8_t { tx, rx, loopback };
const char* mode_name(Mode m) noexcept;

struct NicOptions {
  std::string hvsim;  // the hvsim binary
  std::vector<Mode> modes{Mode::tx, Mode::rx, Mode::loopback};
  std::vector<std::uint32_t> frame_sizes{64, 1500};  // Ethernet frame bytes, no FCS
  std::vector<std::uint16_t> queues{1, 2};
  std::uint32_t duration_ms = 1000;  // per repetition
  std::uint32_t warmup_ms = 300;     // unmeasured, after the port opens
  std::uint32_t repetitions = 3;
  std::uint32_t burst = 32;          // frames per rx_burst / tx_burst
  // Thread layout of the guest. By default one thread per queue, placed by
  // the scheduler. --one-thread polls every queue from one thread in turn,
  // as a DPDK forwarding lcore does with several queues; --cpu pins the
  // polling thread(s) to one CPU, as testpmd's --lcores does.
  bool one_thread = false;
  std::optional<std::uint32_t> cpu;
  std::string json_path;             // empty: no JSON
  bool quick = false;
};

// Fills `options`. Returns an exit status when the program should stop here:
// 0 after --help, 2 after a bad argument (the reason is on stderr).
std::optional<int> parse_nic_options(int argc, char** argv, NicOptions& options);

}  // namespace bench::nic
