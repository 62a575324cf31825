// The per-queue send-section stacks (src/section_pool.h).
#include "section_pool.h"

#include <gtest/gtest.h>

#include <set>

namespace netvsc::internal {
namespace {

TEST(SectionPool, HandsOutEachSectionOfItsSliceOnce) {
  SectionPool pool;
  pool.assign(10, 4);
  std::set<std::uint32_t> got;
  for (int i = 0; i < 4; ++i) got.insert(pool.take());
  EXPECT_EQ(got, (std::set<std::uint32_t>{10, 11, 12, 13}));
  EXPECT_EQ(pool.take(), SectionPool::kNone);
  EXPECT_EQ(pool.free_count(), 0u);
}

TEST(SectionPool, GivesBackAndReuses) {
  SectionPool pool;
  pool.assign(0, 2);
  const std::uint32_t a = pool.take();
  EXPECT_EQ(a, 0u);  // lowest first
  EXPECT_TRUE(pool.give(a));
  EXPECT_EQ(pool.take(), a);
}

TEST(SectionPool, RefusesForeignIndicesAndOverfill) {
  SectionPool pool;
  pool.assign(8, 2);
  EXPECT_FALSE(pool.give(7));
  EXPECT_FALSE(pool.give(10));
  EXPECT_FALSE(pool.give(8));  // already free: the stack is full
  EXPECT_EQ(pool.free_count(), 2u);
}

TEST(SectionPool, SlicesCoverTheBufferWithoutOverlap) {
  for (std::uint32_t sections : {0u, 1u, 7u, 170u, 2730u}) {
    for (std::uint32_t queues : {1u, 3u, 8u, 64u}) {
      std::uint32_t next = 0;
      for (std::uint32_t q = 0; q < queues; ++q) {
        SectionSlice s = section_slice(sections, queues, q);
        EXPECT_EQ(s.first, next) << sections << "/" << queues << " q" << q;
        next += s.count;
      }
      EXPECT_EQ(next, sections);
    }
  }
  EXPECT_EQ(section_slice(10, 3, 3).count, 0u);  // no such queue
}

}  // namespace
}  // namespace netvsc::internal
