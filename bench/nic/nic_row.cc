// Running one nic_bench row against a fresh hvsim.
#include "nic/nic_row.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/host_load.h"
#include "common/hvsim_child.h"
#include "common/stop_signal.h"
#include "hvsim/config.h"
#include "netvsc/port.h"
#include "nic/nic_traffic.h"

namespace bench::nic {
namespace {

using Clock = std::chrono::steady_clock;

// hvsim's default VM with eth0's backend set for `mode`, written to a file.
std::filesystem::path write_config(Mode mode, std::uint32_t frame_size) {
  nlohmann::json config = hvsim::to_json(hvsim::default_config());
  bool found = false;
  for (auto& d : config["devices"]) {
    if (d.value("name", "") != "eth0") continue;
    found = true;
    nlohmann::json& nic = d["nic"];
    nic["backend"] = mode == Mode::tx ? "sink" : mode == Mode::rx ? "source" : "loopback";
    if (mode == Mode::rx) {
      nic["source_frame_size"] = frame_size;
      nic["source_rate_pps"] = 10'000'000;  // hvsim's maximum: more than the guest takes
    }
  }
  if (!found) throw std::runtime_error("hvsim's default config has no eth0");
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("nic-bench-" + std::to_string(::getpid()) + ".json");
  std::ofstream out(path);
  out << config.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return path;
}

double cpu_per_second(std::uint64_t ticks, double seconds) {
  return seconds > 0 ? static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK)) / seconds : 0;
}

}  // namespace

RowResult run_row(const NicOptions& options, Mode mode, std::uint32_t frame_size, std::uint16_t queues) {
  RowResult r;
  r.mode = mode;
  r.frame_size = frame_size;
  r.queues_asked = queues;
  const std::filesystem::path config = write_config(mode, frame_size);
  HvsimChild sim({.binary = options.hvsim, .monitor_latency_us = std::nullopt, .root_prefix = "vmbus-nic-bench", .config = config});
  std::filesystem::remove(config);

  const auto eth0 = sim.ctl({"list"});
  std::string instance;
  for (const auto& d : eth0["devices"]) {
    if (d.value("name", "") == "eth0") instance = d.at("instance").get<std::string>();
  }
  const auto guid = vmbus::Guid::parse(instance);
  if (!guid) throw std::runtime_error("hvsim lists no eth0 with an instance GUID");
  netvsc::PortConfig port_config;
  port_config.queues = queues;
  netvsc::OpenedPort opened = netvsc::open_port(vmbus::SysfsRoot(sim.sysfs_root()), *guid, port_config);
  r.queues = opened.port->queue_count();

  QueueTraffic traffic(opened, mode, frame_size, options.burst, {.one_thread = options.one_thread, .cpu = options.cpu});
  traffic.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(options.warmup_ms));

  auto count = [&] { return mode == Mode::tx ? traffic.sent() : traffic.received(); };
  std::vector<double> mpps, gbps;
  const LoadSnapshot load_before = LoadSnapshot::take();
  const auto hvsim_before = process_cpu_ticks(sim.pid());
  const auto start = Clock::now();
  for (std::uint32_t i = 0; i < options.repetitions; ++i) {
    throw_if_stopped();
    const std::uint64_t n0 = count();
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(options.duration_ms));
    const std::uint64_t n1 = count();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    mpps.push_back(static_cast<double>(n1 - n0) / s / 1e6);
    gbps.push_back(static_cast<double>(n1 - n0) * frame_size * 8 / s / 1e9);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const LoadSnapshot load_after = LoadSnapshot::take();
  const auto hvsim_after = process_cpu_ticks(sim.pid());
  traffic.stop();

  r.mpps = summarize(std::move(mpps));
  r.gbps = summarize(std::move(gbps));
  r.guest_cpu = cpu_per_second(load_after.self - load_before.self, seconds);
  if (hvsim_before && hvsim_after) r.hvsim_cpu = cpu_per_second(*hvsim_after - *hvsim_before, seconds);
  // foreign_cpu_share leaves out only this process: take hvsim out too.
  const double share = foreign_cpu_share(load_before, load_after);
  const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (share >= 0 && cores > 0) {
    r.foreign_load = std::max(0.0, share - r.hvsim_cpu / static_cast<double>(cores));
  }

  const netvsc::PortStats s = opened.port->stats();
  r.tx_packets = s.total.tx_packets;
  r.rx_packets = s.total.rx_packets;
  r.signals = s.total.signals;
  r.tx_ring_full = s.total.tx_ring_full;
  r.tx_no_resources = s.total.tx_no_resources;
  r.tx_gpa_direct = s.total.tx_gpa_direct;
  r.malformed = s.total.malformed_total();
  // The host's counters exist while the NIC is open: read them before closing.
  const auto stats = sim.ctl({"stats", "eth0"});
  for (const auto& d : stats["devices"]) {
    if (!d.contains("nic_counters")) continue;
    r.host_counters = d["nic_counters"];
    for (const auto& [k, v] : r.host_counters.items()) {
      if (k.rfind("drop_", 0) == 0 && v.is_number_unsigned()) r.host_drops += v.get<std::uint64_t>();
    }
  }
  return r;
}

}  // namespace bench::nic
