// echo_bench: cross-process echo through hvsim. This process is the guest:
// it starts hvsim as a child under a fresh root in /dev/shm, claims hvsim's
// echo device for uio_hv_generic and opens it through the SDK, then measures
// per payload the round-trip latency (one packet at a time) and the
// throughput (a window of packets in flight, one flush per batch). A forked
// child echoing over a UNIX SOCK_SEQPACKET socketpair does the same work in
// the same run, as the reference; hvsim's counters say what the VMBus runs
// cost in signals. Prints tables to stdout, optionally JSON.
//
//   echo_bench                          # about 40 s on 2 cores
//   echo_bench --quick                  # a smoke run of a few seconds
//   echo_bench --json out.json --payloads 64 1500 --window 32 --monitor-latency-us 0
//
// Exit status: 0 whatever the numbers are; 1 if anything failed (hvsim, the
// device, an echo that was lost or wrong); 2 for bad arguments; 128+N after
// signal N. On every path the device is given back, hvsim is stopped and its
// root removed.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/machine_info.h"
#include "echo/cpu_time.h"
#include "echo/echo_json.h"
#include "echo/echo_options.h"
#include "echo/echo_report.h"
#include "echo/echo_results.h"
#include "common/hvsim_child.h"
#include "echo/signal_cost.h"
#include "echo/socket_echo_peer.h"
#include "common/stop_signal.h"
#include "echo/vmbus_echo_device.h"
#include "vmbus/device/guid.h"

namespace {

using namespace bench;
using namespace bench::echo;
using std::chrono::milliseconds;

// The echo device hvsim offers by default (docs/hvsim.md: "echo", relid 40).
constexpr const char* kEchoDevice = "echo";

// A progress line on stderr is open: a message must start on a new line.
bool g_progress_open = false;

// Both sides' counters, read around a VMBus run.
struct CounterReading {
  HostCounters host;
  vmbus::ChannelCountersSnapshot guest;
};

// The device open for one VMBus phase, so that hvsim's host thread (which
// scans for signals every monitor latency while the device is open) does not
// take CPU time from the socket reference. A few unmeasured round trips after
// each open fault the fresh mappings in.
class OpenForPhase {
 public:
  OpenForPhase(VmbusEchoDevice& echo, std::uint32_t payload) : echo_(echo) {
    echo_.open();
    static_cast<void>(echo_.latency(payload, 16));
  }
  ~OpenForPhase() { echo_.close(); }
  OpenForPhase(const OpenForPhase&) = delete;
  OpenForPhase& operator=(const OpenForPhase&) = delete;

 private:
  VmbusEchoDevice& echo_;
};

class Measurer {
 public:
  Measurer(const EchoOptions& options, HvsimChild& sim, VmbusEchoDevice& echo, SocketEchoPeer& peer,
           std::uint32_t settle_us)
      : options_(options), sim_(sim), echo_(echo), peer_(peer), settle_(settle_us) {}

  PayloadResult measure(std::uint32_t payload) {
    PayloadResult r;
    r.payload = payload;
    warm_up(payload);
    const milliseconds duration(options_.duration_ms);
    for (std::uint32_t rep = 0; rep < options_.repetitions; ++rep) {
      // The round trips split evenly; the paths take turns going first, so
      // that neither always runs right after the other.
      const std::uint32_t trips =
          options_.round_trips / options_.repetitions + (rep < options_.round_trips % options_.repetitions ? 1 : 0);
      const bool vmbus_first = rep % 2 == 0;
      for (int turn = 0; turn < 2; ++turn) {
        if ((turn == 0) == vmbus_first) {
          const OpenForPhase open(echo_, payload);
          const CounterReading before = read_counters();
          append(r.vmbus.rtt_us, echo_.latency(payload, trips).rtt_us);
          add_cost(r.latency_cost, before);
        } else {
          append(r.socket.rtt_us, peer_.latency(payload, trips).rtt_us);
        }
      }
      for (int turn = 0; turn < 2; ++turn) {
        if ((turn == 0) == vmbus_first) {
          const OpenForPhase open(echo_, payload);
          const CounterReading before = read_counters();
          const CpuMeter meter(sim_.pid(), peer_.pid());
          r.vmbus.runs.push_back(echo_.throughput(payload, options_.window, duration));
          r.vmbus.cpu += meter.stop();
          add_cost(r.throughput_cost, before);
        } else {
          const CpuMeter meter(sim_.pid(), peer_.pid());
          r.socket.runs.push_back(peer_.throughput(payload, options_.window, duration));
          r.socket.cpu += meter.stop();
        }
      }
    }
    return r;
  }

 private:
  void warm_up(std::uint32_t payload) {
    const std::uint32_t trips = std::min<std::uint32_t>(100, options_.round_trips);
    {
      const OpenForPhase open(echo_, payload);
      static_cast<void>(echo_.latency(payload, trips));
      if (options_.warmup_ms != 0) {
        static_cast<void>(echo_.throughput(payload, options_.window, milliseconds(options_.warmup_ms)));
      }
    }
    static_cast<void>(peer_.latency(payload, trips));
    if (options_.warmup_ms != 0) {
      static_cast<void>(peer_.throughput(payload, options_.window, milliseconds(options_.warmup_ms)));
    }
  }

  CounterReading read_counters() {
    return {HostCounters::from_stats(sim_.ctl({"stats", kEchoDevice}), echo_.info().relid), echo_.counters()};
  }

  // The run drained every echo, but a monitor bit set by its last flush may
  // still wait for hvsim's next scan: give it two scan periods.
  void add_cost(SignalCost& cost, const CounterReading& before) {
    std::this_thread::sleep_for(2 * settle_ + std::chrono::milliseconds(1));
    const CounterReading after = read_counters();
    cost.host += after.host - before.host;
    cost.add_guest(before.guest, after.guest);
  }

  static void append(std::vector<double>& to, const std::vector<double>& from) {
    to.insert(to.end(), from.begin(), from.end());
  }

  const EchoOptions& options_;
  HvsimChild& sim_;
  VmbusEchoDevice& echo_;
  SocketEchoPeer& peer_;
  std::chrono::microseconds settle_;
};

vmbus::Guid echo_instance(const HvsimChild& sim) {
  const nlohmann::json list = sim.ctl({"list", kEchoDevice});
  const nlohmann::json& devices = list.value("devices", nlohmann::json());
  if (!devices.is_array() || devices.size() != 1 || !devices[0].contains("instance") ||
      !devices[0]["instance"].is_string()) {
    throw std::runtime_error("hvsim ctl list echo: expected one device with an instance GUID, got " + list.dump());
  }
  const std::string text = devices[0]["instance"].get<std::string>();
  const std::optional<vmbus::Guid> instance = vmbus::Guid::parse(text);
  if (!instance) throw std::runtime_error("hvsim ctl list echo: instance \"" + text + "\" is not a GUID");
  return *instance;
}

// Opens, measures every payload, reports, and gives the device back.
int measure_device(const EchoOptions& options, const bench::MachineInfo& machine, HvsimChild& sim, SocketEchoPeer& peer,
                   const vmbus::Guid& instance, VmbusEchoDevice& echo) {
  for (std::uint32_t p : options.payloads) {
    if (!echo.fits(p)) {
      throw std::runtime_error("a " + std::to_string(p) + "-byte payload does not fit the echo device's ring (" +
                               std::to_string(echo.ring_data_bytes()) +
                               " data bytes per direction): choose smaller --payloads");
    }
  }

  echo.open();  // once, to know how it is reached
  echo.close();

  EchoResults results;
  RunInfo& info = results.info;
  info.hvsim_binary = sim.binary();
  info.hvsim_root = sim.root().string();
  info.hvsim_pid = sim.pid();
  info.device_instance = instance.str();
  info.device_backing = echo.describe();
  info.relid = echo.info().relid;
  if (echo.info().monitor_id) info.monitor_id = *echo.info().monitor_id;
  if (const std::optional<std::uint32_t> l = echo.monitor_latency_100ns()) info.monitor_latency_us = *l / 10.0;
  info.monitor_latency_given = options.monitor_latency_us.has_value();
  info.ring_bytes = echo.ring_bytes();
  info.peer_pid = peer.pid();
  print_header(machine, options, info);

  const auto settle_us = static_cast<std::uint32_t>(info.monitor_latency_us.value_or(50.0));
  Measurer measurer(options, sim, echo, peer, settle_us);
  for (std::uint32_t p : options.payloads) {
    const auto start = std::chrono::steady_clock::now();
    std::fprintf(stderr, "echo_bench: measuring %u B ...", p);
    g_progress_open = true;
    results.rows.push_back(measurer.measure(p));
    std::fprintf(stderr, " %.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    g_progress_open = false;
  }

  print_results(machine, options, results);
  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path);
    out << to_json(machine, options, results).dump(2) << "\n";
    out.close();
    if (!out) throw std::runtime_error("cannot write the JSON results to " + options.json_path);
    std::printf("\nJSON written to %s\n", options.json_path.c_str());
  }
  echo.release();
  std::printf("released the echo device %s; stopping hvsim\n", instance.str().c_str());
  return 0;
}

// Claims the device; gives it back on every way out, unless hvsim is gone.
int measure(const EchoOptions& options, const bench::MachineInfo& machine, HvsimChild& sim, SocketEchoPeer& peer) {
  const vmbus::Guid instance = echo_instance(sim);
  VmbusEchoDevice echo(vmbus::SysfsRoot(sim.sysfs_root()), instance);
  try {
    return measure_device(options, machine, sim, peer, instance, echo);
  } catch (...) {
    if (!sim.running()) echo.abandon();  // else ~VmbusEchoDevice gives the device back
    throw;
  }
}

int run(const EchoOptions& options) {
  const bench::MachineInfo machine = bench::describe_machine();
  // The echo child is forked first, before hvsim and the SDK start anything.
  SocketEchoPeer peer(*std::max_element(options.payloads.begin(), options.payloads.end()));
  HvsimChild sim({.binary = options.hvsim, .monitor_latency_us = options.monitor_latency_us, .root_prefix = "vmbus-echo-bench", .config = std::nullopt});
  try {
    return measure(options, machine, sim, peer);
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    // Say what hvsim was doing; the root and the log go with `sim`.
    const std::string state = sim.running() ? "hvsim is running; the last lines of its log:\n"
                                            : "hvsim exited (" + sim.exit_text() + "); the last lines of its log:\n";
    throw std::runtime_error(std::string(e.what()) + "\n" + state + sim.log_tail());
  }
}

}  // namespace

int main(int argc, char** argv) {
  EchoOptions options;
  if (const auto exit_code = parse_options(argc, argv, options)) return *exit_code;
  install_stop_handlers();
  try {
    return run(options);
  } catch (const Interrupted& e) {
    std::fprintf(stderr, "%secho_bench: %s; the device was given back, hvsim stopped and its root removed\n",
                 g_progress_open ? "\n" : "", e.what());
    return 128 + e.signal;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%secho_bench: %s\n", g_progress_open ? "\n" : "", e.what());
    return 1;
  }
}
