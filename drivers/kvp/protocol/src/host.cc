// The host's side of KVP: requests framed as OpenVMM's KVP host sends them,
// replies checked against what was sent.
#include "kvp/protocol/host.h"

#include <array>

#include "kvp/protocol/ic_message.h"
#include "kvp/protocol/wire.h"
#include "message_fields.h"

namespace kvp::host {
namespace {

// Fills `message` (zeroed, request_message_size bytes) with the fields of one request.
struct MessageWriter {
  std::span<std::byte> message;

  FieldStatus operator()(const GetRequest& r) const {
    return detail::write_exchange_key(message, kExchangeValueOffset, r.key);
  }
  FieldStatus operator()(const SetRequest& r) const {
    if (auto s = detail::write_exchange_key(message, kExchangeValueOffset, r.key); !s) return s;
    return detail::write_exchange_value(message, kExchangeValueOffset, r.value);
  }
  FieldStatus operator()(const DeleteRequest& r) const {
    return detail::write_sized(message, kKvpBodyOffset + offsetof(DeleteBody, key_size),
                               kKvpBodyOffset + offsetof(DeleteBody, key), kMaxKeySize, r.key, Field::delete_key);
  }
  FieldStatus operator()(const EnumerateRequest& r) const {
    wire::store(message, kKvpBodyOffset, r.index);
    return {};
  }
  FieldStatus operator()(const GetIpInfoRequest& r) const {
    IpInfo info;
    info.adapter_id = r.adapter_id;
    info.addr_family = r.addr_family;
    return detail::write_ip_info(message, info);
  }
  FieldStatus operator()(const SetIpInfoRequest& r) const { return detail::write_ip_info(message, r.info); }
};

// The reply's KVP message, checked to answer `op` and to hold its struct.
FieldResult<StatusReply> reply_for(std::span<const std::byte> payload, Operation op) noexcept {
  auto m = ic::parse_ic_response(payload, ic::MessageType::kvp_exchange);
  if (!m) return m.error();
  const std::span<const std::byte> message = m->body;
  const std::size_t needed = message_size_for(op);
  if (message.size() < needed) return FieldError{Field::kvp_message, Violation::too_short, needed};
  const auto found = wire::load<std::uint8_t>(message, offsetof(KvpHeader, operation));
  if (found != raw(op)) return FieldError{Field::kvp_operation, Violation::unexpected_value, found};
  return StatusReply{m->header.status, message};
}

}  // namespace

FieldResult<std::size_t> write_request(std::span<std::byte> out, const Request& request,
                                       const ic::NegotiatedVersions& versions, std::uint8_t transaction_id) {
  const Operation op = operation_of(request);
  const std::size_t size = request_message_size(op);
  std::array<std::byte, kIpMessageSize> message{};
  const std::span<std::byte> body = std::span(message).first(size);
  // hv_kvp_hdr / the first two bytes of hv_kvp_ip_msg; the pad stays 0.
  wire::store(body, offsetof(KvpHeader, operation), raw(op));
  wire::store(body, offsetof(KvpHeader, pool), raw(pool_of(request)));
  if (auto s = std::visit(MessageWriter{body}, request); !s) return s.error();
  return ic::write_ic_message(
      out, ic::request_header(ic::MessageType::kvp_exchange, versions.framework, versions.service, transaction_id),
      body);
}

FieldResult<StatusReply> parse_status_reply(std::span<const std::byte> payload, Operation op) noexcept {
  return reply_for(payload, op);
}

FieldResult<EnumerateReply> parse_enumerate_reply(std::span<const std::byte> payload) {
  auto r = reply_for(payload, Operation::enumerate);
  if (!r) return r.error();
  EnumerateReply reply{r->status, std::nullopt};
  if (r->status != ic::kHvSOk) return reply;
  auto key = detail::read_exchange_key(r->message, kEnumerateValueOffset);
  if (!key) return key.error();
  auto value = detail::read_exchange_value(r->message, kEnumerateValueOffset);
  if (!value) return value.error();
  reply.entry = KeyValue{std::move(*key), std::move(*value)};
  return reply;
}

FieldResult<GetReply> parse_get_reply(std::span<const std::byte> payload) {
  auto r = reply_for(payload, Operation::get);
  if (!r) return r.error();
  GetReply reply{r->status, std::nullopt};
  if (r->status != ic::kHvSOk) return reply;
  auto value = detail::read_exchange_value(r->message, kExchangeValueOffset);
  if (!value) return value.error();
  reply.value = std::move(*value);
  return reply;
}

FieldResult<IpInfoReply> parse_get_ip_info_reply(std::span<const std::byte> payload) {
  auto r = reply_for(payload, Operation::get_ip_info);
  if (!r) return r.error();
  IpInfoReply reply{r->status, std::nullopt};
  if (r->status != ic::kHvSOk) return reply;
  auto info = detail::read_ip_info(r->message, /*full=*/true);
  if (!info) return info.error();
  reply.info = std::move(*info);
  return reply;
}

}  // namespace kvp::host
