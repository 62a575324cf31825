// ring_bench's command line.
//
// GCC 12 reports a "potential null pointer dereference" inside Boost 1.74's
// typed_value<std::string>::notify() (it copies through an any_cast pointer it
// does not test) as soon as any string option exists. The warning is off for
// this file only, which holds nothing but option parsing.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "ring/ring_options.h"

#include <boost/program_options.hpp>
#include <iostream>

namespace bench {
namespace po = boost::program_options;

std::optional<int> parse_options(int argc, char** argv, Options& options) {
  std::uint32_t duration_ms = 150;
  std::uint32_t repetitions = 5;
  po::options_description desc(
      "ring_bench: VMBus ring packet rate and bandwidth, against boost::lockfree::spsc_queue and memcpy.\n"
      "Exit status 0 whatever the numbers; 1 if the ring misbehaved; 2 for bad arguments.\n"
      "Options");
  desc.add_options()("help,h", "print this help");
  desc.add_options()("duration-ms", po::value(&duration_ms)->default_value(duration_ms),
                     "time per measured repetition, in ms");
  desc.add_options()("repetitions", po::value(&repetitions)->default_value(repetitions),
                     "measured repetitions per row (median, min/max and stdev are reported)");
  desc.add_options()("json", po::value(&options.json_path)->value_name("FILE"),
                     "also write the results as JSON to FILE");
  desc.add_options()("quick", "a very short run for CI smoke tests (15 ms x 3 unless given explicitly)");
  desc.add_options()("payloads", po::value(&options.payloads)->multitoken()->value_name("BYTES..."),
                     "payload sizes (default 64 256 1500 4096 65536)");
  desc.add_options()("batches", po::value(&options.batches)->multitoken()->value_name("N..."),
                     "packets per commit (default 1 32)");
  desc.add_options()("request-space",
                     "when the ring is full the writer sets pending_send_sz, as a writer about to sleep "
                     "would, so that the reader's commits can signal");

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "ring_bench: " << e.what() << "\n\n" << desc << "\n";
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << desc << "\n";
    return 0;
  }
  const bool quick = vm.count("quick") != 0;
  if (quick) {
    if (vm["duration-ms"].defaulted()) duration_ms = 15;
    if (vm["repetitions"].defaulted()) repetitions = 3;
  }
  if (duration_ms == 0 || repetitions == 0) {
    std::cerr << "ring_bench: --duration-ms and --repetitions must be at least 1\n";
    return 2;
  }
  for (std::uint32_t p : options.payloads) {
    // At least the sequence number; at most what fits a ring packet's u16 len8.
    if (p < 8 || p > 256 * 1024) {
      std::cerr << "ring_bench: payload " << p << " is outside [8, 262144]\n";
      return 2;
    }
  }
  for (std::uint32_t b : options.batches) {
    if (b == 0 || b > 4096) {
      std::cerr << "ring_bench: batch " << b << " is outside [1, 4096]\n";
      return 2;
    }
  }
  if (options.payloads.empty() || options.batches.empty()) {
    std::cerr << "ring_bench: nothing to measure\n";
    return 2;
  }
  options.config = {
      .duration_ms = duration_ms,
      .warmup_ms = duration_ms / 2 + 1,
      .repetitions = repetitions,
      .ring_data_bytes = kRingDataBytes,
      .quick = quick,
      .request_space = vm.count("request-space") != 0,
  };
  return std::nullopt;
}

}  // namespace bench
