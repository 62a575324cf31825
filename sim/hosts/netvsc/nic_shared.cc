// NicShared: counters and link requests; the registry by instance.
#include "nic_shared.h"

#include <nlohmann/json.hpp>

#include "host_registry.h"

namespace hvsim::netvsc {
namespace {

HostRegistry<NicShared>& registry() {
  static HostRegistry<NicShared> r;
  return r;
}

}  // namespace

const char* counter_name(NicCounter c) noexcept {
  switch (c) {
    case NicCounter::tx_frames: return "tx_frames";
    case NicCounter::tx_bytes: return "tx_bytes";
    case NicCounter::rx_frames: return "rx_frames";
    case NicCounter::rx_bytes: return "rx_bytes";
    case NicCounter::rndis_requests: return "rndis_requests";
    case NicCounter::rndis_unsupported: return "rndis_unsupported";
    case NicCounter::drop_malformed: return "drop_malformed";
    case NicCounter::drop_short_request: return "drop_short_request";
    case NicCounter::drop_split_header: return "drop_split_header";
    case NicCounter::drop_oversize: return "drop_oversize";
    case NicCounter::drop_no_slot: return "drop_no_slot";
    case NicCounter::drop_filtered: return "drop_filtered";
    case NicCounter::drop_not_ready: return "drop_not_ready";
    case NicCounter::drop_backend: return "drop_backend";
    case NicCounter::rx_backlogged: return "rx_backlogged";
    case NicCounter::tx_gpa_by_address: return "tx_gpa_by_address";
    case NicCounter::kCount: break;
  }
  return "?";
}

void NicShared::request_link(std::optional<bool> up, std::optional<std::uint64_t> speed_mbps) noexcept {
  if (up) link_up_.store(*up, std::memory_order_release);
  if (speed_mbps) link_speed_mbps_.store(*speed_mbps, std::memory_order_release);
  link_generation_.fetch_add(1, std::memory_order_acq_rel);
}

std::optional<NicShared::Link> NicShared::take_link_change(std::uint64_t& seen) const noexcept {
  const std::uint64_t g = link_generation_.load(std::memory_order_acquire);
  if (g == seen) return std::nullopt;
  seen = g;
  return link();
}

nlohmann::json NicShared::to_json() const {
  nlohmann::json j;
  for (std::size_t i = 0; i < static_cast<std::size_t>(NicCounter::kCount); ++i) {
    j[counter_name(static_cast<NicCounter>(i))] = counters_[i].load(std::memory_order_relaxed);
  }
  j["slots_in_use"] = slots_in_use_.load(std::memory_order_relaxed);
  j["slots"] = slots_total_.load(std::memory_order_relaxed);
  const Link l = link();
  j["link"] = l.up ? "up" : "down";
  j["link_speed_mbps"] = l.speed_mbps;
  return j;
}

std::shared_ptr<NicShared> attach_nic(const Guid& instance, const NicConfig& config) {
  auto shared = std::make_shared<NicShared>(config);
  registry().attach(instance, shared);
  return shared;
}

std::shared_ptr<NicShared> find_nic(const Guid& instance) {
  return registry().find(instance);
}

}  // namespace hvsim::netvsc
