// File: tests/netvsc/nic_harness.h
//
// What every netvsc conformance test needs: hvsim running with a synthetic
// NIC configured for the test (the "nic" object and subchannel count of the
// default config's "eth0"), the driver's port opened on it from this
// process (the guest), hvsim's own view of the NIC (`hvsim ctl stats`), and
// small helpers (eventually, poll_all, close, conformance_frames). Frames
// are in flow_frames.h; sustained traffic with per-flow checks in
// flow_pump.h.
//
// Usage:
//   NicSim sim({.nic = {{"max_version", "5"}, {"mtu", 9000}}, .subchannels = 3});
//   netvsc::PortConfig config;
//   config.queues = 4;
//   netvsc::OpenedPort opened = sim.open(config);
//   nlohmann::json nic = sim.nic_counters();   // tx_frames, rx_frames, drop_*, link...
//   sim.ctl({"link", "eth0", "down"});
//   ASSERT_TRUE(eventually([&] { return !opened.port->link().up; }, [&] { poll_all(*opened.port); }));
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvsim/config.h"
#include "hvsim_process.h"
#include "netvsc/port.h"

namespace netvsc_ct {

using vmbus_it::HvsimProcess;

inline constexpr const char* kNic = "eth0";  // the default config's synthetic NIC

// The default config (what `hvsim --print-default-config` prints).
inline nlohmann::json default_config() { return hvsim::to_json(hvsim::default_config()); }

struct NicOptions {
  nlohmann::json nic = nlohmann::json::object();  // keys of NicConfig (hvsim/config.h), merged into eth0's
  std::optional<unsigned> subchannels{};          // how many the host grants (default 7)
};

// The default config with eth0's NIC settings replaced.
inline nlohmann::json nic_sim_config(const NicOptions& options) {
  nlohmann::json config = default_config();
  bool found = false;
  for (nlohmann::json& d : config.at("devices")) {
    if (!d.contains("name") || d["name"] != kNic) continue;
    found = true;
    nlohmann::json nic = d.contains("nic") ? d["nic"] : nlohmann::json::object();
    for (const auto& [k, v] : options.nic.items()) nic[k] = v;
    d["nic"] = nic;
    if (options.subchannels) d["subchannels"] = *options.subchannels;
  }
  if (!found) throw std::runtime_error("the default hvsim config has no device \"eth0\"");
  return config;
}

// hvsim with one synthetic NIC as the test wants it.
class NicSim {
 public:
  explicit NicSim(const NicOptions& options = {}) : process_({.config = nic_sim_config(options)}) {}

  HvsimProcess& process() noexcept { return process_; }
  vmbus::SysfsRoot sysfs() const { return process_.sysfs(); }
  nlohmann::json ctl(const std::vector<std::string>& args) const { return process_.ctl(args); }

  vmbus::Guid instance() const {
    auto g = vmbus::Guid::parse(process_.device(kNic).at("instance").get<std::string>());
    if (!g) throw std::runtime_error("ctl list eth0: no instance GUID");
    return *g;
  }

  // Discovers, claims (eth0 starts bound to hv_netvsc) and opens the port.
  netvsc::OpenedPort open(netvsc::PortConfig config = {}) const {
    return netvsc::open_port(process_.sysfs(), instance(), std::move(config));
  }

  // The NIC host's counters (sim/hosts/netvsc/nic_shared.h): tx_frames,
  // rx_frames, drop_*, link, link_speed_mbps, slots...; null if not open.
  nlohmann::json nic_counters() const {
    const nlohmann::json stats = process_.ctl({"stats", kNic});
    const nlohmann::json& d = stats.at("devices").at(0);
    return d.contains("nic_counters") ? d["nic_counters"] : nlohmann::json();
  }
  // The primary channel's host counters (signals, packets_in, faults_injected...).
  nlohmann::json primary_channel_counters() const {
    const nlohmann::json stats = process_.ctl({"stats", kNic});
    return stats.at("devices").at(0).at("channels").at(0).at("counters");
  }

  // The relid of the NIC's subchannel `subchannel_id`, as `hvsim ctl fault
  // --relid` takes it; empty if hvsim lists no such channel.
  std::string subchannel_relid(unsigned subchannel_id) const {
    const nlohmann::json device = process_.device(kNic);  // kept: the loop refers into it
    for (const nlohmann::json& ch : device.at("channels")) {
      if (ch.at("subchannel_id") == subchannel_id) return std::to_string(ch.at("relid").get<unsigned>());
    }
    return {};
  }

  std::string log() const { return process_.log(); }

 private:
  HvsimProcess process_;
};

// A fault kind ("corrupt-rndis-length") as a gtest parameter name
// ("corruptrndislength": letters, digits and underscores only).
inline std::string fault_test_name(std::string fault) {
  fault.erase(std::remove(fault.begin(), fault.end(), '-'), fault.end());
  return fault;
}

// Destroys what open_port returned in the right order: port, device, claim.
inline void close(netvsc::OpenedPort& opened) {
  opened.port.reset();
  opened.device.reset();
  opened.claim = {};
}

// Calls `step` until `done` is true or `timeout` passes; true if done.
inline bool eventually(const std::function<bool()>& done, const std::function<void()>& step = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (step) step();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

// One receive pass over every queue, dropping what comes (control
// indications are processed by the burst that reads them).
inline std::uint32_t poll_all(netvsc::Port& port) {
  static thread_local std::vector<std::byte> storage(16 * 9216);
  netvsc::RxPacket rx[16];
  for (std::size_t i = 0; i < 16; ++i) rx[i].buffer = std::span(storage).subspan(i * 9216, 9216);
  std::uint32_t got = 0;
  for (std::uint16_t q = 0; q < port.queue_count(); ++q) got += port.rx_burst(q, rx, 16);
  return got;
}

// Frames for a conformance run: NETVSC_CONFORMANCE_FRAMES (the ctest
// ENVIRONMENT sets a smaller count for sanitizer builds), else `fallback`.
inline std::uint64_t conformance_frames(std::uint64_t fallback = 1'000'000) {
  if (const char* v = std::getenv("NETVSC_CONFORMANCE_FRAMES")) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(v, &end, 10);
    if (end != v && *end == '\0' && n > 0) return n;
  }
  return fallback;
}

}  // namespace netvsc_ct
