// File: netvsc/protocol/rndis_control.h
//
// RNDIS control messages: builders for what the guest sends (INITIALIZE,
// QUERY, SET, HALT, RESET, KEEPALIVE) and what the host answers (the
// completions and INDICATE_STATUS), and parsers for both directions. All
// write into a caller's buffer and return the bytes written (= msg_len);
// nothing allocates.
//
// Layout rules, as Linux builds them (rndis_filter.c) and DPDK checks them
// (hn_rndis.c): a request's information buffer follows its struct, so
// info_buf_offset = 20 (RNDIS_QUERY_REQ_INFOBUFOFFSET, counted from +8); a
// query completion's follows its 16-byte struct (info_buf_offset = 16), and
// an INDICATE_STATUS buffer its 12-byte struct (status_buf_offset = 12).
// Parsers require a buffer's offset to clear the struct and its
// offset + length to stay inside msg_len (rndis_filter_query_device,
// rndis_set_link_state, netvsc_linkstatus_callback; DPDK hn_rndis_query).
// The parsers for fixed-size messages with no buffer are parse_body<Body>
// (rndis_message.h): SetComplete, ResetComplete, KeepaliveComplete,
// InitializeRequest, HaltRequest, ResetRequest, KeepaliveRequest.
//
// Usage (guest):
//   auto n = netvsc::rndis::write_query(id, netvsc::ndis::Oid::gen_media_connect_status, {}, buf);
//   send_control(buf.first(*n));
//   ...
//   auto reply = netvsc::rndis::parse_query_complete(*netvsc::rndis::frame(range));
//   if (reply && reply->status == netvsc::rndis::status::kSuccess) use(reply->info);
//
// Usage (host):
//   auto q = netvsc::rndis::parse_query_request(message);
//   auto n = netvsc::rndis::write_query_complete(q->req_id, status::kSuccess, answer, out);
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "netvsc/protocol/ndis_oids.h"
#include "netvsc/protocol/parse_error.h"
#include "netvsc/protocol/rndis.h"
#include "netvsc/protocol/rndis_message.h"
#include "vmbus/result.h"

namespace netvsc::rndis {

// Where an information buffer starts, counted from +8 (see the file comment).
inline constexpr std::uint32_t kRequestInfoOffset = sizeof(QueryRequest);     // 20
inline constexpr std::uint32_t kQueryCompleteInfoOffset = sizeof(QueryComplete);  // 16
inline constexpr std::uint32_t kStatusBufferOffset = sizeof(IndicateStatus);  // 12

// --- Guest -> host requests. Errors: buffer_too_small (detail = bytes needed). ---

// REMOTE_NDIS_INITIALIZE_MSG {req_id, 1, 0, max_xfer_size}: 24 bytes.
vmbus::Result<std::uint32_t> write_initialize(std::uint32_t req_id, std::span<std::byte> out,
                                              std::uint32_t max_xfer_size = kGuestMaxTransferSize) noexcept;
// REMOTE_NDIS_HALT_MSG: 12 bytes.
vmbus::Result<std::uint32_t> write_halt(std::uint32_t req_id, std::span<std::byte> out) noexcept;
// REMOTE_NDIS_QUERY_MSG: 28 bytes + `info`. Linux sends an empty buffer for
// most OIDs but an NDIS object header for OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES
// and OID_GEN_RECEIVE_SCALE_CAPABILITIES (ndis_objects.h builds those).
vmbus::Result<std::uint32_t> write_query(std::uint32_t req_id, ndis::Oid oid, std::span<const std::byte> info,
                                         std::span<std::byte> out) noexcept;
// REMOTE_NDIS_SET_MSG: 28 bytes + `info`.
vmbus::Result<std::uint32_t> write_set(std::uint32_t req_id, ndis::Oid oid, std::span<const std::byte> info,
                                       std::span<std::byte> out) noexcept;
// REMOTE_NDIS_RESET_MSG: 12 bytes.
vmbus::Result<std::uint32_t> write_reset(std::span<std::byte> out) noexcept;
// REMOTE_NDIS_KEEPALIVE_MSG: 12 bytes.
vmbus::Result<std::uint32_t> write_keepalive(std::uint32_t req_id, std::span<std::byte> out) noexcept;

// --- Host -> guest replies and indications. ---

// What a host typically answers to INITIALIZE: RNDIS 1.0, connectionless
// 802.3, and the aggregation limits a guest adopts (DPDK hn_rndis_init:
// max_pkt_per_msg, max_xfer_size, 1 << pkt_alignment_factor).
InitializeComplete initialize_complete(std::uint32_t req_id, std::uint32_t status, std::uint32_t max_pkt_per_msg,
                                       std::uint32_t max_xfer_size, std::uint32_t pkt_alignment_factor) noexcept;
// REMOTE_NDIS_INITIALIZE_CMPLT: 52 bytes.
vmbus::Result<std::uint32_t> write_initialize_complete(const InitializeComplete& done, std::span<std::byte> out) noexcept;
// REMOTE_NDIS_QUERY_CMPLT: 24 bytes + `info`, info_buf_offset 16 (also when
// empty: Linux rejects a completion whose offset points into the struct).
vmbus::Result<std::uint32_t> write_query_complete(std::uint32_t req_id, std::uint32_t status,
                                                  std::span<const std::byte> info, std::span<std::byte> out) noexcept;
// REMOTE_NDIS_SET_CMPLT: 16 bytes.
vmbus::Result<std::uint32_t> write_set_complete(std::uint32_t req_id, std::uint32_t status,
                                                std::span<std::byte> out) noexcept;
// REMOTE_NDIS_RESET_CMPLT: 16 bytes.
vmbus::Result<std::uint32_t> write_reset_complete(std::uint32_t status, std::uint32_t addressing_reset,
                                                  std::span<std::byte> out) noexcept;
// REMOTE_NDIS_KEEPALIVE_CMPLT: 16 bytes.
vmbus::Result<std::uint32_t> write_keepalive_complete(std::uint32_t req_id, std::uint32_t status,
                                                      std::span<std::byte> out) noexcept;
// REMOTE_NDIS_INDICATE_STATUS_MSG: 20 bytes + `buffer` (status_buf_offset 12,
// or 0 with no buffer). LINK_SPEED_CHANGE carries a u32 in 100 bps units.
vmbus::Result<std::uint32_t> write_indicate_status(std::uint32_t status, std::span<const std::byte> buffer,
                                                   std::span<std::byte> out) noexcept;

// --- Parsers. Each takes a framed message (frame(), rndis_message.h). ---

// A request or completion with an information buffer.
struct InfoRequest {
  std::uint32_t req_id = 0;
  ndis::Oid oid{};
  std::span<const std::byte> info;
};
struct InfoReply {
  std::uint32_t req_id = 0;
  std::uint32_t status = 0;
  std::span<const std::byte> info;
};
struct StatusIndication {
  std::uint32_t status = 0;
  std::span<const std::byte> buffer;
};

// Guest: REMOTE_NDIS_INITIALIZE_CMPLT. Accepts a message that stops before
// af_list_size (DPDK RNDIS_INIT_COMP_SIZE_MIN, 48 bytes); missing fields read
// 0. Errors: rndis_msg_type/unexpected_value, rndis_msg_len/too_short.
ParseResult<InitializeComplete> parse_initialize_complete(const MessageView& m) noexcept;
// Guest: REMOTE_NDIS_QUERY_CMPLT. Errors: as parse_body, and when
// info_buflen != 0: rndis_info_offset/below_minimum (< 16),
// rndis_info_offset/out_of_bounds, rndis_info_length/overflow,
// rndis_info_length/out_of_bounds.
ParseResult<InfoReply> parse_query_complete(const MessageView& m) noexcept;
// Guest: REMOTE_NDIS_INDICATE_STATUS_MSG; the same buffer checks, minimum
// offset 12.
ParseResult<StatusIndication> parse_indicate_status(const MessageView& m) noexcept;
// The new speed of a LINK_SPEED_CHANGE indication, in 100 bps units
// (netvsc_linkstatus_callback divides by 10000 for Mbps); nullopt for any
// other status or a buffer shorter than 4 bytes.
std::optional<std::uint32_t> link_speed(const StatusIndication& s) noexcept;

// Host: REMOTE_NDIS_QUERY_MSG and REMOTE_NDIS_SET_MSG; the same buffer
// checks, minimum offset 20.
ParseResult<InfoRequest> parse_query_request(const MessageView& m) noexcept;
ParseResult<InfoRequest> parse_set_request(const MessageView& m) noexcept;

}  // namespace netvsc::rndis
