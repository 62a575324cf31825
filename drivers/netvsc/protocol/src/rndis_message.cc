// RNDIS framing: one message, messages back to back, completion request ids.
#include "netvsc/protocol/rndis_message.h"

namespace netvsc::rndis {

ParseResult<MessageView> frame(std::span<const std::byte> bytes) noexcept {
  if (bytes.size() < kHeaderSize) return ParseError{Field::rndis_header, Violation::too_short, bytes.size()};
  const auto header = wire::load<MessageHeader>(bytes);
  // rndis_filter_receive: "rndis_msg->msg_len < RNDIS_HEADER_SIZE || buflen < rndis_msg->msg_len".
  if (header.msg_len < kHeaderSize) return ParseError{Field::rndis_msg_len, Violation::below_minimum, header.msg_len};
  if (header.msg_len > bytes.size()) return ParseError{Field::rndis_msg_len, Violation::out_of_bounds, header.msg_len};
  return MessageView{header.ndis_msg_type, bytes.first(header.msg_len)};
}

ParseResult<MessageView> MessageCursor::next() noexcept {
  auto m = frame(rest_);
  if (!m) {
    rest_ = {};
    return m.error();
  }
  // msg_len >= 8, so the cursor always moves.
  rest_ = rest_.subspan(m->length());
  return m;
}

ParseResult<std::uint32_t> request_id(const MessageView& m) noexcept {
  const bool completion = (m.type & kCompletionBit) != 0;
  if (!completion || m.type == raw(MessageType::reset_complete)) {
    return ParseError{Field::rndis_msg_type, Violation::unexpected_value, m.type};
  }
  if (m.length() < kHeaderSize + sizeof(std::uint32_t)) {
    return ParseError{Field::rndis_msg_len, Violation::too_short, m.length()};
  }
  return wire::load<std::uint32_t>(m.bytes, kHeaderSize);
}

}  // namespace netvsc::rndis
