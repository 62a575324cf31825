// File: vmbus/ring/ring_header.h
//
// The control page that starts every VMBus ring, byte for byte as Linux's
// `struct hv_ring_buffer` (include/linux/hyperv.h) and DPDK's
// `struct vmbus_bufring` (drivers/bus/vmbus/rte_vmbus_reg.h). The data area
// begins one 4 KiB page after it. Both sides write parts of this page, so the
// SDK never reads it through this struct directly: `RingMemory` loads and
// stores each field atomically. The struct exists to pin the layout.
//
// Usage:
//   static_assert(offsetof(vmbus::RingHeader, pending_send_sz) == 12);
//   std::uint32_t data_size = ring_bytes - vmbus::kRingHeaderSize;
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace vmbus {

// Every VMBus wire format is little-endian; the SDK targets x86-64 and arm64
// Linux guests, both little-endian, and reads wire fields natively.
static_assert(std::endian::native == std::endian::little, "VMBus wire formats are little-endian");

// struct hv_ring_buffer: the first 4 KiB of a ring.
struct [[gnu::packed]] RingHeader {
  std::uint32_t write_index;      // byte offset into data where the writer will write next
  std::uint32_t read_index;       // byte offset into data where the reader will read next
  std::uint32_t interrupt_mask;   // set by the reader: "do not interrupt me"
  std::uint32_t pending_send_sz;  // set by a blocked writer: "signal me when this many bytes are free"
  std::uint32_t reserved1[12];
  std::uint32_t feature_bits;     // bit 0: feat_pending_send_sz, the reader honours pending_send_sz
  std::uint8_t reserved2[4028];   // pads the header to one page; data follows at +4096
};

static_assert(offsetof(RingHeader, write_index) == 0);
static_assert(offsetof(RingHeader, read_index) == 4);
static_assert(offsetof(RingHeader, interrupt_mask) == 8);
static_assert(offsetof(RingHeader, pending_send_sz) == 12);
static_assert(offsetof(RingHeader, reserved1) == 16);
static_assert(offsetof(RingHeader, feature_bits) == 64);
static_assert(offsetof(RingHeader, reserved2) == 68);
static_assert(sizeof(RingHeader) == 4096);

// The data area starts here, also on 64 KiB-page arm64 kernels: Hyper-V's
// layout is in 4 KiB units (DPDK c54fa45817 fixed its use of the system page).
inline constexpr std::uint32_t kRingHeaderSize = sizeof(RingHeader);

// feature_bits bit 0 (hv_ringbuffer_init sets it on both rings of a channel).
inline constexpr std::uint32_t kRingFeaturePendingSendSize = 1u << 0;

// The largest data area the SDK accepts. Indices are u32 byte offsets; keeping
// the size at or below 2^31 lets index arithmetic stay in u32 without wrap.
// Real rings are a few MiB (2 MiB + 4 KiB per direction for a NIC).
inline constexpr std::uint32_t kRingMaxDataSize = 1u << 31;

}  // namespace vmbus
