// Atomic access to the monitor page fields hvsim reads and writes besides the
// trigger bits (vmbus/hv_monitor_page.h has those): latency[][], pending,
// parameter[][].connection_id. The struct is packed, so fields are reached by
// offset rather than by reference; all of them are naturally aligned.
//
// Usage:
//   std::uint16_t l = hvsim::monitor::latency(page, id).load(std::memory_order_relaxed);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "vmbus/hv_monitor_page.h"

namespace hvsim::monitor {

template <typename T>
std::atomic_ref<T> field(std::byte* page, std::size_t offset) noexcept {
  return std::atomic_ref<T>(*reinterpret_cast<T*>(page + offset));
}

// latency[id / 32][id % 32], 100 ns units.
inline std::atomic_ref<std::uint16_t> latency(std::byte* page, std::uint8_t id) noexcept {
  return field<std::uint16_t>(page, offsetof(vmbus::HvMonitorPage, latency) + 2 * std::size_t{id});
}

// trigger_group[id / 32].pending: the whole group's word, as sysfs shows it.
inline std::atomic_ref<std::uint32_t> pending(std::byte* page, std::uint8_t id) noexcept {
  return field<std::uint32_t>(page, offsetof(vmbus::HvMonitorPage, trigger_group) + sizeof(vmbus::HvMonitorTriggerGroup) * (id / 32u));
}

// parameter[id / 32][id % 32].connection_id.
inline std::atomic_ref<std::uint32_t> connection_id(std::byte* page, std::uint8_t id) noexcept {
  return field<std::uint32_t>(page, offsetof(vmbus::HvMonitorPage, parameter) + sizeof(vmbus::HvMonitorParameter) * std::size_t{id});
}

}  // namespace hvsim::monitor
