// File: netvsc/protocol/nvsp_codec.h
//
// Encoding and validating parsing of NVSP messages (nvsp.h). `encode` writes
// a message the way Linux does: the u32 type, the body, zeros up to
// sizeof(struct nvsp_message) = 40 bytes (why 40: nvsp.h). `parse<Body>`
// takes the payload of a VMBus packet (inband or completion, padding
// included) and returns the body if the type matches and the body is whole;
// it asks for no more than the body, because hosts before NVSP 6.1 send
// 28-byte messages (32 with VMBus padding). Neither allocates.
//
// Usage (guest):
//   auto m = netvsc::nvsp::encode(netvsc::nvsp::SendReceiveBuffer{gpadl, netvsc::nvsp::kReceiveBufferId});
//   tx.write(vmbus::packet::inband(m.bytes(), id, true));
//   ...
//   auto done = netvsc::nvsp::parse<netvsc::nvsp::SendReceiveBufferComplete>(completion.payload);
//   if (!done) return done.error();                       // names the field
//   if (done->status != raw(Status::success)) return failed;
//   if (auto s = netvsc::nvsp::check_receive_buffer(*done, size); !s) return s.error();
//
// Usage (host):
//   if (packet.payload.size() < netvsc::nvsp::kHostMinimumRequestSize) return;  // Hyper-V ignores it
//   auto type = netvsc::nvsp::peek_type(packet.payload);
//   if (type && *type == MessageType::init) { auto init = netvsc::nvsp::parse<Init>(packet.payload); ... }
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "netvsc/protocol/nvsp.h"
#include "netvsc/protocol/parse_error.h"
#include "netvsc/protocol/wire.h"
#include "vmbus/result.h"

namespace netvsc::nvsp {

// A body struct of nvsp.h: trivially copyable, names its type, fits in a message.
template <typename Body>
concept MessageBody = std::is_trivially_copyable_v<Body> && requires {
  { Body::kType } -> std::convertible_to<MessageType>;
} && (kHeaderSize + sizeof(Body) <= kMessageSize);

// An encoded message, by value: the bytes of one inband payload.
class Message {
 public:
  std::span<const std::byte> bytes() const noexcept { return {storage_.data(), size_}; }
  std::uint32_t size() const noexcept { return size_; }

  template <MessageBody Body>
  static Message of(const Body& body, std::uint32_t size) noexcept {
    Message m;
    wire::store(std::span(m.storage_), 0, raw(Body::kType));
    wire::store(std::span(m.storage_), kHeaderSize, body);
    m.size_ = size;
    return m;
  }

 private:
  alignas(8) std::array<std::byte, kMessageSize> storage_{};
  std::uint32_t size_ = 0;
};

// Header, body, zeros to 40 bytes: what Linux and DPDK send.
template <MessageBody Body>
Message encode(const Body& body) noexcept {
  return Message::of(body, kMessageSize);
}

// Header and body only: Linux's receive completion {108, status} is 8 bytes
// (send_recv_completions). Never for a request that wants a reply
// (kHostMinimumRequestSize).
template <MessageBody Body>
Message encode_unpadded(const Body& body) noexcept {
  return Message::of(body, static_cast<std::uint32_t>(kHeaderSize + sizeof(Body)));
}

// The type of an NVSP payload. Error: nvsp_msg_type/too_short (value = size).
inline ParseResult<MessageType> peek_type(std::span<const std::byte> payload) noexcept {
  if (payload.size() < kHeaderSize) return ParseError{Field::nvsp_msg_type, Violation::too_short, payload.size()};
  return static_cast<MessageType>(wire::load<std::uint32_t>(payload));
}

// The body of a message of type Body::kType. Errors: nvsp_msg_type/too_short,
// nvsp_msg_type/unexpected_value (value = the type found), nvsp_body/too_short
// (value = bytes the message needs).
template <MessageBody Body>
ParseResult<Body> parse(std::span<const std::byte> payload) noexcept {
  auto type = peek_type(payload);
  if (!type) return type.error();
  if (*type != Body::kType) return ParseError{Field::nvsp_msg_type, Violation::unexpected_value, raw(*type)};
  constexpr std::size_t needed = kHeaderSize + sizeof(Body);
  if (payload.size() < needed) return ParseError{Field::nvsp_body, Violation::too_short, needed};
  return wire::load<Body>(payload, kHeaderSize);
}

// What a guest checks in a successful receive-buffer completion before it
// trusts the host's ranges (netvsc_init_buf; DPDK hn_nvs_conn_rxbuf):
// exactly one section, at offset 0, with sections of non-zero size that all
// lie inside the `buffer_size` bytes the guest shared. Errors:
// recv_buf_num_sections/unexpected_value, recv_buf_section_offset/unexpected_value,
// recv_buf_sub_alloc_size/below_minimum, recv_buf_num_sub_allocs/out_of_bounds
// (value = the bytes they would span).
ParseStatus check_receive_buffer(const SendReceiveBufferComplete& done, std::uint32_t buffer_size) noexcept;

// The same for the send buffer: a section size that is non-zero, a multiple
// of 4 (DPDK hn_nvs_conn_chim) and no larger than the buffer. Errors:
// send_buf_section_size/below_minimum, /misaligned, /out_of_bounds.
ParseStatus check_send_buffer(const SendSendBufferComplete& done, std::uint32_t buffer_size) noexcept;

// The host's send indirection table: which subchannel to transmit on for
// each of 16 hash buckets (netvsc_select_queue: tx_table[hash & 15]).
struct SendTable {
  std::array<std::uint32_t, kSendIndirectionTableEntries> entries{};
};

// Parses SEND_INDIRECTION_TABLE as Linux's netvsc_send_table does: count
// must be 16; the entries sit `offset` bytes from the message start, except
// that hosts negotiating NVSP <= 6 send a wrong offset, so when the message
// is long enough to hold the table after a whole 40-byte nvsp_message, the
// table is read from there. Errors: those of parse<SendIndirectionTable>,
// send_table_count/unexpected_value, send_table_offset/below_minimum (the
// entries would overlap the 12-byte header), /overflow, /out_of_bounds.
ParseResult<SendTable> parse_send_indirection_table(std::span<const std::byte> payload, Version negotiated) noexcept;

// Host: writes SEND_INDIRECTION_TABLE as OpenVMM's VSP does: {134, count 16,
// offset 12, 16 entries}, 76 bytes, no padding. Returns the bytes written.
// Error: buffer_too_small (detail = 76).
vmbus::Result<std::uint32_t> encode_send_indirection_table(const SendTable& table, std::span<std::byte> out) noexcept;
inline constexpr std::uint32_t kSendIndirectionTableMessageSize =
    kHeaderSize + sizeof(SendIndirectionTable) + kSendIndirectionTableEntries * 4;

}  // namespace netvsc::nvsp
