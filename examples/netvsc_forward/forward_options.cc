// vmbus_netvsc_forward's command line, with Boost.Program_options as the
// project's other tools (hvsim, the benches) use it.
//
// GCC 12 reports a "potential null pointer dereference" inside Boost 1.74's
// typed_value<std::string>::notify() as soon as any string option exists
// (bench/ring/ring_options.cc says more). The warning is off for this file
// only, which holds nothing but option parsing.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "forward_options.h"

#include <boost/program_options.hpp>
#include <cmath>
#include <iostream>

namespace forward {
namespace po = boost::program_options;

namespace {

// A device has at most 64 channels (DPDK VMBUS_MAX_CHANNELS, netvsc VRSS_CHANNEL_MAX).
constexpr long long kMaxQueues = 64;
// rx_burst takes a uint16_t; past 512 a burst only adds latency (DPDK's
// default tx_desc, and so netvsc's tx_descriptors, is 512).
constexpr long long kMaxBurst = 512;
constexpr double kMaxDurationS = 1e6;
constexpr long long kMaxIdleSleepUs = 1'000'000;

}  // namespace

const char* mode_name(Mode mode) noexcept { return mode == Mode::macswap ? "macswap" : "io"; }

std::optional<int> parse_forward_options(int argc, char** argv, ForwardOptions& options) {
  // Read as signed 64-bit: Boost's lexical_cast would wrap "-1" into a huge unsigned.
  long long queues = options.queues;
  long long burst = options.burst;
  long long idle_sleep_us = options.idle_sleep_us;
  std::string mode = mode_name(options.mode);
  po::options_description desc(
      "vmbus_netvsc_forward: a DPDK-style poll-mode forwarder on the netvsc driver. Opens the synthetic\n"
      "NIC with N queues (RSS spreads received frames over them), runs one polling thread per queue\n"
      "doing rx_burst -> swap MACs -> tx_burst, prints per-queue and total packets, Mpps and drops every\n"
      "second, and a summary when it stops (--duration, SIGINT or SIGTERM).\n"
      "Exit status 0 after a clean stop; 1 if the port could not be opened or was rescinded (the message\n"
      "says why); 2 for bad arguments.\n"
      "Options");
  desc.add_options()("help,h", "print this help");
  desc.add_options()("root", po::value(&options.root)->value_name("DIR"),
                     "the sysfs root to find the NIC under (hvsim: <hvsim root>/sys; default $VMBUS_SYSFS_ROOT, "
                     "else /sys)");
  desc.add_options()("device", po::value(&options.device)->default_value(options.device)->value_name("SELECTOR"),
                     "the NIC: an instance GUID, or a class name only one device has");
  desc.add_options()("queues,q", po::value(&queues)->default_value(queues)->value_name("N"),
                     "queues to open, one polling thread each (1..64; the host may grant fewer)");
  desc.add_options()("duration,d", po::value(&options.duration_s)->default_value(options.duration_s)->value_name("S"),
                     "seconds to forward, then stop and print the summary (0: until SIGINT or SIGTERM)");
  desc.add_options()("burst,b", po::value(&burst)->default_value(burst)->value_name("N"),
                     "frames per rx_burst (1..512)");
  desc.add_options()("mode,m", po::value(&mode)->default_value(mode)->value_name("MODE"),
                     "macswap: swap destination and source MAC; io: send frames back unchanged");
  desc.add_options()("idle-sleep-us", po::value(&idle_sleep_us)->default_value(idle_sleep_us)->value_name("US"),
                     "sleep this long after a poll that found nothing (0: busy poll, as DPDK does; a few tens "
                     "of us spare the CPU on a small machine)");

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "vmbus_netvsc_forward: " << e.what() << " (vmbus_netvsc_forward --help)\n";
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << desc
              << "\nExamples:\n"
                 "  vmbus_netvsc_forward --root /dev/shm/vm1/sys --queues 2 --duration 10\n"
                 "  examples/netvsc_forward/run      # hvsim with a traffic source + this, in one command\n";
    return 0;
  }
  auto bad = [](const std::string& what) {
    std::cerr << "vmbus_netvsc_forward: " << what << " (vmbus_netvsc_forward --help)\n";
    return 2;
  };
  if (queues < 1 || queues > kMaxQueues) return bad("--queues " + std::to_string(queues) + " is outside 1..64");
  if (burst < 1 || burst > kMaxBurst) return bad("--burst " + std::to_string(burst) + " is outside 1..512");
  if (!std::isfinite(options.duration_s) || options.duration_s < 0 || options.duration_s > kMaxDurationS) {
    return bad("--duration must be 0 (until a signal) or a number of seconds up to 1000000");
  }
  if (idle_sleep_us < 0 || idle_sleep_us > kMaxIdleSleepUs) {
    return bad("--idle-sleep-us " + std::to_string(idle_sleep_us) + " is outside 0..1000000");
  }
  if (mode == "macswap") {
    options.mode = Mode::macswap;
  } else if (mode == "io") {
    options.mode = Mode::io;
  } else {
    return bad("--mode '" + mode + "' is neither macswap nor io");
  }
  if (options.device.empty()) return bad("--device is empty: give an instance GUID or a class name");
  options.queues = static_cast<std::uint16_t>(queues);
  options.burst = static_cast<std::uint16_t>(burst);
  options.idle_sleep_us = static_cast<std::uint32_t>(idle_sleep_us);
  return std::nullopt;
}

}  // namespace forward
