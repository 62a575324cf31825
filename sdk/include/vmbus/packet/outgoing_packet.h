// File: vmbus/packet/outgoing_packet.h
//
// What a writer hands the ring: the descriptor's fields, the type-specific
// header that follows the descriptor, and a payload gathered from up to
// kMaxPayloadParts buffers. It only refers to caller memory; the ring copies
// everything at write time, so nothing needs to outlive `OutgoingRing::write`.
// The builders in vmbus/packet/builders.h fill it for each packet type.
//
// Usage:
//   vmbus::OutgoingPacket p = vmbus::packet::inband(bytes, /*trans_id=*/7);
//   p.add_payload(more_bytes);  // gather a second buffer after the first
//   Status s = tx.write(p);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "vmbus/packet/descriptor.h"

namespace vmbus {

inline constexpr std::size_t kMaxPayloadParts = 4;

struct OutgoingPacket {
  PacketType type = PacketType::data_inband;
  std::uint16_t flags = 0;
  std::uint64_t trans_id = 0;
  // Bytes between the descriptor and the payload; a multiple of 8 so that
  // offset8 can describe it (every VMBus type-specific header is).
  std::span<const std::byte> header;
  std::array<std::span<const std::byte>, kMaxPayloadParts> payload{};
  std::uint8_t payload_parts = 0;

  // Appends a payload buffer; false if kMaxPayloadParts are already in use.
  bool add_payload(std::span<const std::byte> part) noexcept {
    if (payload_parts == kMaxPayloadParts) return false;
    payload[payload_parts++] = part;
    return true;
  }
  std::size_t payload_size() const noexcept {
    std::size_t n = 0;
    for (std::uint8_t i = 0; i < payload_parts; ++i) n += payload[i].size();
    return n;
  }
};

}  // namespace vmbus
