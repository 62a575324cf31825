// hvsim's channel counters from `hvsim ctl stats --json`.
#include "echo/signal_cost.h"

#include <stdexcept>
#include <string>

namespace bench::echo {

HostCounters HostCounters::from_stats(const nlohmann::json& stats, std::uint32_t relid) {
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("hvsim ctl stats: " + what + " in " + stats.dump());
  };
  if (!stats.is_object() || !stats.contains("devices") || !stats["devices"].is_array() ||
      stats["devices"].size() != 1) {
    fail("not exactly one device");
  }
  const nlohmann::json& channels = stats["devices"][0].value("channels", nlohmann::json());
  if (!channels.is_array()) fail("no \"channels\" array");
  for (const nlohmann::json& channel : channels) {
    if (!channel.is_object() || channel.value("relid", std::uint64_t{0}) != relid) continue;
    const nlohmann::json& counters = channel.value("counters", nlohmann::json());
    HostCounters c;
    for (const auto& [name, member] : kFields) {
      if (!counters.contains(name) || !counters[name].is_number_unsigned()) {
        fail("channel " + std::to_string(relid) + " has no unsigned counter \"" + name + "\"");
      }
      c.*member = counters[name].get<std::uint64_t>();
    }
    return c;
  }
  fail("no channel with relid " + std::to_string(relid));
  return {};  // not reached
}

HostCounters HostCounters::operator-(const HostCounters& earlier) const noexcept {
  HostCounters d;
  for (const auto& [name, member] : kFields) d.*member = this->*member - earlier.*member;
  return d;
}

HostCounters& HostCounters::operator+=(const HostCounters& more) noexcept {
  for (const auto& [name, member] : kFields) this->*member += more.*member;
  return *this;
}

}  // namespace bench::echo
