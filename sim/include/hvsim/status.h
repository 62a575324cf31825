// File: hvsim/status.h
//
// A snapshot of what hvsim offers, as `hvsim ctl list` / `stats` and the
// Simulator API report it: each device's spec, binding, uio node, open client,
// and per channel its state and counters.
//
// Usage:
//   for (const hvsim::DeviceStatus& d : sim.devices())
//     if (d.uio) std::cout << d.spec.name << " is uio" << *d.uio << "\n";
//   nlohmann::json j = hvsim::to_json(d);
#pragma once

#include <sys/types.h>

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hvsim/config.h"
#include "hvsim/counters.h"
#include "hvsim/host_channel.h"

namespace hvsim {

struct ChannelStatus {
  ChannelSpec spec;
  ChannelState state = ChannelState::closed;
  CountersSnapshot counters;
};

struct DeviceStatus {
  DeviceSpec spec;
  std::string driver;            // bound driver, "" if none
  std::string driver_override;   // "" if none ("(null)" in sysfs)
  int channel_state = 0;         // sysfs `state`: enum vmbus_channel_state (0 offered, 2 closed, 3 opened)
  std::optional<unsigned> uio;   // N of uioN when bound to uio_hv_generic
  std::optional<pid_t> client_pid;  // the process that has the endpoint open
  std::vector<ChannelStatus> channels;  // primary first
};

nlohmann::json to_json(const ChannelStatus& channel);
nlohmann::json to_json(const DeviceStatus& device);

}  // namespace hvsim
