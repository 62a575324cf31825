// File: src/section_pool.h
//
// The send-buffer sections one queue may use. The send buffer's sections
// are split between the queues once, at open (queue i gets a contiguous
// slice), and each slice is a stack of free indices owned by its queue's
// thread: taking and giving back are a load and a store, with no lock and
// no atomic read-modify-write.
//
// Why partitioned rather than one shared bitmap: DPDK shares one bitmap
// behind a spinlock (hn_chim_alloc), which every TX queue contends on. Here a
// section is only ever freed by the queue that took it: its send's
// completion returns on the same channel (the hash-value PPI carries the
// queue id, DPDK hn_encap), and even a completion the host routes elsewhere
// only marks the descriptor done; the owner frees the section when it
// reclaims (tx_tracker.h). A busy queue cannot borrow an idle queue's
// sections; with Hyper-V's 6144-byte sections a 16 MiB buffer still gives
// each of 8 queues 341 sections, more than a ring's worth of sends.
//
// Usage:
//   SectionPool pool;
//   pool.assign(first, count);               // set-up: allocates the stack
//   if (auto s = pool.take()) use(*s);       // data path
//   pool.give(index);
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace netvsc::internal {

class SectionPool {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  // Sections [first, first + count) become free. Allocates: set-up only.
  void assign(std::uint32_t first, std::uint32_t count);

  // A free section, or kNone.
  std::uint32_t take() noexcept {
    if (top_ == 0) return kNone;
    return free_[--top_];
  }
  // Returns a section taken from this pool. False (and nothing changes) for
  // an index outside the slice or a pool already full: a driver bug, never
  // the host's doing, but refused rather than corrupting the stack.
  bool give(std::uint32_t index) noexcept;

  std::uint32_t first() const noexcept { return first_; }
  std::uint32_t count() const noexcept { return count_; }
  std::uint32_t free_count() const noexcept { return top_; }

 private:
  std::vector<std::uint32_t> free_;
  std::uint32_t top_ = 0;
  std::uint32_t first_ = 0;
  std::uint32_t count_ = 0;
};

// Queue `queue`'s slice of `sections` split between `queues`: the first
// (sections % queues) queues get one more.
struct SectionSlice {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};
SectionSlice section_slice(std::uint32_t sections, std::uint32_t queues, std::uint32_t queue) noexcept;

}  // namespace netvsc::internal
