// vmbus_tap_responder's command line (tap_responder.cc has the program).
//
// Usage:
//   ResponderOptions options;
//   if (std::optional<int> exit_code = parse_responder_options(argc, argv, options)) return *exit_code;
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace tap {

struct ResponderOptions {
  std::string root;                          // sysfs root; "" = $VMBUS_SYSFS_ROOT or /sys
  std::string device = "network";            // an instance GUID, or a class only one device has
  std::array<std::uint8_t, 4> ip{10, 200, 0, 2};  // the address this responder owns
  std::uint16_t queues = 1;                  // queues to open, all polled by the one thread
  double duration_s = 0;                     // 0: until SIGINT or SIGTERM
  std::uint32_t idle_sleep_us = 100;         // sleep after a pass over the queues that found nothing
  bool quiet = false;                        // no line per reply
};

// nullopt: go on. Otherwise the exit status to return at once: 0 after
// --help, 2 after an error, which has been printed with what to do.
std::optional<int> parse_responder_options(int argc, char** argv, ResponderOptions& options);

}  // namespace tap
