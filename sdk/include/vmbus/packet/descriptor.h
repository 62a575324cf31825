// File: vmbus/packet/descriptor.h
//
// The 16-byte descriptor that starts every packet in a VMBus ring, and the
// framing rules around it (include/linux/hyperv.h: struct vmpacket_descriptor,
// enum vmbus_packet_type; drivers/hv/ring_buffer.c). A packet in the ring is:
//
//   descriptor (16) | type-specific header | payload | pad to 8 | trailer (8)
//   '------ offset8 * 8 ------'
//   '---------------- len8 * 8 -----------------------'
//
// The trailer is `(u64)start_write_index << 32`; readers skip it.
//
// Usage:
//   vmbus::PacketDescriptor d = vmbus::load_descriptor(bytes);
//   std::uint32_t in_ring = vmbus::packet_ring_size(d.len8);
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "vmbus/ring/ring_header.h"

namespace vmbus {

// enum vmbus_packet_type (include/linux/hyperv.h).
enum class PacketType : std::uint16_t {
  invalid = 0x0,
  synch = 0x1,
  add_transfer_page_set = 0x2,
  remove_transfer_page_set = 0x3,
  establish_gpadl = 0x4,
  teardown_gpadl = 0x5,
  data_inband = 0x6,
  data_using_transfer_pages = 0x7,
  data_using_gpadl = 0x8,
  data_using_gpa_direct = 0x9,
  cancel_request = 0xa,
  completion = 0xb,
  data_using_additional_packet = 0xc,
  additional_data = 0xd,
};

// VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED: the receiver must answer with a
// completion (type 0xb) echoing trans_id. The only flag defined.
inline constexpr std::uint16_t kPacketFlagCompletionRequested = 1;
inline constexpr std::uint16_t kPacketKnownFlags = kPacketFlagCompletionRequested;

// struct vmpacket_descriptor.
struct [[gnu::packed]] PacketDescriptor {
  std::uint16_t type;
  std::uint16_t offset8;  // descriptor + type-specific header, in 8-byte units
  std::uint16_t len8;     // the whole packet without the trailer, in 8-byte units
  std::uint16_t flags;
  std::uint64_t trans_id;
};
static_assert(offsetof(PacketDescriptor, type) == 0);
static_assert(offsetof(PacketDescriptor, offset8) == 2);
static_assert(offsetof(PacketDescriptor, len8) == 4);
static_assert(offsetof(PacketDescriptor, flags) == 6);
static_assert(offsetof(PacketDescriptor, trans_id) == 8);
static_assert(sizeof(PacketDescriptor) == 16);

inline constexpr std::uint32_t kPacketDescriptorSize = sizeof(PacketDescriptor);
// The u64 after every packet (hv_ringbuffer_write: prev_indices).
inline constexpr std::uint32_t kPacketTrailerSize = 8;
// len8 is a u16 of 8-byte units: no packet is longer than this (DPDK: 512 KiB).
inline constexpr std::uint32_t kPacketMaxLength = 0xffffu * 8u;

constexpr std::uint32_t align8(std::uint32_t n) noexcept { return (n + 7u) & ~7u; }

// Bytes a packet of `len8` occupies in the ring, trailer included.
constexpr std::uint32_t packet_ring_size(std::uint16_t len8) noexcept {
  return std::uint32_t{len8} * 8u + kPacketTrailerSize;
}

// Descriptors are read out of untrusted or unaligned bytes by copy, never by cast.
inline PacketDescriptor load_descriptor(const std::byte* bytes) noexcept {
  PacketDescriptor d;
  std::memcpy(&d, bytes, sizeof d);
  return d;
}

}  // namespace vmbus
