// vmbus_tap_responder's command line, with Boost.Program_options as the
// project's other tools (hvsim, the benches) use it.
//
// GCC 12 reports a "potential null pointer dereference" inside Boost 1.74's
// typed_value<std::string>::notify() as soon as any string option exists
// (bench/ring/ring_options.cc says more). The warning is off for this file
// only, which holds nothing but option parsing.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "responder_options.h"

#include <arpa/inet.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <cstring>
#include <iostream>

namespace tap {
namespace po = boost::program_options;

namespace {

constexpr long long kMaxQueues = 64;
constexpr double kMaxDurationS = 1e6;
constexpr long long kMaxIdleSleepUs = 1'000'000;

// A unicast IPv4 address a host can own: not 0.0.0.0/8, loopback,
// multicast, reserved or the limited broadcast.
bool assignable(const std::array<std::uint8_t, 4>& a) {
  return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

}  // namespace

std::optional<int> parse_responder_options(int argc, char** argv, ResponderOptions& options) {
  // Read as signed 64-bit: Boost's lexical_cast would wrap "-1" into a huge unsigned.
  long long queues = options.queues;
  long long idle_sleep_us = options.idle_sleep_us;
  std::string ip = "10.200.0.2";
  po::options_description desc(
      "vmbus_tap_responder: owns an IPv4 address on the synthetic NIC, through the poll-mode netvsc driver,\n"
      "and answers ARP requests and ICMP echo requests (ping) for it; everything else is ignored and\n"
      "counted. With hvsim's NIC on a TAP interface, the host's kernel can ping it.\n"
      "Exit status 0 after a clean stop (--duration, SIGINT or SIGTERM); 1 if the port could not be\n"
      "opened or was rescinded (the message says why); 2 for bad arguments.\n"
      "Options");
  desc.add_options()("help,h", "print this help");
  desc.add_options()("root", po::value(&options.root)->value_name("DIR"),
                     "the sysfs root to find the NIC under (hvsim: <hvsim root>/sys; default $VMBUS_SYSFS_ROOT, "
                     "else /sys)");
  desc.add_options()("device", po::value(&options.device)->default_value(options.device)->value_name("SELECTOR"),
                     "the NIC: an instance GUID, or a class name only one device has");
  desc.add_options()("ip", po::value(&ip)->default_value(ip)->value_name("A.B.C.D"),
                     "the IPv4 address to answer for");
  desc.add_options()("queues,q", po::value(&queues)->default_value(queues)->value_name("N"),
                     "queues to open (1..64), all polled by one thread");
  desc.add_options()("duration,d", po::value(&options.duration_s)->default_value(options.duration_s)->value_name("S"),
                     "seconds to answer, then stop and print the counts (0: until SIGINT or SIGTERM)");
  desc.add_options()("idle-sleep-us", po::value(&idle_sleep_us)->default_value(idle_sleep_us)->value_name("US"),
                     "sleep this long after a pass over the queues that found nothing (0: busy poll)");
  desc.add_options()("quiet", "no line per reply, only the counts at the end");

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "vmbus_tap_responder: " << e.what() << " (vmbus_tap_responder --help)\n";
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << desc
              << "\nExamples:\n"
                 "  vmbus_tap_responder --root /dev/shm/vm1/sys --ip 10.200.0.2\n"
                 "  examples/tap_ping/run      # hvsim's NIC on a TAP + this + ping, in one command\n";
    return 0;
  }
  auto bad = [](const std::string& what) {
    std::cerr << "vmbus_tap_responder: " << what << " (vmbus_tap_responder --help)\n";
    return 2;
  };
  in_addr address{};
  if (::inet_pton(AF_INET, ip.c_str(), &address) != 1) return bad("--ip '" + ip + "' is not an IPv4 address (A.B.C.D)");
  std::memcpy(options.ip.data(), &address.s_addr, 4);  // s_addr is in network order: the bytes as written
  if (!assignable(options.ip)) {
    return bad("--ip " + ip + " is not a unicast address a host can own (not 0/8, 127/8, multicast or reserved)");
  }
  if (queues < 1 || queues > kMaxQueues) return bad("--queues " + std::to_string(queues) + " is outside 1..64");
  if (!std::isfinite(options.duration_s) || options.duration_s < 0 || options.duration_s > kMaxDurationS) {
    return bad("--duration must be 0 (until a signal) or a number of seconds up to 1000000");
  }
  if (idle_sleep_us < 0 || idle_sleep_us > kMaxIdleSleepUs) {
    return bad("--idle-sleep-us " + std::to_string(idle_sleep_us) + " is outside 0..1000000");
  }
  if (options.device.empty()) return bad("--device is empty: give an instance GUID or a class name");
  options.queues = static_cast<std::uint16_t>(queues);
  options.idle_sleep_us = static_cast<std::uint32_t>(idle_sleep_us);
  options.quiet = vm.count("quiet") != 0;
  return std::nullopt;
}

}  // namespace tap
