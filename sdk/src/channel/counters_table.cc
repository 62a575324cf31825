// CountersTable: channel counters in memory another process maps
// (vmbus/channel/counters_table.h).
#include "vmbus/channel/counters_table.h"

#include <cstring>
#include <new>

namespace vmbus {

CountersTable CountersTable::format(std::span<std::byte> memory, std::uint32_t slots) noexcept {
  CountersTable table;
  if (slots == 0 || memory.size() < bytes_for(slots) ||
      reinterpret_cast<std::uintptr_t>(memory.data()) % alignof(CountersSlot) != 0) {
    return table;
  }
  std::memset(memory.data(), 0, bytes_for(slots));
  auto* header = new (memory.data()) CountersTableHeader{};
  header->magic = kCountersTableMagic;
  header->version = kCountersTableVersion;
  header->slot_count = slots;
  header->slot_size = sizeof(CountersSlot);
  auto* first = reinterpret_cast<CountersSlot*>(memory.data() + sizeof(CountersTableHeader));
  for (std::uint32_t i = 0; i < slots; ++i) new (first + i) CountersSlot{};
  table.slots_ = first;
  table.slot_count_ = slots;
  return table;
}

ChannelCounters& CountersTable::open_slot(std::uint32_t index, std::uint32_t relid) noexcept {
  CountersSlot& slot = slots_[index];
  slot.relid_plus_one.store(0, std::memory_order_relaxed);
  ChannelCounters& c = slot.counters;
  for (ChannelCounters::Counter* counter : {&c.packets_sent, &c.bytes_sent, &c.ring_full_events, &c.signals_sent,
                                            &c.packets_received, &c.bytes_received, &c.corrupt_packets,
                                            &c.interrupts_seen}) {
    counter->store(0, std::memory_order_relaxed);
  }
  slot.relid_plus_one.store(relid + 1, std::memory_order_release);
  return c;
}

std::optional<ChannelCountersSnapshot> read_shared_counters(std::span<const std::byte> table,
                                                            std::uint32_t relid) noexcept {
  if (relid == UINT32_MAX) return std::nullopt;  // relid + 1 would be an empty slot's 0
  if (table.size() < sizeof(CountersTableHeader) ||
      reinterpret_cast<std::uintptr_t>(table.data()) % alignof(CountersSlot) != 0) {
    return std::nullopt;
  }
  // The header is read once into a local: the writer may change it under us.
  CountersTableHeader header;
  std::memcpy(&header, table.data(), sizeof header);
  if (header.magic != kCountersTableMagic || header.version != kCountersTableVersion ||
      header.slot_size != sizeof(CountersSlot)) {
    return std::nullopt;
  }
  const std::size_t fit = (table.size() - sizeof header) / sizeof(CountersSlot);
  const std::size_t slots = header.slot_count < fit ? header.slot_count : fit;
  const auto* first = reinterpret_cast<const CountersSlot*>(table.data() + sizeof header);
  for (std::size_t i = 0; i < slots; ++i) {
    if (first[i].relid_plus_one.load(std::memory_order_acquire) == relid + 1) return first[i].counters.snapshot();
  }
  return std::nullopt;
}

}  // namespace vmbus
