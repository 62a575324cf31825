// File: netvsc/protocol/rndis_message.h
//
// Framing of RNDIS messages: finding one message in a range of bytes, walking
// several packed back to back, and reading or writing a message whose body is
// one fixed struct of rndis.h.
//
// Where messages come from: on receive, each transfer-page range names one
// RNDIS message in the receive buffer (netvsc_receive); on transmit, a
// send-buffer section may hold several REMOTE_NDIS_PACKET_MSGs, each msg_len
// padded so the next starts aligned (MS-RNDIS multi-packet messages; DPDK
// hn_try_txagg), and a control message arrives in one GPA range.
//
// `frame` checks only what every message shares: 8 header bytes and a
// msg_len that covers them and stays inside the bytes given (Linux
// rndis_filter_receive: "msg_len < RNDIS_HEADER_SIZE || buflen < msg_len";
// DPDK hn_rndis_rx_data: "dlen < pkt->len"). Everything after that is checked
// against msg_len, never against the (larger) range or section.
//
// Usage:
//   auto m = netvsc::rndis::frame(range_bytes);
//   if (!m) return m.error();
//   switch (static_cast<netvsc::rndis::MessageType>(m->type)) { ... }
//
//   for (netvsc::rndis::MessageCursor c(section.first(used)); !c.done();) {
//     auto m = c.next();
//     if (!m) return m.error();
//     handle(*m);
//   }
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "netvsc/protocol/parse_error.h"
#include "netvsc/protocol/rndis.h"
#include "netvsc/protocol/wire.h"
#include "vmbus/result.h"

namespace netvsc::rndis {

// One framed message: its raw type and exactly msg_len bytes.
struct MessageView {
  std::uint32_t type = 0;             // ndis_msg_type, possibly one we do not know
  std::span<const std::byte> bytes;  // header + body, msg_len bytes

  std::uint32_t length() const noexcept { return static_cast<std::uint32_t>(bytes.size()); }
  std::span<const std::byte> body() const noexcept { return bytes.subspan(kHeaderSize); }
};

// The message at the start of `bytes`. Errors: rndis_header/too_short (value =
// bytes given), rndis_msg_len/below_minimum (< 8), rndis_msg_len/out_of_bounds
// (> bytes given; value = msg_len).
ParseResult<MessageView> frame(std::span<const std::byte> bytes) noexcept;

// Messages packed back to back, each starting where the previous msg_len ends.
class MessageCursor {
 public:
  explicit MessageCursor(std::span<const std::byte> bytes) noexcept : rest_(bytes) {}
  bool done() const noexcept { return rest_.empty(); }
  // The next message; after an error the cursor is done.
  ParseResult<MessageView> next() noexcept;

 private:
  std::span<const std::byte> rest_;
};

// A struct of rndis.h that is a whole message body.
template <typename Body>
concept FixedBody = std::is_trivially_copyable_v<Body> && requires {
  { Body::kType } -> std::convertible_to<MessageType>;
};

// The fixed body of a message of type Body::kType. Errors:
// rndis_msg_type/unexpected_value (value = the type found),
// rndis_msg_len/too_short (msg_len ends before the body does).
template <FixedBody Body>
ParseResult<Body> parse_body(const MessageView& m) noexcept {
  if (m.type != raw(Body::kType)) return ParseError{Field::rndis_msg_type, Violation::unexpected_value, m.type};
  if (m.length() < kHeaderSize + sizeof(Body)) {
    return ParseError{Field::rndis_msg_len, Violation::too_short, m.length()};
  }
  return wire::load<Body>(m.bytes, kHeaderSize);
}

// The request id a completion carries as its first body field (every
// completion but RESET_CMPLT; rndis_filter_receive_response matches replies
// to requests by it). Errors: rndis_msg_type/unexpected_value for a
// non-completion or RESET_CMPLT, rndis_msg_len/too_short.
ParseResult<std::uint32_t> request_id(const MessageView& m) noexcept;

// Writes header + body + `tail` (an information or status buffer) into
// `out`; msg_len covers all three. Returns the bytes written. Errors:
// buffer_too_small (detail = bytes needed), packet_too_large (tail makes
// msg_len overflow u32).
template <FixedBody Body>
vmbus::Result<std::uint32_t> write_message(const Body& body, std::span<const std::byte> tail,
                                           std::span<std::byte> out) noexcept {
  constexpr std::uint64_t fixed = kHeaderSize + sizeof(Body);
  const std::uint64_t total = fixed + tail.size();
  if (total > 0xffffffffu) return vmbus::Error{vmbus::Errc::packet_too_large, total};
  if (out.size() < total) return vmbus::Error{vmbus::Errc::buffer_too_small, total};
  wire::store(out, 0, MessageHeader{raw(Body::kType), static_cast<std::uint32_t>(total)});
  wire::store(out, kHeaderSize, body);
  if (!tail.empty()) std::memcpy(out.data() + fixed, tail.data(), tail.size());
  return static_cast<std::uint32_t>(total);
}

}  // namespace netvsc::rndis
