// File: vmbus/packet/builders.h
//
// Builders for the packets a VMBus endpoint sends, each matching the kernel
// function that sends it (drivers/hv/channel.c):
//   inband      type 6, flags 0 or COMPLETION_REQUESTED   vmbus_sendpacket
//   completion  type 0xb, flags 0, echoes trans_id        vmbus_sendpacket(VM_PKT_COMP)
//   gpa_direct  type 9, COMPLETION_REQUESTED              vmbus_sendpacket_pagebuffer,
//                                                         vmbus_sendpacket_mpb_desc
// They return an OutgoingPacket that refers to the caller's buffers; the ring
// computes offset8 and len8, pads to 8 and appends the trailer.
//
// Usage:
//   tx.write(vmbus::packet::inband(msg, id, /*completion_requested=*/true));
//   tx.write(vmbus::packet::completion(request.trans_id, reply));
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "vmbus/packet/gpa_direct.h"
#include "vmbus/packet/outgoing_packet.h"

namespace vmbus::packet {

inline OutgoingPacket inband(std::span<const std::byte> payload, std::uint64_t trans_id,
                             bool completion_requested = false) noexcept {
  OutgoingPacket p;
  p.type = PacketType::data_inband;
  p.flags = completion_requested ? kPacketFlagCompletionRequested : 0;
  p.trans_id = trans_id;
  p.add_payload(payload);
  return p;
}

inline OutgoingPacket completion(std::uint64_t trans_id, std::span<const std::byte> payload = {}) noexcept {
  OutgoingPacket p;
  p.type = PacketType::completion;
  p.trans_id = trans_id;
  p.add_payload(payload);
  return p;
}

// `ranges` must outlive the write (the packet points into it).
inline OutgoingPacket gpa_direct(GpaDirectHeader& ranges, std::span<const std::byte> payload,
                                 std::uint64_t trans_id) noexcept {
  OutgoingPacket p;
  p.type = PacketType::data_using_gpa_direct;
  p.flags = kPacketFlagCompletionRequested;
  p.trans_id = trans_id;
  p.header = ranges.bytes();
  p.add_payload(payload);
  return p;
}

}  // namespace vmbus::packet
