// The guest's side of KVP: hv_kvp.c's kvp_send_key (reading the host's
// request) and kvp_respond_to_host (answering in place), without its silent
// truncations.
#include "kvp/protocol/guest.h"

#include <array>
#include <cstring>

#include "kvp/protocol/ic_message.h"
#include "kvp/protocol/wire.h"
#include "message_fields.h"

namespace kvp::guest {
namespace {

// The two header bytes every KVP message starts with (hv_kvp_hdr and
// hv_kvp_ip_msg alike).
constexpr std::size_t kOpAndPool = 2;

// The KVP message inside a whole IC payload, if it holds operation `op`.
FieldResult<std::span<std::byte>> reply_message(std::span<std::byte> payload, Operation op) noexcept {
  const std::size_t needed = ic::kIcMsgHdr + message_size_for(op);
  if (payload.size() < needed) return FieldError{Field::kvp_message, Violation::too_short, needed};
  const std::span<std::byte> message = payload.subspan(ic::kIcMsgHdr);
  const auto found = wire::load<std::uint8_t>(message, offsetof(KvpHeader, operation));
  if (found != raw(op)) return FieldError{Field::kvp_operation, Violation::unexpected_value, found};
  return message;
}

}  // namespace

FieldResult<Request> parse_request(std::span<const std::byte> message) {
  if (message.size() < kOpAndPool) return FieldError{Field::kvp_message, Violation::too_short, kOpAndPool};
  const auto op_raw = wire::load<std::uint8_t>(message, offsetof(KvpHeader, operation));
  const auto pool_raw = wire::load<std::uint8_t>(message, offsetof(KvpHeader, pool));
  if (op_raw >= kOperationCount) return FieldError{Field::kvp_operation, Violation::unexpected_value, op_raw};
  // hv_kvp_daemon indexes kvp_file_info[pool] with the host's byte unchecked.
  if (pool_raw >= kPoolCount) return FieldError{Field::kvp_pool, Violation::above_maximum, pool_raw};
  const auto op = static_cast<Operation>(op_raw);
  const auto pool = static_cast<Pool>(pool_raw);
  const std::size_t needed = message_size_for(op);
  if (message.size() < needed) return FieldError{Field::kvp_message, Violation::too_short, needed};

  switch (op) {
    case Operation::get: {
      auto key = detail::read_exchange_key(message, kExchangeValueOffset);
      if (!key) return key.error();
      return Request{GetRequest{pool, std::move(*key)}};
    }
    case Operation::set: {
      auto key = detail::read_exchange_key(message, kExchangeValueOffset);
      if (!key) return key.error();
      auto value = detail::read_exchange_value(message, kExchangeValueOffset);
      if (!value) return value.error();
      return Request{SetRequest{pool, std::move(*key), std::move(*value)}};
    }
    case Operation::delete_key: {
      auto key = detail::read_sized(message, kKvpBodyOffset + offsetof(DeleteBody, key_size),
                                    kKvpBodyOffset + offsetof(DeleteBody, key), kMaxKeySize, Field::delete_key_size,
                                    Field::delete_key);
      if (!key) return key.error();
      return Request{DeleteRequest{pool, std::move(*key)}};
    }
    case Operation::enumerate:
      return Request{EnumerateRequest{pool, wire::load<std::uint32_t>(message, kKvpBodyOffset)}};
    case Operation::get_ip_info: {
      // process_ib_ipinfo(KVP_OP_GET_IP_INFO): adapter_id and addr_family only.
      auto info = detail::read_ip_info(message, /*full=*/false);
      if (!info) return info.error();
      return Request{GetIpInfoRequest{pool, std::move(info->adapter_id), info->addr_family}};
    }
    case Operation::set_ip_info: {
      auto info = detail::read_ip_info(message, /*full=*/true);
      if (!info) return info.error();
      return Request{SetIpInfoRequest{pool, std::move(*info)}};
    }
  }
  return FieldError{Field::kvp_operation, Violation::unexpected_value, op_raw};
}

FieldStatus fill_get_reply(std::span<std::byte> payload, std::string_view value) {
  auto message = reply_message(payload, Operation::get);
  if (!message) return message.error();
  // kvp_respond_to_host, KVP_OP_GET: "goto copy_value"; the key stays as sent.
  if (auto s = detail::write_exchange_value(*message, kExchangeValueOffset, SetValue::string(std::string(value))); !s) {
    return s;
  }
  return ic::make_response(payload, ic::kHvSOk);
}

FieldStatus fill_enumerate_reply(std::span<std::byte> payload, std::string_view key, std::string_view value) {
  auto message = reply_message(payload, Operation::enumerate);
  if (!message) return message.error();
  // Encode both before writing either, so a failure leaves the request as it was.
  std::array<std::byte, kEnumerateMessageSize> scratch{};
  std::memcpy(scratch.data(), message->data(), scratch.size());
  if (auto s = detail::write_exchange_key(scratch, kEnumerateValueOffset, key); !s) return s;
  if (auto s = detail::write_exchange_value(scratch, kEnumerateValueOffset, SetValue::string(std::string(value))); !s) {
    return s;
  }
  std::memcpy(message->data(), scratch.data(), scratch.size());
  return ic::make_response(payload, ic::kHvSOk);
}

FieldStatus fill_get_ip_info_reply(std::span<std::byte> payload, const IpInfo& info) {
  auto message = reply_message(payload, Operation::get_ip_info);
  if (!message) return message.error();
  if (auto s = detail::write_ip_info(*message, info); !s) return s;
  return ic::make_response(payload, ic::kHvSOk);
}

}  // namespace kvp::guest
