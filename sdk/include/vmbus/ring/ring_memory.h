// File: vmbus/ring/ring_memory.h
//
// One ring as a process sees it: the 4 KiB control page (`RingHeader`) and the
// data area right after it, both in memory shared with the peer. This type
// owns nothing; it checks the geometry once, then offers the two things every
// ring operation needs: atomic access to the header fields (the peer writes
// them concurrently) and copies in and out of the data area that split at the
// wrap, because uio maps rings linearly (the kernel double-maps its own, uio
// does not: reference/ring.md).
//
// Usage:
//   // A uio txrx_rings map of 2 * ring_size bytes: TX ring first, then RX.
//   auto tx = vmbus::RingMemory::from(map.subspan(0, ring_size));
//   auto rx = vmbus::RingMemory::from(map.subspan(ring_size, ring_size));
//   if (!tx || !rx) return tx ? rx.error() : tx.error();
//   // Only whoever creates a ring (kernel, hvsim, a test) initializes it:
//   tx->initialize();
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "vmbus/result.h"
#include "vmbus/ring/ring_header.h"

namespace vmbus {

class RingMemory {
 public:
  // `ring` is the header page followed by the data area. Fails with
  // invalid_argument unless: the pointer is 8-byte aligned, the size is a
  // multiple of 4096 with at least one data page, and the data area is at most
  // kRingMaxDataSize. detail = the offending size or address.
  static Result<RingMemory> from(std::span<std::byte> ring);

  // hv_ringbuffer_init: zero the header, advertise feat_pending_send_sz.
  // Only the ring's creator calls this, before either side uses it.
  void initialize() noexcept;

  std::uint32_t data_size() const noexcept { return data_size_; }
  std::byte* data() const noexcept { return data_; }
  std::byte* header_page() const noexcept { return header_; }

  // Header fields. Loads of the peer's index are acquire (they publish data);
  // stores of one's own index are release (they publish data or free space).
  // Where Linux puts a full barrier between a store and a load (virt_mb in
  // hv_signal_on_write, hv_pkt_iter_close), both are made seq_cst instead of
  // using a fence: the same x86/arm64 instructions, and a pattern that
  // ThreadSanitizer models (GCC's TSan ignores atomic_thread_fence).
  using Order = std::memory_order;
  std::uint32_t load_write_index(Order o = Order::acquire) const noexcept { return field(kWrite).load(o); }
  std::uint32_t load_read_index(Order o = Order::acquire) const noexcept { return field(kRead).load(o); }
  void store_write_index(std::uint32_t v, Order o = Order::release) noexcept { field(kWrite).store(v, o); }
  void store_read_index(std::uint32_t v, Order o = Order::release) noexcept { field(kRead).store(v, o); }
  std::uint32_t load_interrupt_mask(Order o = Order::relaxed) const noexcept { return field(kMask).load(o); }
  void store_interrupt_mask(std::uint32_t v, Order o = Order::relaxed) noexcept { field(kMask).store(v, o); }
  std::uint32_t load_pending_send_size(Order o = Order::relaxed) const noexcept { return field(kPending).load(o); }
  void store_pending_send_size(std::uint32_t v, Order o = Order::relaxed) noexcept { field(kPending).store(v, o); }
  std::uint32_t load_feature_bits() const noexcept { return field(kFeatures).load(Order::relaxed); }

  // An index the peer wrote is usable only if it is inside the data area and
  // 8-byte aligned (OpenVMM vmbus_ring InnerRing::validate; DPDK does not check).
  bool valid_index(std::uint32_t index) const noexcept { return index < data_size_ && (index & 7u) == 0; }

  // Bytes from `from` up to `to`, going forward around the ring.
  std::uint32_t distance(std::uint32_t from, std::uint32_t to) const noexcept {
    return to >= from ? to - from : data_size_ - from + to;
  }
  std::uint32_t advance(std::uint32_t index, std::uint32_t bytes) const noexcept {
    const std::uint32_t next = index + bytes;  // both < 2^31: no u32 wrap
    return next >= data_size_ ? next - data_size_ : next;
  }

  // Copies that split at the end of the data area. `offset` must be a valid
  // index and `len` at most data_size(); callers have checked both.
  void copy_in(std::uint32_t offset, const void* src, std::uint32_t len) noexcept {
    const std::uint32_t first = data_size_ - offset;
    if (len <= first) {
      std::memcpy(data_ + offset, src, len);
    } else {
      std::memcpy(data_ + offset, src, first);
      std::memcpy(data_, static_cast<const std::byte*>(src) + first, len - first);
    }
  }
  void copy_out(std::uint32_t offset, void* dst, std::uint32_t len) const noexcept {
    const std::uint32_t first = data_size_ - offset;
    if (len <= first) {
      std::memcpy(dst, data_ + offset, len);
    } else {
      std::memcpy(dst, data_ + offset, first);
      std::memcpy(static_cast<std::byte*>(dst) + first, data_, len - first);
    }
  }

 private:
  RingMemory(std::byte* header, std::uint32_t data_size) noexcept
      : header_(header), data_(header + kRingHeaderSize), data_size_(data_size) {}

  static constexpr std::size_t kWrite = offsetof(RingHeader, write_index);
  static constexpr std::size_t kRead = offsetof(RingHeader, read_index);
  static constexpr std::size_t kMask = offsetof(RingHeader, interrupt_mask);
  static constexpr std::size_t kPending = offsetof(RingHeader, pending_send_sz);
  static constexpr std::size_t kFeatures = offsetof(RingHeader, feature_bits);

  // The header is shared with another agent: every field access is atomic.
  std::atomic_ref<std::uint32_t> field(std::size_t offset) const noexcept {
    return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(header_ + offset));
  }

  std::byte* header_;
  std::byte* data_;
  std::uint32_t data_size_;
};

}  // namespace vmbus
