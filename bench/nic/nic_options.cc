// nic_bench's command line.
//
// GCC 12 reports a "potential null pointer dereference" inside Boost 1.74's
// typed_value<std::string>::notify() as soon as any string option exists
// (ring/ring_options.cc says more): off for this file only.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include "nic/nic_options.h"

#include <boost/program_options.hpp>
#include <charconv>
#include <iostream>
#include <sstream>

#include <unistd.h>

namespace bench::nic {
namespace po = boost::program_options;

const char* mode_name(Mode m) noexcept {
  switch (m) {
    case Mode::tx: return "tx";
    case Mode::rx: return "rx";
    case Mode::loopback: return "loopback";
  }
  return "?";
}

namespace {

// "a,b,c" -> items, each checked by `parse_one` (which throws po::error).
template <typename T, typename F>
std::vector<T> parse_list(const std::string& text, const char* what, F parse_one) {
  std::vector<T> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(parse_one(item));
  if (out.empty()) throw po::error(std::string("--") + what + " is empty");
  return out;
}

unsigned long number(const std::string& s, const char* what, unsigned long lo, unsigned long hi) {
  unsigned long v = 0;
  const char* end = s.data() + s.size();
  const auto [at, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || at != end || v < lo || v > hi) {
    std::ostringstream why;
    why << "--" << what << ": '" << s << "' is not a whole number in " << lo << ".." << hi;
    throw po::error(why.str());
  }
  return v;
}

}  // namespace

std::optional<int> parse_nic_options(int argc, char** argv, NicOptions& options) {
  std::string modes = "tx,rx,loopback", sizes = "64,1500", queues = "1,2";
  po::options_description desc(
      "nic_bench: the netvsc driver against hvsim's synthetic NIC, hvsim in another process.\n"
      "Rows: tx (the guest sends as fast as it can; hvsim's sink backend counts and drops), rx (hvsim's\n"
      "source backend generates frames at 10 Mpps; the guest receives what it can), loopback (the guest\n"
      "sends, hvsim sends each frame back, the guest receives it; 512 frames in flight per queue), for\n"
      "each frame size and queue count (one guest thread per queue unless --one-thread). Reference, same run: the same\n"
      "frames from this process to a forked child over an AF_UNIX SOCK_SEQPACKET socketpair, 32 per\n"
      "sendmmsg/recvmmsg. Figures: Mpps and Gbit/s of frame bytes (no preamble, FCS or gap).\n"
      "Options");
  desc.add_options()("help,h", "print this help");
  desc.add_options()("hvsim", po::value(&options.hvsim)->value_name("PATH"), "the hvsim binary (default: this build's)");
  desc.add_options()("modes", po::value(&modes)->value_name("LIST"), "rows to run: tx,rx,loopback");
  desc.add_options()("sizes", po::value(&sizes)->value_name("LIST"), "frame sizes in bytes, 60..1514 (64,1500)");
  desc.add_options()("queues", po::value(&queues)->value_name("LIST"), "queue counts, 1..8 (1,2)");
  desc.add_options()("duration-ms", po::value(&options.duration_ms)->value_name("MS"), "per repetition (1000)");
  desc.add_options()("repetitions", po::value(&options.repetitions)->value_name("N"), "per row (3)");
  desc.add_options()("burst", po::value(&options.burst)->value_name("N"), "frames per burst, 1..256 (32)");
  desc.add_options()("one-thread", "poll every queue from one guest thread in turn (as one DPDK lcore does)");
  desc.add_options()("cpu", po::value<std::uint32_t>()->value_name("N"), "pin the guest's polling thread(s) to CPU N");
  desc.add_options()("json", po::value(&options.json_path)->value_name("FILE"), "also write the results as JSON");
  desc.add_options()("quick", "a smoke run: 200 ms per repetition, 1 repetition, 100 ms warm-up");

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    options.quick = vm.count("quick") != 0;
    if (options.quick) {
      if (!vm.count("duration-ms")) options.duration_ms = 200;
      if (!vm.count("repetitions")) options.repetitions = 1;
      options.warmup_ms = 100;
    }
    options.modes = parse_list<Mode>(modes, "modes", [](const std::string& m) {
      if (m == "tx") return Mode::tx;
      if (m == "rx") return Mode::rx;
      if (m == "loopback") return Mode::loopback;
      throw po::error("--modes: '" + m + "' is not one of tx, rx, loopback");
    });
    options.frame_sizes = parse_list<std::uint32_t>(
        sizes, "sizes", [](const std::string& s) { return static_cast<std::uint32_t>(number(s, "sizes", 60, 1514)); });
    options.queues = parse_list<std::uint16_t>(
        queues, "queues", [](const std::string& s) { return static_cast<std::uint16_t>(number(s, "queues", 1, 8)); });
    if (options.duration_ms == 0 || options.duration_ms > 600000) throw po::error("--duration-ms must be 1..600000");
    if (options.repetitions == 0 || options.repetitions > 100) throw po::error("--repetitions must be 1..100");
    if (options.burst == 0 || options.burst > 256) throw po::error("--burst must be 1..256");
    options.one_thread = vm.count("one-thread") != 0;
    if (vm.count("cpu")) {
      const std::uint32_t cpu = vm["cpu"].as<std::uint32_t>();
      const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
      if (online > 0 && cpu >= static_cast<std::uint32_t>(online)) {
        throw po::error("--cpu " + std::to_string(cpu) + ": this machine has CPUs 0.." + std::to_string(online - 1));
      }
      options.cpu = cpu;
    }
  } catch (const po::error& e) {
    std::cerr << "nic_bench: " << e.what() << " (nic_bench --help)\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace bench::nic
