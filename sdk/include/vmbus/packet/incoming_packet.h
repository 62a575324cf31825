// File: vmbus/packet/incoming_packet.h
//
// A packet taken from a ring, in two forms:
//   - `IncomingPacket`: spans into a private copy the reader made
//     (`IncomingRing::read`). The default for anything that is parsed: the
//     peer cannot change a byte after it was validated.
//   - `PacketView`: a validated descriptor plus windows into the ring itself
//     (`IncomingRing::peek`), for trusted fast paths that copy the payload
//     somewhere once. Each window may wrap, so it is two spans.
// Both carry the payload as the descriptor sizes it: (len8 - offset8) * 8
// bytes, including the writer's padding to 8. Protocols above VMBus carry
// their own lengths (NVSP, RNDIS, IC messages).
//
// Usage:
//   auto p = rx.read(buffer);
//   if (p && p->type == vmbus::PacketType::completion) complete(p->trans_id, p->payload);
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "vmbus/packet/descriptor.h"

namespace vmbus {

struct IncomingPacket {
  PacketType type = PacketType::invalid;
  std::uint16_t flags = 0;
  std::uint64_t trans_id = 0;
  std::span<const std::byte> header;   // offset8 * 8 - 16 bytes after the descriptor
  std::span<const std::byte> payload;  // (len8 - offset8) * 8 bytes

  bool completion_requested() const noexcept { return (flags & kPacketFlagCompletionRequested) != 0; }
};

// Bytes inside a ring's data area: `first`, then `second` if they wrapped.
struct RingBytes {
  std::span<const std::byte> first;
  std::span<const std::byte> second;

  std::size_t size() const noexcept { return first.size() + second.size(); }
  bool contiguous() const noexcept { return second.empty(); }
  // Copies min(size(), dst.size()) bytes; returns how many.
  std::size_t copy_to(std::span<std::byte> dst) const noexcept {
    const std::size_t a = first.size() < dst.size() ? first.size() : dst.size();
    if (a != 0) std::memcpy(dst.data(), first.data(), a);
    const std::size_t b = second.size() < dst.size() - a ? second.size() : dst.size() - a;
    if (b != 0) std::memcpy(dst.data() + a, second.data(), b);
    return a + b;
  }
};

struct PacketView {
  PacketDescriptor descriptor{};  // validated, and copied out of the ring
  RingBytes header;
  RingBytes payload;
  std::uint32_t ring_offset = 0;  // where the packet starts in the data area
  std::uint32_t ring_size = 0;    // bytes it occupies, trailer included

  PacketType type() const noexcept { return static_cast<PacketType>(descriptor.type); }
};

}  // namespace vmbus
