// File: src/tx_tracker.h
//
// The sends one queue has in flight, and how a host completion finds its
// send. Each send (one GPA-direct frame, or one send-buffer section holding
// one or more frames) takes a descriptor slot; its VMBus trans_id names the
// slot:
//
//   bit 63 0 (control requests use 1) | bits 56-62 0 | bits 48-55 queue |
//   bits 32-47 generation | bits 0-31 slot
//
// The host echoes the trans_id in its completion ({108, status}), and a
// completion is believed only if: the reserved bits are zero, the queue
// exists, slot < the number of slots, and that slot is in flight with that
// generation. Anything else is counted (Malformed::completion_trans_id) and
// ignored, so a duplicate, late or invented completion can never free a
// section twice or return a cookie early.
//
// DPDK's off-by-one, not repeated here: hn_nvs_handle_rxbuf indexes
// rxq->rxbuf_info (rte_calloc'd with hv->rxbuf_section_cnt entries) with the
// host's xactid after checking `xactid > hv->rxbuf_section_cnt`, which lets
// xactid == rxbuf_section_cnt through, one entry past the array. Every index
// check here is `slot < slot_count`.
//
// Completions are retired oldest first, but a send the host never
// completes (its completion was lost, or carried a trans_id that names no
// send: Malformed::completion_trans_id) must not hold up the sends behind
// it: skip_stuck() moves a not-yet-completed oldest send behind the others
// when a later one is done, so those retire. The lost send keeps its slot
// (and its section) for good, in in_flight(), as Linux keeps the request id
// netvsc_send_completion reports as "Invalid transaction ID" and DPDK the
// hn_txdesc; every other send goes on.
//
// Threads: the owning queue's thread takes slots (free ones in the order
// they were freed) and reclaims them (in send order, but for skips). Completing may happen on any queue's
// thread (the host may route a completion to another channel): it is one
// compare-exchange on the slot's state word, which also carries the
// generation, so a completion racing a reuse of the slot cannot match.
//
// Usage:
//   TxTracker t; t.init(queue, 512);
//   std::uint32_t slot = t.acquire();           // kNoSlot: all in flight
//   t.slot(slot).section = s; send(..., t.trans_id(slot));
//   t.publish(slot);                            // after the write succeeded
//   // completion: TxTracker::decode(id) -> (queue, gen, slot); queues[q].complete(gen, slot, ok)
//   while (auto* done = t.oldest_done()) { release(*done); t.retire(); }
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

namespace netvsc::internal {

inline constexpr std::uint64_t kControlTransIdBit = 1ull << 63;

struct TxSlot {
  // Written by the owner before publish(), read by it at retire.
  std::uint32_t section = 0xffffffffu;  // SectionPool::kNone for GPA direct
  std::uint32_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t cookie = 0;
  bool has_cookie = false;
};

struct DecodedTransId {
  std::uint32_t queue;
  std::uint16_t generation;
  std::uint32_t slot;
};

class TxTracker {
 public:
  static constexpr std::uint32_t kNoSlot = 0xffffffffu;
  static constexpr std::uint32_t kMaxSlots = 1u << 16;

  // `slots` in [1, kMaxSlots]. Allocates: set-up only.
  void init(std::uint32_t queue, std::uint32_t slots);

  // The next slot in ring order, or kNoSlot if it is still in flight.
  std::uint32_t acquire() noexcept;
  TxSlot& slot(std::uint32_t i) noexcept { return slots_[i]; }
  std::uint64_t trans_id(std::uint32_t i) const noexcept;
  // The send went on the ring: the slot is in flight.
  void publish(std::uint32_t i) noexcept;
  // The send could not be written: give the slot back (it must be the one
  // acquire() just returned).
  void unacquire(std::uint32_t i) noexcept;

  // Any thread: the host completed (generation, slot). False if that is not
  // a send in flight (see the file comment).
  bool complete(std::uint16_t generation, std::uint32_t slot, bool ok) noexcept;

  // Owner: the oldest send, if the host completed it; then retire() it.
  const TxSlot* oldest_done(bool* ok) const noexcept;
  void retire() noexcept;
  // Owner: if the oldest send is not done but one of the `look_ahead` sends
  // after it is, moves the sends before that one behind all others (still
  // in flight) and returns true: oldest_done() then finds it.
  bool skip_stuck(std::uint32_t look_ahead) noexcept;

  std::uint32_t in_flight() const noexcept { return head_ - tail_; }
  std::uint32_t capacity() const noexcept { return count_; }

  // Splits a trans_id; nullopt unless it has this layout (control bit and
  // reserved bits clear). The queue is not checked here.
  static std::optional<DecodedTransId> decode(std::uint64_t trans_id) noexcept;

 private:
  // State word: generation << 8 | phase.
  enum Phase : std::uint32_t { kFree = 0, kInFlight = 1, kDoneOk = 2, kDoneFailed = 3 };
  static std::uint32_t word(std::uint16_t gen, Phase p) noexcept { return (std::uint32_t{gen} << 8) | p; }

  std::unique_ptr<TxSlot[]> slots_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> state_;
  bool done(std::uint32_t slot) const noexcept;
  void rotate_oldest() noexcept;

  std::unique_ptr<std::uint16_t[]> generation_;  // owner's copy
  // Slot numbers by position (free-running counters, position % count_):
  // [tail_, head_) the sends in flight, oldest first; [head_, tail_ +
  // count_) the free slots, next to take first. A retired slot is already
  // where it belongs: at the back of the free ones. The identity until a skip.
  std::unique_ptr<std::uint32_t[]> order_;
  std::uint32_t count_ = 0;
  std::uint32_t queue_ = 0;
  std::uint32_t head_ = 0;
  std::uint32_t tail_ = 0;
  // head_ % count_ and tail_ % count_, kept as they move, so the per-send
  // path does no division (count_ is whatever the port was configured with).
  std::uint32_t head_at_ = 0;
  std::uint32_t tail_at_ = 0;
  std::uint32_t next(std::uint32_t at) const noexcept { return at + 1 == count_ ? 0 : at + 1; }
};

}  // namespace netvsc::internal
