// File: kvp/protocol/ic_message.h
//
// Reading, answering and writing the IC framing of ic.h.
//
// Guest: `parse_ic_message` takes the payload of an inband packet (as
// vmbus::IncomingPacket gives it, VMBus padding included) and checks what
// Linux relies on before touching a message: at least ICMSG_HDR bytes
// (hv_kvp_onchannelcallback: "Packet length too small"), no more than the
// 16 KiB receive buffer, and an icmsgsize that stays inside the payload
// (Linux does not check it; OpenVMM's host rejects a reply whose body is
// short of icmsgsize, and so do we, on both sides). The vmbuspipe_hdr is
// returned but not judged: Linux never reads it. `make_response` turns the
// request, in place, into the reply Linux sends.
//
// Host: `write_ic_message` frames a request as OpenVMM's IC host does
// (pipe {DATA, msgsize}, TRANSACTION | REQUEST, transaction id 0), and
// `parse_ic_response` checks that what came back is a reply to it.
//
// Usage (guest):
//   auto msg = kvp::ic::parse_ic_message(packet.payload);
//   if (!msg) { log(msg.error().message()); return; }  // Linux drops such packets
//   std::vector<std::byte> reply(packet.payload.begin(), packet.payload.end());
//   ... fill the reply (negotiate.h, guest.h) ...
//   (void)kvp::ic::make_response(reply, kvp::ic::kHvSOk);
//   tx.write(vmbus::packet::inband(reply, packet.trans_id));
//
// Usage (host):
//   auto header = kvp::ic::request_header(kvp::ic::MessageType::kvp_exchange, versions.framework, versions.service);
//   auto n = kvp::ic::write_ic_message(out, header, body);
//   ...
//   auto reply = kvp::ic::parse_ic_response(packet.payload, kvp::ic::MessageType::kvp_exchange);
//   if (reply && reply->header.status == kvp::ic::kHvSOk) use(reply->body);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kvp/protocol/field_error.h"
#include "kvp/protocol/ic.h"

namespace kvp::ic {

// A parsed IC message: both headers by value, and the icmsgsize bytes of
// the message that follow ICMSG_HDR (a window into the caller's payload).
struct IcMessage {
  PipeHeader pipe{};
  MessageHeader header{};
  std::span<const std::byte> body;
};

// Errors: ic_packet/too_short (value = payload size), ic_packet/above_maximum
// (value = payload size), icmsgsize/out_of_bounds (value = icmsgsize).
FieldResult<IcMessage> parse_ic_message(std::span<const std::byte> payload) noexcept;

// Turns a received request into its reply in place, as every Linux IC
// driver does before vmbus_sendpacket: icflags = TRANSACTION | RESPONSE and
// status = `status`; everything else stays as the host sent it. The reply is
// the whole payload, same length. Error: ic_packet/too_short (value = size).
FieldStatus make_response(std::span<std::byte> payload, std::uint32_t status) noexcept;

// The icmsg_hdr a host puts on a request: the negotiated versions (zero
// before negotiation, as OpenVMM sends them), TRANSACTION | REQUEST,
// status 0. icmsgsize is filled in by write_ic_message.
constexpr MessageHeader request_header(MessageType type, Version framework = {0, 0}, Version service = {0, 0},
                                       std::uint8_t transaction_id = 0) noexcept {
  return MessageHeader{framework, raw(type), service, 0, kHvSOk, transaction_id, kFlagsRequest, {0, 0}};
}

// Writes pipe header {kPipePacketTypeData, 20 + body size}, `header` with
// icmsgsize = body size, then the body. Returns the bytes written
// (ICMSG_HDR + body size). Errors: ic_packet/above_maximum when the body
// does not fit a u16 icmsgsize or the 16 KiB a guest reads (value = payload
// size); output_buffer/too_short (value = bytes needed).
FieldResult<std::size_t> write_ic_message(std::span<std::byte> out, MessageHeader header,
                                          std::span<const std::byte> body) noexcept;

// A reply of type `expected`: parse_ic_message, then icmsgtype must be
// `expected` (icmsgtype/unexpected_value, value = the type) and icflags must
// carry RESPONSE (icflags/unexpected_value, value = the flags). The status
// is the caller's to judge.
FieldResult<IcMessage> parse_ic_response(std::span<const std::byte> payload, MessageType expected) noexcept;

}  // namespace kvp::ic
