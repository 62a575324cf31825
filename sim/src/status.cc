// JSON for device and channel status (ctl list/stats).
#include "hvsim/status.h"

#include <nlohmann/json.hpp>

namespace hvsim {

nlohmann::json to_json(const ChannelStatus& c) {
  nlohmann::json j;
  j["relid"] = c.spec.relid;
  j["subchannel_id"] = c.spec.subchannel_id;
  j["monitor_id"] = c.spec.monitor_id ? nlohmann::json(*c.spec.monitor_id) : nlohmann::json(nullptr);
  j["cpu"] = c.spec.cpu;
  j["state"] = std::string(state_name(c.state));
  nlohmann::json counters = nlohmann::json::object();
  for (Counter k : all_counters()) counters[std::string(counter_name(k))] = c.counters[k];
  j["counters"] = std::move(counters);
  return j;
}

nlohmann::json to_json(const DeviceStatus& d) {
  nlohmann::json j = to_json(d.spec);
  j["driver"] = d.driver.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.driver);
  j["driver_override"] = d.driver_override.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.driver_override);
  j["state"] = d.channel_state;
  j["uio"] = d.uio ? nlohmann::json("uio" + std::to_string(*d.uio)) : nlohmann::json(nullptr);
  j["client_pid"] = d.client_pid ? nlohmann::json(*d.client_pid) : nlohmann::json(nullptr);
  j["channels"] = nlohmann::json::array();
  for (const ChannelStatus& c : d.channels) j["channels"].push_back(to_json(c));
  return j;
}

}  // namespace hvsim
