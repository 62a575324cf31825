// File: vmbus/channel/counters_table.h
//
// A device's per-channel counters (vmbus/channel/channel_counters.h) laid out
// in memory another process can map: the SDK places them in a sealed memfd
// and offers it to its endpoint (ShareCounters, vmbus/backing/endpoint_protocol.h),
// so vmbusd shows a leased driver's counters in GetChannel while the data
// path runs, without asking the driver anything.
//
// Layout (little-endian, 64-byte aligned):
//   +0    CountersTableHeader (64 B): magic "VMCT", version 1, slot_count,
//         slot_size (192)
//   +64   slot 0, slot 1, ... (CountersSlot, 192 B each): slot i holds the
//         device's i-th opened channel (0 is the primary)
// A slot's `relid_plus_one` is 0 until its channel is open; the writer
// stores it with release order after the counters are zero, so a reader
// that loads it with acquire order and finds relid + 1 reads that channel.
//
// The reader treats the memory as untrusted (the driver may be buggy or
// hostile): it checks the header against the mapping's size and never
// follows anything but offsets it computed.
//
// Usage (writer: the SDK's Device does this):
//   vmbus::CountersTable table = vmbus::CountersTable::format(memory, vmbus::kMaxChannels);
//   ChannelConfig config{.relid = relid, .counters = &table.open_slot(index, relid)};
// Usage (reader: a control plane holding a read-only mapping):
//   std::optional<vmbus::ChannelCountersSnapshot> s = vmbus::read_shared_counters(bytes, relid);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "vmbus/channel/channel_counters.h"

namespace vmbus {

inline constexpr std::uint32_t kCountersTableMagic = 0x54434d56;  // "VMCT" in memory order
inline constexpr std::uint32_t kCountersTableVersion = 1;

struct CountersTableHeader {
  std::uint32_t magic;       // kCountersTableMagic
  std::uint32_t version;     // kCountersTableVersion
  std::uint32_t slot_count;  // slots after the header
  std::uint32_t slot_size;   // sizeof(CountersSlot)
  std::uint32_t reserved[12];
};
static_assert(offsetof(CountersTableHeader, magic) == 0);
static_assert(offsetof(CountersTableHeader, version) == 4);
static_assert(offsetof(CountersTableHeader, slot_count) == 8);
static_assert(offsetof(CountersTableHeader, slot_size) == 12);
static_assert(sizeof(CountersTableHeader) == 64);

struct alignas(64) CountersSlot {
  std::atomic<std::uint32_t> relid_plus_one{0};  // 0: no channel in this slot yet
  std::uint32_t reserved[15]{};
  ChannelCounters counters;
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(offsetof(CountersSlot, counters) == 64);
static_assert(sizeof(CountersSlot) == 192);
// The snapshot order is the wire order: a reader in another build reads the
// same offsets.
static_assert(offsetof(ChannelCounters, packets_sent) == 0);
static_assert(offsetof(ChannelCounters, bytes_sent) == 8);
static_assert(offsetof(ChannelCounters, ring_full_events) == 16);
static_assert(offsetof(ChannelCounters, signals_sent) == 24);
static_assert(offsetof(ChannelCounters, packets_received) == 64);
static_assert(offsetof(ChannelCounters, bytes_received) == 72);
static_assert(offsetof(ChannelCounters, corrupt_packets) == 80);
static_assert(offsetof(ChannelCounters, interrupts_seen) == 88);

class CountersTable {
 public:
  static constexpr std::size_t bytes_for(std::uint32_t slots) noexcept {
    return sizeof(CountersTableHeader) + std::size_t{slots} * sizeof(CountersSlot);
  }

  CountersTable() = default;
  // Writes the header and empty slots into `memory` (64-byte aligned, at
  // least bytes_for(slots)); an empty table if it is too small.
  static CountersTable format(std::span<std::byte> memory, std::uint32_t slots) noexcept;

  explicit operator bool() const noexcept { return slots_ != nullptr; }
  std::uint32_t slot_count() const noexcept { return slot_count_; }
  // Slot `index` for channel `relid`: zeroes its counters, then publishes
  // the relid. The caller keeps one channel per slot. index < slot_count().
  ChannelCounters& open_slot(std::uint32_t index, std::uint32_t relid) noexcept;

 private:
  CountersSlot* slots_ = nullptr;
  std::uint32_t slot_count_ = 0;
};

// The counters of channel `relid` in a table another process wrote, or
// nullopt if the table is malformed (bad magic, version or slot size, more
// slots than `table` holds) or has no open slot for that relid.
std::optional<ChannelCountersSnapshot> read_shared_counters(std::span<const std::byte> table,
                                                            std::uint32_t relid) noexcept;

}  // namespace vmbus
