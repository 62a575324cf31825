// echo_bench's command line.
//
// GCC 12 reports a "potential null pointer dereference" inside Boost 1.74's
// typed_value<std::string>::notify() as soon as any string option exists
// (ring/ring_options.cc says more). The warning is off for this file only,
// which holds nothing but option parsing.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "echo/echo_options.h"

#include <boost/program_options.hpp>
#include <iostream>

#ifndef VMBUS_HVSIM_BINARY
#define VMBUS_HVSIM_BINARY ""
#endif

namespace bench::echo {
namespace po = boost::program_options;

namespace {

// Payloads: the sequence number needs 8 bytes; 64 KiB is far above what the
// echo device's 72 KiB ring carries, which is checked once it is open.
constexpr std::uint32_t kMinPayload = 8;
constexpr std::uint32_t kMaxPayload = 65536;

}  // namespace

std::optional<int> parse_options(int argc, char** argv, EchoOptions& options) {
  options.hvsim = VMBUS_HVSIM_BINARY;
  std::uint32_t monitor_latency_us = 0;
  po::options_description desc(
      "echo_bench: round-trip latency and throughput of hvsim's echo device, driven through the SDK from\n"
      "this process (the guest) while hvsim runs as another process, against a forked child echoing the\n"
      "same payloads over a UNIX SOCK_SEQPACKET socketpair, measured in the same run. Prints tables and\n"
      "the ratios vmbus/socket; hvsim's signal counters say what the protocol cost.\n"
      "Exit status 0 whatever the numbers; 1 if something failed (the message names it); 2 for bad\n"
      "arguments; 128+N after signal N (the device is given back and hvsim stopped first).\n"
      "Options");
  desc.add_options()("help,h", "print this help");
  desc.add_options()(
      "hvsim", po::value(&options.hvsim)->value_name("PATH"),
      ("the hvsim binary to start (default: this build's, " + std::string(VMBUS_HVSIM_BINARY) + ")").c_str());
  desc.add_options()("payloads", po::value(&options.payloads)->multitoken()->value_name("BYTES..."),
                     "payload sizes (default 64 512 1500 4000)");
  desc.add_options()("round-trips", po::value(&options.round_trips)->default_value(options.round_trips),
                     "round trips per payload and path, one packet at a time (p50, p99, p99.9)");
  desc.add_options()("window", po::value(&options.window)->default_value(options.window),
                     "throughput: packets in flight at most; the window is topped up in batches once half "
                     "of it came back, one flush (at most one signal) per batch");
  desc.add_options()("duration-ms", po::value(&options.duration_ms)->default_value(options.duration_ms),
                     "throughput: time per measured repetition, in ms");
  desc.add_options()("warmup-ms", po::value(&options.warmup_ms)->default_value(options.warmup_ms),
                     "throughput: one unmeasured run per payload and path first, in ms (0: none)");
  desc.add_options()("repetitions", po::value(&options.repetitions)->default_value(options.repetitions),
                     "repetitions per payload, the paths interleaved (throughput: median [min .. max]; the "
                     "round trips are split among them)");
  desc.add_options()("monitor-latency-us", po::value(&monitor_latency_us)->value_name("US"),
                     "passed to hvsim: how often it scans the monitor page for guest signals; 0 busy-polls "
                     "(default: hvsim's, 50 us, netvsc's value)");
  desc.add_options()("json", po::value(&options.json_path)->value_name("FILE"),
                     "also write the results as JSON to FILE");
  desc.add_options()("quick",
                     "a smoke run of a few seconds: 1000 round trips, 100 ms x 2, 20 ms warm-up, "
                     "unless given explicitly");

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "echo_bench: " << e.what() << "\n\n" << desc << "\n";
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << desc
              << "\nExamples:\n"
                 "  echo_bench --quick                                # a few seconds, all payloads\n"
                 "  echo_bench --json out.json                        # the full run, about 40 s on 2 CPUs\n"
                 "  echo_bench --payloads 64 --monitor-latency-us 0   # hvsim busy-polls: the rings' own cost\n"
                 "How to read the ratios: docs/bench.md\n";
    return 0;
  }
  options.quick = vm.count("quick") != 0;
  if (options.quick) {
    if (vm["round-trips"].defaulted()) options.round_trips = 1000;
    if (vm["duration-ms"].defaulted()) options.duration_ms = 100;
    if (vm["warmup-ms"].defaulted()) options.warmup_ms = 20;
    if (vm["repetitions"].defaulted()) options.repetitions = 2;
  }
  if (vm.count("monitor-latency-us") != 0) {
    // hvsim stores it in 100 ns units in a u16 (hv_monitor_page.latency).
    if (monitor_latency_us > 6553) {
      std::cerr << "echo_bench: --monitor-latency-us " << monitor_latency_us << " is above 6553 (a u16 of 100 ns)\n";
      return 2;
    }
    options.monitor_latency_us = monitor_latency_us;
  }
  if (options.hvsim.empty()) {
    std::cerr << "echo_bench: no hvsim binary: give one with --hvsim PATH\n";
    return 2;
  }
  if (options.payloads.empty()) {
    std::cerr << "echo_bench: --payloads: nothing to measure\n";
    return 2;
  }
  for (std::uint32_t p : options.payloads) {
    if (p < kMinPayload || p > kMaxPayload) {
      std::cerr << "echo_bench: payload " << p << " is outside [" << kMinPayload << ", " << kMaxPayload << "]\n";
      return 2;
    }
  }
  if (options.window == 0 || options.window > 65536) {
    std::cerr << "echo_bench: --window " << options.window << " is outside [1, 65536]\n";
    return 2;
  }
  if (options.duration_ms == 0 || options.repetitions == 0) {
    std::cerr << "echo_bench: --duration-ms and --repetitions must be at least 1\n";
    return 2;
  }
  if (options.round_trips < options.repetitions) {
    std::cerr << "echo_bench: --round-trips " << options.round_trips << " is below --repetitions "
              << options.repetitions << " (each repetition needs one)\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace bench::echo
