// File: sim/hosts/netvsc/nic_shared.h
//
// What the NIC host shares with hvsim's control thread: its counters (shown
// by `hvsim ctl stats`) and the link state `hvsim ctl link` changes. One
// NicShared per open of a NIC device, registered by instance GUID while the
// device host lives; everything in it is an atomic, so the host service
// thread never takes a lock on the data path.
//
// Usage (host side):
//   auto shared = hvsim::netvsc::attach_nic(spec.instance, spec.nic);
//   shared->add(NicCounter::tx_frames);
//   if (auto change = shared->take_link_change(seen)) indicate(*change);
// Usage (control side):
//   if (auto nic = hvsim::netvsc::find_nic(instance)) nic->request_link(false, std::nullopt);
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>

#include "hvsim/config.h"
#include "hvsim/guid.h"

namespace hvsim::netvsc {

enum class NicCounter : std::uint8_t {
  tx_frames,           // guest -> host frames handed to the backend
  tx_bytes,
  rx_frames,           // host -> guest frames written into receive slots
  rx_bytes,
  rndis_requests,      // RNDIS control messages handled
  rndis_unsupported,   // of which answered "not supported"
  drop_malformed,      // guest messages that failed validation
  drop_short_request,  // NVSP requests under 32 bytes (ignored, as Hyper-V does)
  drop_split_header,   // GPA-direct packets whose RNDIS header spans ranges (completed with status 2)
  drop_oversize,       // frames above the MTU, or too large for a receive slot
  drop_no_slot,        // no free receive slot (or RX ring full), backlog full
  drop_filtered,       // refused by the packet filter or link down
  drop_not_ready,      // receive buffer not connected
  drop_backend,        // the backend could not take the frame
  rx_backlogged,       // frames that waited in the host's backlog for a slot
  tx_gpa_by_address,   // GPA-direct packets read (partly) by address in the guest
                       // process, not through registered memory (hvsim/guest_memory.h)
  kCount,
};
const char* counter_name(NicCounter c) noexcept;

class NicShared {
 public:
  explicit NicShared(const NicConfig& config) noexcept
      : link_up_(config.link_up), link_speed_mbps_(config.link_speed_mbps) {}

  void add(NicCounter c, std::uint64_t n = 1) noexcept {
    counters_[static_cast<std::size_t>(c)].fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t get(NicCounter c) const noexcept { return counters_[static_cast<std::size_t>(c)].load(std::memory_order_relaxed); }
  void set_slots(std::uint32_t in_use, std::uint32_t total) noexcept {
    slots_in_use_.store(in_use, std::memory_order_relaxed);
    slots_total_.store(total, std::memory_order_relaxed);
  }

  // Control thread: `hvsim ctl link DEVICE up|down|speed N`.
  void request_link(std::optional<bool> up, std::optional<std::uint64_t> speed_mbps) noexcept;
  // Host thread: the link as last requested, if it changed since `seen`.
  struct Link {
    bool up = true;
    std::uint64_t speed_mbps = 0;
  };
  std::optional<Link> take_link_change(std::uint64_t& seen) const noexcept;
  Link link() const noexcept {
    return {link_up_.load(std::memory_order_acquire), link_speed_mbps_.load(std::memory_order_acquire)};
  }

  nlohmann::json to_json() const;

 private:
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(NicCounter::kCount)> counters_{};
  std::atomic<std::uint32_t> slots_in_use_{0}, slots_total_{0};
  std::atomic<bool> link_up_;
  std::atomic<std::uint64_t> link_speed_mbps_;
  std::atomic<std::uint64_t> link_generation_{0};
};

// A fresh NicShared for a new open of the device (replaces the last one).
std::shared_ptr<NicShared> attach_nic(const Guid& instance, const NicConfig& config);
// The NIC host of an open device; nullptr when none is open.
std::shared_ptr<NicShared> find_nic(const Guid& instance);

}  // namespace hvsim::netvsc
