// File: vmbus/ring/incoming_ring.h
//
// The reading side of a VMBus ring: the guest's RX ring, or the host's view of
// the guest's TX ring (hvsim uses the same type with roles swapped). Pure code
// over `RingMemory`: no syscalls, no allocation, no locks. One thread reads a
// given ring at a time.
//
// The writer is untrusted. Every write_index loaded is checked (inside the
// data area, 8-byte aligned) and every descriptor too (len8 >= offset8 >= 2,
// the whole packet inside what was published, a known type, known flags).
// Anything else is a corruption error; nothing a peer writes can make this
// code read out of bounds or loop. `read()` copies the packet out before
// returning it, as Linux does since adae1e931acd (2021): parse the copy, never
// the ring.
//
// Reads are staged like writes: `read()`/`consume()` move a private cursor and
// `commit()` publishes read_index once, answering whether the writer must be
// signalled by Linux's hv_pkt_iter_close rule (the writer asked, through
// pending_send_sz, for room that this commit just made).
//
// The reader owns its interrupt_mask. Poll with it set; before sleeping call
// `unmask_interrupts()`, which clears it, issues a full barrier and says
// whether data arrived meanwhile (then poll again instead of sleeping).
//
// Usage:
//   auto rx = vmbus::IncomingRing::attach(memory);  // vmbus::RingMemory
//   alignas(8) std::byte buffer[4096];
//   for (;;) {
//     vmbus::Result<vmbus::IncomingPacket> p = rx->read(buffer);
//     if (!p) break;  // empty, buffer_too_small (detail = bytes needed), or corrupt
//     handle(*p);
//   }
//   if (rx->commit()) signal_peer();
#pragma once

#include <cstdint>
#include <span>

#include "vmbus/packet/incoming_packet.h"
#include "vmbus/result.h"
#include "vmbus/ring/ring_memory.h"

namespace vmbus {

// alignas(64): a channel holds one ring of each direction, used by different
// threads; their cursors change on every packet and must not share a line.
class alignas(64) IncomingRing {
 public:
  // Starts reading at the published read_index. Fails with corrupt_index if
  // read_index is not a valid index (initialize a new ring first).
  static Result<IncomingRing> attach(RingMemory memory);

  // The next packet, validated, as windows into the ring; the cursor does not
  // move. Errors: empty, corrupt_index, corrupt_length, unknown_packet_type,
  // unknown_packet_flags. The windows stay valid until commit().
  Result<PacketView> peek() noexcept;

  // Moves the cursor past `view`, which must come from the latest peek().
  // Returns false (and does nothing) if it does not start at the cursor.
  bool consume(const PacketView& view) noexcept;

  // Copies the next packet (descriptor included) into `buffer` and moves the
  // cursor past it. The copy's descriptor is the validated one. Errors: those
  // of peek(), and buffer_too_small (detail = bytes needed; cursor unmoved).
  Result<IncomingPacket> read(std::span<std::byte> buffer) noexcept;

  // Publishes the cursor as read_index. Returns true if the writer must be
  // signalled (hv_pkt_iter_close). Publishing nothing returns false.
  [[nodiscard]] bool commit() noexcept;

  // Forgets the reads since the last commit: those packets will be read again.
  void revert() noexcept { next_read_ = committed_read_; }

  // True if nothing is published beyond the cursor (DPDK rte_vmbus_chan_rx_empty).
  // A corrupt write_index reads as "not empty", so the next read() reports it.
  bool empty() const noexcept { return memory_.load_write_index() == next_read_; }

  void mask_interrupts() noexcept { memory_.store_interrupt_mask(1); }
  // Clears the mask, then re-checks after a full barrier: true means data is
  // waiting and the caller must poll again rather than sleep. Also true
  // while reads are uncommitted: commit() first, or the writer (which looks
  // at the published read_index) would never signal.
  [[nodiscard]] bool unmask_interrupts() noexcept;

  // Bytes read but not yet committed.
  std::uint32_t uncommitted_bytes() const noexcept { return memory_.distance(committed_read_, next_read_); }
  const RingMemory& memory() const noexcept { return memory_; }

 private:
  IncomingRing(RingMemory memory, std::uint32_t read_index) noexcept
      : memory_(memory), committed_read_(read_index), next_read_(read_index), cached_write_(read_index) {}

  // Validates the packet at the cursor (see the file comment) into `d`.
  Status next_descriptor(PacketDescriptor& d) noexcept;

  RingMemory memory_;
  std::uint32_t committed_read_;  // our published read_index (never re-read from shared memory)
  std::uint32_t next_read_;       // where the next packet starts
  std::uint32_t cached_write_;    // the writer's write_index at the last (validated) load
};

}  // namespace vmbus
