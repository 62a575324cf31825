// Send descriptors and completion matching (src/tx_tracker.h).
#include "tx_tracker.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace netvsc::internal {
namespace {

TEST(TxTracker, TransIdRoundTripsAndCompletesOnce) {
  TxTracker t;
  t.init(3, 4);
  const std::uint32_t s = t.acquire();
  ASSERT_NE(s, TxTracker::kNoSlot);
  t.slot(s).section = 17;
  t.publish(s);
  auto d = TxTracker::decode(t.trans_id(s));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->queue, 3u);
  EXPECT_EQ(d->slot, s);
  EXPECT_TRUE(t.complete(d->generation, d->slot, true));
  EXPECT_FALSE(t.complete(d->generation, d->slot, true)) << "a duplicate completion is refused";
  bool ok = false;
  const TxSlot* done = t.oldest_done(&ok);
  ASSERT_NE(done, nullptr);
  EXPECT_TRUE(ok);
  EXPECT_EQ(done->section, 17u);
  t.retire();
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(TxTracker, SlotEqualToTheCountIsOutOfRange) {
  // DPDK's hn_nvs_handle_rxbuf checks `xactid > rxbuf_section_cnt` and so
  // lets xactid == count index one past its array; here it is refused.
  TxTracker t;
  t.init(0, 4);
  for (int i = 0; i < 4; ++i) t.publish(t.acquire());
  EXPECT_FALSE(t.complete(1, 4, true));
  EXPECT_FALSE(t.complete(1, 0xffffffffu, true));
  EXPECT_TRUE(t.complete(1, 3, true));
}

TEST(TxTracker, StaleGenerationAndUnpublishedSlotsAreRefused) {
  TxTracker t;
  t.init(0, 1);
  std::uint32_t s = t.acquire();
  const auto first = *TxTracker::decode(t.trans_id(s));
  EXPECT_FALSE(t.complete(first.generation, s, true)) << "not published yet";
  t.publish(s);
  ASSERT_TRUE(t.complete(first.generation, s, true));
  t.retire();
  s = t.acquire();
  t.publish(s);
  EXPECT_FALSE(t.complete(first.generation, s, true)) << "a late completion of the slot's previous use";
  EXPECT_EQ(t.oldest_done(nullptr), nullptr);
}

TEST(TxTracker, ReservedBitsAndControlIdsDoNotDecode) {
  EXPECT_FALSE(TxTracker::decode(kControlTransIdBit | 5));
  EXPECT_FALSE(TxTracker::decode(1ull << 56));
  EXPECT_TRUE(TxTracker::decode(0x00ff'ffff'ffff'ffffull));
}

TEST(TxTracker, RetiresInOrderAndFullMeansNoSlot) {
  TxTracker t;
  t.init(0, 2);
  const std::uint32_t a = t.acquire();
  const std::uint32_t b = t.acquire();
  t.publish(a);
  t.publish(b);
  EXPECT_EQ(t.acquire(), TxTracker::kNoSlot);
  ASSERT_TRUE(t.complete(TxTracker::decode(t.trans_id(b))->generation, b, false));
  EXPECT_EQ(t.oldest_done(nullptr), nullptr) << "b is done but a is older";
  ASSERT_TRUE(t.complete(TxTracker::decode(t.trans_id(a))->generation, a, true));
  bool ok = false;
  ASSERT_NE(t.oldest_done(&ok), nullptr);
  EXPECT_TRUE(ok);
  t.retire();
  ASSERT_NE(t.oldest_done(&ok), nullptr);
  EXPECT_FALSE(ok);
  t.retire();
  EXPECT_NE(t.acquire(), TxTracker::kNoSlot);
}

// A send the host never completes (hvsim corrupt-completion-id) stays in
// flight, but the sends behind it retire, and its slot is never reused.
TEST(TxTracker, ASendNeverCompletedDoesNotHoldUpTheOthers) {
  TxTracker t;
  t.init(0, 4);
  auto complete = [&](std::uint32_t s) {
    return t.complete(TxTracker::decode(t.trans_id(s))->generation, s, true);
  };
  const std::uint32_t lost = t.acquire();
  t.publish(lost);
  EXPECT_FALSE(t.skip_stuck(8)) << "nothing behind it";
  for (int round = 0; round < 10; ++round) {
    std::uint32_t sent[3];
    for (std::uint32_t& s : sent) {
      s = t.acquire();
      ASSERT_NE(s, TxTracker::kNoSlot) << "round " << round;
      ASSERT_NE(s, lost);
      t.publish(s);
    }
    EXPECT_EQ(t.acquire(), TxTracker::kNoSlot);
    EXPECT_EQ(t.oldest_done(nullptr), nullptr);
    EXPECT_FALSE(t.skip_stuck(8)) << "none of them is done yet";
    ASSERT_TRUE(complete(sent[1]));
    EXPECT_FALSE(t.skip_stuck(0));
    ASSERT_TRUE(t.skip_stuck(8));
    // The oldest in flight (the lost one, then sent[0]) went behind sent[1].
    ASSERT_NE(t.oldest_done(nullptr), nullptr);
    t.retire();
    ASSERT_TRUE(complete(sent[0]));
    ASSERT_TRUE(complete(sent[2]));
    while (t.oldest_done(nullptr) != nullptr || t.skip_stuck(8)) {
      if (t.oldest_done(nullptr) != nullptr) t.retire();
    }
    EXPECT_EQ(t.in_flight(), 1u) << "only the lost send";
  }
}

// Completions from another queue's thread while the owner sends and retires
// (run under TSan in the tsan preset).
TEST(TxTracker, CompletionsFromAnotherThread) {
  TxTracker t;
  t.init(1, 64);
  std::atomic<std::uint64_t> published_id{~0ull};
  std::atomic<bool> stop{false};
  std::atomic<int> completed{0};
  std::thread completer([&] {
    std::uint64_t last = ~0ull;
    while (!stop.load()) {
      const std::uint64_t id = published_id.load(std::memory_order_acquire);
      if (id == last || id == ~0ull) continue;
      last = id;
      auto d = TxTracker::decode(id);
      if (t.complete(d->generation, d->slot, true)) completed.fetch_add(1);
    }
  });
  int retired = 0;
  std::vector<std::uint64_t> ids(64);
  std::uint32_t oldest = 0;
  for (int i = 0; i < 20000; ++i) {
    std::uint32_t s;
    while ((s = t.acquire()) == TxTracker::kNoSlot) {
      // The completer skips ids it did not see in time: complete the oldest
      // here (racing it: exactly one of the two wins).
      auto d = TxTracker::decode(ids[oldest % 64]);
      if (t.complete(d->generation, d->slot, true)) completed.fetch_add(1);
      while (t.oldest_done(nullptr)) t.retire(), ++retired, ++oldest;
    }
    ids[s] = t.trans_id(s);
    t.publish(s);
    published_id.store(t.trans_id(s), std::memory_order_release);
    while (t.oldest_done(nullptr)) t.retire(), ++retired, ++oldest;
  }
  stop = true;
  completer.join();
  while (t.in_flight() != 0) {
    auto d = TxTracker::decode(ids[oldest % 64]);
    if (t.complete(d->generation, d->slot, true)) completed.fetch_add(1);
    while (t.oldest_done(nullptr)) t.retire(), ++retired, ++oldest;
  }
  EXPECT_EQ(retired, completed.load());
}

}  // namespace
}  // namespace netvsc::internal
