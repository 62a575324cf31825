// RNDIS control messages: request and reply builders, and their parsers.
#include "netvsc/protocol/rndis_control.h"

#include <algorithm>
#include <cstring>

namespace netvsc::rndis {
namespace {

// An information or status buffer at (offset, length) in a body of `limit`
// bytes, which must start at or after `min_offset` (the end of the fixed
// struct). An empty buffer is accepted wherever its offset points.
ParseResult<std::span<const std::byte>> buffer_in(std::span<const std::byte> body, std::uint32_t offset,
                                                  std::uint32_t length, std::uint32_t min_offset) noexcept {
  if (length == 0) return std::span<const std::byte>{};
  const std::uint64_t limit = body.size();
  if (offset < min_offset) return ParseError{Field::rndis_info_offset, Violation::below_minimum, offset};
  if (offset > limit) return ParseError{Field::rndis_info_offset, Violation::out_of_bounds, offset};
  if (std::uint64_t{offset} + length > 0xffffffffu) return ParseError{Field::rndis_info_length, Violation::overflow, length};
  if (length > limit - offset) return ParseError{Field::rndis_info_length, Violation::out_of_bounds, length};
  return body.subspan(offset, length);
}

// QUERY and SET share a layout.
template <typename Request>
ParseResult<InfoRequest> parse_info_request(const MessageView& m) noexcept {
  auto r = parse_body<Request>(m);
  if (!r) return r.error();
  auto info = buffer_in(m.body(), r->info_buf_offset, r->info_buflen, kRequestInfoOffset);
  if (!info) return info.error();
  return InfoRequest{r->req_id, static_cast<ndis::Oid>(r->oid), *info};
}

template <typename Request>
vmbus::Result<std::uint32_t> write_info_request(std::uint32_t req_id, ndis::Oid oid, std::span<const std::byte> info,
                                                std::span<std::byte> out) noexcept {
  if (info.size() > 0xffffffffu - kHeaderSize - sizeof(Request)) {
    return vmbus::Error{vmbus::Errc::packet_too_large, info.size()};
  }
  const Request r{req_id, ndis::raw(oid), static_cast<std::uint32_t>(info.size()), kRequestInfoOffset, 0};
  return write_message(r, info, out);
}

}  // namespace

vmbus::Result<std::uint32_t> write_initialize(std::uint32_t req_id, std::span<std::byte> out,
                                              std::uint32_t max_xfer_size) noexcept {
  return write_message(InitializeRequest{req_id, kVersionMajor, kVersionMinor, max_xfer_size}, {}, out);
}

vmbus::Result<std::uint32_t> write_halt(std::uint32_t req_id, std::span<std::byte> out) noexcept {
  return write_message(HaltRequest{req_id}, {}, out);
}

vmbus::Result<std::uint32_t> write_query(std::uint32_t req_id, ndis::Oid oid, std::span<const std::byte> info,
                                         std::span<std::byte> out) noexcept {
  return write_info_request<QueryRequest>(req_id, oid, info, out);
}

vmbus::Result<std::uint32_t> write_set(std::uint32_t req_id, ndis::Oid oid, std::span<const std::byte> info,
                                       std::span<std::byte> out) noexcept {
  return write_info_request<SetRequest>(req_id, oid, info, out);
}

vmbus::Result<std::uint32_t> write_reset(std::span<std::byte> out) noexcept {
  return write_message(ResetRequest{0}, {}, out);
}

vmbus::Result<std::uint32_t> write_keepalive(std::uint32_t req_id, std::span<std::byte> out) noexcept {
  return write_message(KeepaliveRequest{req_id}, {}, out);
}

InitializeComplete initialize_complete(std::uint32_t req_id, std::uint32_t status, std::uint32_t max_pkt_per_msg,
                                       std::uint32_t max_xfer_size, std::uint32_t pkt_alignment_factor) noexcept {
  InitializeComplete c{};
  c.req_id = req_id;
  c.status = status;
  c.major_ver = kVersionMajor;
  c.minor_ver = kVersionMinor;
  c.dev_flags = kDeviceFlagConnectionless;
  c.medium = kMedium802_3;
  c.max_pkt_per_msg = max_pkt_per_msg;
  c.max_xfer_size = max_xfer_size;
  c.pkt_alignment_factor = pkt_alignment_factor;
  return c;
}

vmbus::Result<std::uint32_t> write_initialize_complete(const InitializeComplete& done, std::span<std::byte> out) noexcept {
  return write_message(done, {}, out);
}

vmbus::Result<std::uint32_t> write_query_complete(std::uint32_t req_id, std::uint32_t status,
                                                  std::span<const std::byte> info, std::span<std::byte> out) noexcept {
  if (info.size() > 0xffffffffu - kHeaderSize - sizeof(QueryComplete)) {
    return vmbus::Error{vmbus::Errc::packet_too_large, info.size()};
  }
  const QueryComplete c{req_id, status, static_cast<std::uint32_t>(info.size()), kQueryCompleteInfoOffset};
  return write_message(c, info, out);
}

vmbus::Result<std::uint32_t> write_set_complete(std::uint32_t req_id, std::uint32_t status,
                                                std::span<std::byte> out) noexcept {
  return write_message(SetComplete{req_id, status}, {}, out);
}

vmbus::Result<std::uint32_t> write_reset_complete(std::uint32_t status, std::uint32_t addressing_reset,
                                                  std::span<std::byte> out) noexcept {
  return write_message(ResetComplete{status, addressing_reset}, {}, out);
}

vmbus::Result<std::uint32_t> write_keepalive_complete(std::uint32_t req_id, std::uint32_t status,
                                                      std::span<std::byte> out) noexcept {
  return write_message(KeepaliveComplete{req_id, status}, {}, out);
}

vmbus::Result<std::uint32_t> write_indicate_status(std::uint32_t status, std::span<const std::byte> buffer,
                                                   std::span<std::byte> out) noexcept {
  if (buffer.size() > 0xffffffffu - kHeaderSize - sizeof(IndicateStatus)) {
    return vmbus::Error{vmbus::Errc::packet_too_large, buffer.size()};
  }
  const IndicateStatus s{status, static_cast<std::uint32_t>(buffer.size()), buffer.empty() ? 0u : kStatusBufferOffset};
  return write_message(s, buffer, out);
}

ParseResult<InitializeComplete> parse_initialize_complete(const MessageView& m) noexcept {
  if (m.type != raw(MessageType::initialize_complete)) {
    return ParseError{Field::rndis_msg_type, Violation::unexpected_value, m.type};
  }
  if (m.length() < kInitializeCompleteMinSize) {
    return ParseError{Field::rndis_msg_len, Violation::too_short, m.length()};
  }
  InitializeComplete c{};
  std::memcpy(&c, m.body().data(), std::min<std::size_t>(sizeof c, m.body().size()));
  return c;
}

ParseResult<InfoReply> parse_query_complete(const MessageView& m) noexcept {
  auto c = parse_body<QueryComplete>(m);
  if (!c) return c.error();
  auto info = buffer_in(m.body(), c->info_buf_offset, c->info_buflen, kQueryCompleteInfoOffset);
  if (!info) return info.error();
  return InfoReply{c->req_id, c->status, *info};
}

ParseResult<StatusIndication> parse_indicate_status(const MessageView& m) noexcept {
  auto s = parse_body<IndicateStatus>(m);
  if (!s) return s.error();
  auto buffer = buffer_in(m.body(), s->status_buf_offset, s->status_buflen, kStatusBufferOffset);
  if (!buffer) return buffer.error();
  return StatusIndication{s->status, *buffer};
}

std::optional<std::uint32_t> link_speed(const StatusIndication& s) noexcept {
  if (s.status != status::kLinkSpeedChange || s.buffer.size() < sizeof(std::uint32_t)) return std::nullopt;
  return wire::load<std::uint32_t>(s.buffer);
}

ParseResult<InfoRequest> parse_query_request(const MessageView& m) noexcept {
  return parse_info_request<QueryRequest>(m);
}

ParseResult<InfoRequest> parse_set_request(const MessageView& m) noexcept {
  return parse_info_request<SetRequest>(m);
}

}  // namespace netvsc::rndis
