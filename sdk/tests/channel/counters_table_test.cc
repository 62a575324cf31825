// CountersTable: the layout another process reads, and a reader that does
// not trust what it maps.
#include "vmbus/channel/counters_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace {

struct alignas(64) Memory {
  std::byte bytes[vmbus::CountersTable::bytes_for(4)];
};

TEST(CountersTable, ASlotIsReadBackByRelidOnly) {
  Memory m{};
  auto table = vmbus::CountersTable::format(m.bytes, 4);
  ASSERT_TRUE(table);
  EXPECT_FALSE(vmbus::read_shared_counters(m.bytes, 14).has_value()) << "no slot open yet";
  vmbus::ChannelCounters& c = table.open_slot(1, 14);
  vmbus::ChannelCounters::add(c.packets_sent, 5);
  vmbus::ChannelCounters::add(c.bytes_received, 640);
  auto s = vmbus::read_shared_counters(m.bytes, 14);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->packets_sent, 5u);
  EXPECT_EQ(s->bytes_received, 640u);
  EXPECT_FALSE(vmbus::read_shared_counters(m.bytes, 13).has_value());
  EXPECT_FALSE(vmbus::read_shared_counters(m.bytes, UINT32_MAX).has_value()) << "relid + 1 wraps to an empty slot's 0";
}

TEST(CountersTable, TheWireLayoutIsFixed) {
  Memory m{};
  auto table = vmbus::CountersTable::format(m.bytes, 4);
  vmbus::ChannelCounters::add(table.open_slot(0, 2).signals_sent, 0x1122334455667788);
  std::uint32_t header[4];
  std::memcpy(header, m.bytes, sizeof header);
  EXPECT_EQ(header[0], 0x54434d56u);  // "VMCT"
  EXPECT_EQ(header[1], 1u);
  EXPECT_EQ(header[2], 4u);
  EXPECT_EQ(header[3], 192u);
  std::uint32_t relid_plus_one;
  std::memcpy(&relid_plus_one, m.bytes + 64, 4);
  EXPECT_EQ(relid_plus_one, 3u);
  std::uint64_t signals;
  std::memcpy(&signals, m.bytes + 64 + 64 + 24, 8);  // slot 0, counters at +64, signals_sent at +24
  EXPECT_EQ(signals, 0x1122334455667788u);
}

TEST(CountersTable, AMalformedTableReadsAsNothing) {
  Memory m{};
  auto table = vmbus::CountersTable::format(m.bytes, 4);
  (void)table.open_slot(3, 9);
  ASSERT_TRUE(vmbus::read_shared_counters(m.bytes, 9).has_value());
  // More slots claimed than the mapping holds: only those that fit are read.
  std::uint32_t lie = 1000000;
  std::memcpy(m.bytes + 8, &lie, 4);
  EXPECT_TRUE(vmbus::read_shared_counters(m.bytes, 9).has_value());
  EXPECT_FALSE(vmbus::read_shared_counters(std::span<const std::byte>(m.bytes).first(64 + 3 * 192), 9).has_value())
      << "slot 3 lies past a shorter mapping";
  std::uint32_t bad_size = 100;
  std::memcpy(m.bytes + 12, &bad_size, 4);
  EXPECT_FALSE(vmbus::read_shared_counters(m.bytes, 9).has_value());
  std::memset(m.bytes, 0, 4);
  EXPECT_FALSE(vmbus::read_shared_counters(m.bytes, 9).has_value());
  EXPECT_FALSE(vmbus::read_shared_counters(std::span<const std::byte>(m.bytes).first(10), 9).has_value());
}

TEST(CountersTable, TooLittleMemoryGivesNoTable) {
  Memory m{};
  EXPECT_FALSE(vmbus::CountersTable::format(std::span<std::byte>(m.bytes).first(100), 4));
  EXPECT_FALSE(vmbus::CountersTable::format(m.bytes, 0));
}

}  // namespace
