// File: vmbus/ring/outgoing_ring.h
//
// The writing side of a VMBus ring: the guest's TX ring, or the host's view of
// the guest's RX ring (hvsim uses the same type with roles swapped). Pure code
// over `RingMemory`: no syscalls, no allocation, no locks. One thread writes a
// given ring at a time.
//
// Writes are staged: each `write()` copies one packet behind a private cursor,
// and `commit()` publishes them all with one store of write_index. `commit()`
// answers whether the peer must be signalled, by Linux's rule
// (hv_ringbuffer_write + hv_signal_on_write): only if this commit took the ring
// from empty to non-empty and the reader's interrupt_mask, read after a full
// barrier, is clear. Windows hosts treat unneeded signals as abuse, so the
// SDK never signals on its own.
//
// Usage:
//   auto tx = vmbus::OutgoingRing::attach(memory);  // vmbus::RingMemory
//   for (auto& m : batch) {
//     vmbus::Status s = tx->write(vmbus::packet::inband(m, id++));
//     if (!s && s.error().code == vmbus::Errc::full) break;  // retry later
//   }
//   if (tx->commit()) signal_peer();  // at most one signal per batch
#pragma once

#include <cstdint>

#include "vmbus/packet/outgoing_packet.h"
#include "vmbus/result.h"
#include "vmbus/ring/ring_memory.h"

namespace vmbus {

// alignas(64): a channel holds one ring of each direction, used by different
// threads; their cursors change on every packet and must not share a line.
class alignas(64) OutgoingRing {
 public:
  // Starts writing at the published write_index. Fails with corrupt_index if
  // write_index or read_index is not a valid index (initialize a new ring first).
  static Result<OutgoingRing> attach(RingMemory memory);

  // Copies one packet behind the cursor; nothing is visible to the reader
  // until commit(). Errors:
  //   full             not enough room now; detail = bytes the packet needs
  //   packet_too_large the packet can never fit this ring (or a u16 len8)
  //   invalid_argument header size not a multiple of 8; detail = its size
  //   corrupt_index    the reader's read_index is out of range
  Status write(const OutgoingPacket& packet) noexcept;

  // Publishes every packet written since the last commit. Returns true if the
  // peer must now be signalled. Publishing nothing returns false.
  [[nodiscard]] bool commit() noexcept;

  // Forgets the packets written since the last commit.
  void revert() noexcept { next_write_ = committed_write_; }

  // Bytes a `write()` could use right now (the ring is never completely full:
  // one more byte than a packet needs must be free). Reloads read_index.
  Result<std::uint32_t> bytes_free() noexcept;

  // Blocking on a full ring: ask the reader to signal once `bytes` are free
  // (pending_send_sz; honoured by readers since feat_pending_send_sz). Returns
  // true if that room is already free, re-checked after a full barrier, in
  // which case the caller retries instead of waiting. Packets staged but not
  // committed count on top of `bytes` (the reader cannot see them). Call
  // cancel_space_signal() once the packet went through.
  bool request_space_signal(std::uint32_t bytes) noexcept;
  void cancel_space_signal() noexcept { memory_.store_pending_send_size(0); }

  // The reader's "do not interrupt me" flag on this ring.
  bool peer_interrupts_masked() const noexcept { return memory_.load_interrupt_mask() != 0; }

  // Bytes written but not yet committed.
  std::uint32_t uncommitted_bytes() const noexcept { return memory_.distance(committed_write_, next_write_); }
  const RingMemory& memory() const noexcept { return memory_; }

 private:
  OutgoingRing(RingMemory memory, std::uint32_t write_index, std::uint32_t read_index) noexcept
      : memory_(memory), committed_write_(write_index), next_write_(write_index), cached_read_(read_index) {}

  // hv_get_bytes_to_write, from our cursor to the reader's `read` index
  // (read == write means empty).
  std::uint32_t free_from(std::uint32_t read) const noexcept {
    return read > next_write_ ? read - next_write_ : memory_.data_size() - (next_write_ - read);
  }
  // Free bytes from the cursor up to the reader, with the reader's index as of
  // the last reload; reloads (and validates) only when the cache says no room.
  Result<std::uint32_t> free_for(std::uint32_t needed) noexcept;

  RingMemory memory_;
  std::uint32_t committed_write_;  // our published write_index (never re-read from shared memory)
  std::uint32_t next_write_;       // where the next packet goes
  std::uint32_t cached_read_;      // the reader's read_index at the last load
};

}  // namespace vmbus
