// IC framing: the checks a guest makes before reading a message, the
// in-place reply, and the host's request framing.
#include "kvp/protocol/ic_message.h"

#include <cstring>

#include "kvp/protocol/wire.h"

namespace kvp::ic {

FieldResult<IcMessage> parse_ic_message(std::span<const std::byte> payload) noexcept {
  // hv_kvp_onchannelcallback: "Ensure recvlen is big enough to read header data".
  if (payload.size() < kIcMsgHdr) return FieldError{Field::ic_packet, Violation::too_short, payload.size()};
  // util_probe's receive buffer; vmbus_recvpacket fails on anything longer.
  if (payload.size() > kMaxPacketSize) return FieldError{Field::ic_packet, Violation::above_maximum, payload.size()};
  IcMessage m;
  m.pipe = wire::load<PipeHeader>(payload, 0);
  m.header = wire::load<MessageHeader>(payload, kPipeHeaderSize);
  if (!wire::fits(kIcMsgHdr, m.header.icmsgsize, payload.size())) {
    return FieldError{Field::icmsgsize, Violation::out_of_bounds, m.header.icmsgsize};
  }
  m.body = payload.subspan(kIcMsgHdr, m.header.icmsgsize);
  return m;
}

FieldStatus make_response(std::span<std::byte> payload, std::uint32_t status) noexcept {
  if (payload.size() < kIcMsgHdr) return FieldError{Field::ic_packet, Violation::too_short, payload.size()};
  // kvp_respond_to_host: icmsghdrp->status = error; ... icflags = TRANSACTION | RESPONSE.
  wire::store(payload, kStatusOffset, status);
  wire::store(payload, kIcFlagsOffset, kFlagsResponse);
  return {};
}

FieldResult<std::size_t> write_ic_message(std::span<std::byte> out, MessageHeader header,
                                          std::span<const std::byte> body) noexcept {
  const std::size_t total = kIcMsgHdr + body.size();
  if (body.size() > 0xffff || total > kMaxPacketSize) {
    return FieldError{Field::ic_packet, Violation::above_maximum, total};
  }
  if (out.size() < total) return FieldError{Field::output_buffer, Violation::too_short, total};
  // The pipe's msgsize counts what follows the pipe header (OpenVMM vmbus_async pipe).
  wire::store(out, 0, PipeHeader{kPipePacketTypeData, static_cast<std::uint32_t>(total - kPipeHeaderSize)});
  header.icmsgsize = static_cast<std::uint16_t>(body.size());
  wire::store(out, kPipeHeaderSize, header);
  if (!body.empty()) std::memcpy(out.data() + kIcMsgHdr, body.data(), body.size());
  return total;
}

FieldResult<IcMessage> parse_ic_response(std::span<const std::byte> payload, MessageType expected) noexcept {
  auto m = parse_ic_message(payload);
  if (!m) return m.error();
  if (m->header.icmsgtype != raw(expected)) {
    return FieldError{Field::icmsgtype, Violation::unexpected_value, m->header.icmsgtype};
  }
  if ((m->header.icflags & kFlagResponse) == 0) {
    return FieldError{Field::icflags, Violation::unexpected_value, m->header.icflags};
  }
  return m;
}

}  // namespace kvp::ic
