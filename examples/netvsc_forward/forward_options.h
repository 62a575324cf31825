// vmbus_netvsc_forward's command line (forward.cc has the application).
//
// Usage:
//   ForwardOptions options;
//   if (std::optional<int> exit_code = parse_forward_options(argc, argv, options)) return *exit_code;
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace forward {

enum class Mode : std::uint8_t {
  macswap,  // swap the destination and source MACs (testpmd --forward-mode=macswap)
  io,       // send the frame back unchanged (testpmd --forward-mode=io)
};
const char* mode_name(Mode mode) noexcept;

struct ForwardOptions {
  std::string root;                // sysfs root; "" = $VMBUS_SYSFS_ROOT or /sys
  std::string device = "network";  // an instance GUID, or a class only one device has
  std::uint16_t queues = 1;        // queues asked for (the port may open fewer)
  double duration_s = 0;           // 0: until SIGINT or SIGTERM
  std::uint16_t burst = 32;        // frames per rx_burst
  Mode mode = Mode::macswap;
  std::uint32_t idle_sleep_us = 0;  // sleep after an empty poll (0: busy poll, as DPDK does)
};

// nullopt: go on. Otherwise the exit status to return at once: 0 after
// --help, 2 after an error, which has been printed with what to do.
std::optional<int> parse_forward_options(int argc, char** argv, ForwardOptions& options);

}  // namespace forward
