// File: vmbus/hv_monitor_page.h
//
// The two pages a guest uses to signal the host without a hypercall, and the
// helpers that set and take their bits. Guest and host (hvsim) both use them.
//   - int_page (uio map 1): its second half (+2048) is the guest->host event
//     bitmap, one bit per relid (vmbus_setevent: sync_set_bit(relid,
//     vmbus_connection.send_int_page)).
//   - monitor_page (uio map 2, monitor_pages[1]): struct hv_monitor_page
//     (include/linux/hyperv.h); a monitored channel sets bit monitor_id % 32
//     in trigger_group[monitor_id / 32].pending, and the host scans it at the
//     latency in latency[group][bit] (100 ns units).
// A monitored channel's guest sets both (DPDK vmbus_set_event, <= 20.08 and
// the kernel's vmbus_setevent); the host takes them with atomic exchange.
//
// Usage (guest):
//   vmbus::signal_int_page(int_page_base, relid);          // map 1 base
//   vmbus::signal_monitor(monitor_page_base, monitor_id);  // map 2 base
// Usage (host):
//   if (vmbus::take_int_page_bit(int_page_base, relid)) drain(relid);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace vmbus {

// struct hv_monitor_trigger_group.
struct [[gnu::packed]] HvMonitorTriggerGroup {
  std::uint32_t pending;
  std::uint32_t armed;
};
static_assert(sizeof(HvMonitorTriggerGroup) == 8);

// struct hv_monitor_parameter.
struct [[gnu::packed]] HvMonitorParameter {
  std::uint32_t connection_id;
  std::uint16_t flag_number;
  std::uint16_t rsvd;
};
static_assert(sizeof(HvMonitorParameter) == 8);

// struct hv_monitor_page.
struct [[gnu::packed]] HvMonitorPage {
  std::uint32_t trigger_state;
  std::uint32_t rsvdz1;
  HvMonitorTriggerGroup trigger_group[4];
  std::uint64_t rsvdz2[3];
  std::int32_t next_checktime[4][32];
  std::uint16_t latency[4][32];  // 100 ns units
  std::uint64_t rsvdz3[32];
  HvMonitorParameter parameter[4][32];
  std::uint8_t rsvdz4[1984];
};
static_assert(offsetof(HvMonitorPage, trigger_state) == 0x000);
static_assert(offsetof(HvMonitorPage, trigger_group) == 0x008);
static_assert(offsetof(HvMonitorPage, rsvdz2) == 0x028);
static_assert(offsetof(HvMonitorPage, next_checktime) == 0x040);
static_assert(offsetof(HvMonitorPage, latency) == 0x240);
static_assert(offsetof(HvMonitorPage, rsvdz3) == 0x340);
static_assert(offsetof(HvMonitorPage, parameter) == 0x440);
static_assert(offsetof(HvMonitorPage, rsvdz4) == 0x840);
static_assert(sizeof(HvMonitorPage) == 4096);

// The guest->host event bitmap is the int page's second half.
inline constexpr std::size_t kIntPageSendOffset = 2048;
// Relids that fit the 2048-byte bitmap; anything larger is refused.
inline constexpr std::uint32_t kMaxSignalRelid = 2048 * 8 - 1;
// monitor ids: 4 trigger groups of 32 (the host has at most 128).
inline constexpr std::uint32_t kMaxMonitorId = 127;

namespace monitor_detail {
inline std::atomic_ref<std::uint32_t> word(std::byte* base, std::size_t offset) noexcept {
  return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(base + offset));
}
inline std::size_t int_page_word(std::uint32_t relid) noexcept { return kIntPageSendOffset + 4 * std::size_t{relid / 32}; }
inline std::size_t monitor_word(std::uint32_t monitor_id) noexcept {
  return offsetof(HvMonitorPage, trigger_group) + sizeof(HvMonitorTriggerGroup) * std::size_t{monitor_id / 32};
}
}  // namespace monitor_detail

// Guest side: sets the relid's bit in the int page's send half. The caller
// has checked relid <= kMaxSignalRelid. seq_cst: the ring index store that
// precedes it must be visible to a host that sees the bit.
inline void signal_int_page(std::byte* int_page, std::uint32_t relid) noexcept {
  monitor_detail::word(int_page, monitor_detail::int_page_word(relid)).fetch_or(1u << (relid % 32));
}

// Guest side: sets the monitor id's pending bit. monitor_id <= kMaxMonitorId.
inline void signal_monitor(std::byte* monitor_page, std::uint32_t monitor_id) noexcept {
  monitor_detail::word(monitor_page, monitor_detail::monitor_word(monitor_id)).fetch_or(1u << (monitor_id % 32));
}

// Host side: clears and returns the relid's bit.
inline bool take_int_page_bit(std::byte* int_page, std::uint32_t relid) noexcept {
  const std::uint32_t bit = 1u << (relid % 32);
  return (monitor_detail::word(int_page, monitor_detail::int_page_word(relid)).fetch_and(~bit) & bit) != 0;
}

// Host side: clears and returns the monitor id's pending bit.
inline bool take_monitor_bit(std::byte* monitor_page, std::uint32_t monitor_id) noexcept {
  const std::uint32_t bit = 1u << (monitor_id % 32);
  return (monitor_detail::word(monitor_page, monitor_detail::monitor_word(monitor_id)).fetch_and(~bit) & bit) != 0;
}

}  // namespace vmbus
