// String-bearing parts of KVP messages: hv_kvp_exchg_msg_value keys and
// values, hv_kvp_msg_delete keys, hv_kvp_ipaddr_value strings.
#include "message_fields.h"

#include <array>
#include <cstring>

#include "kvp/protocol/wire.h"
#include "kvp/protocol/wire_string.h"

namespace kvp::detail {
namespace {

constexpr std::size_t kKeySizeAt = offsetof(ExchangeValue, key_size);
constexpr std::size_t kKeyAt = offsetof(ExchangeValue, key);
constexpr std::size_t kValueTypeAt = offsetof(ExchangeValue, value_type);
constexpr std::size_t kValueSizeAt = offsetof(ExchangeValue, value_size);
constexpr std::size_t kValueAt = offsetof(ExchangeValue, value);

// An hv_kvp_ipaddr_value string: its offset in the hv_kvp_ip_msg, its array
// size in bytes, its field.
struct IpString {
  std::size_t at;
  std::size_t bytes;
  Field field;
  std::string IpInfo::*member;
};
constexpr std::array<IpString, 5> kIpStrings{{
    {kIpValueOffset + offsetof(IpAddrValue, adapter_id), 2 * kMaxAdapterIdUnits, Field::adapter_id,
     &IpInfo::adapter_id},
    {kIpValueOffset + offsetof(IpAddrValue, ip_addr), 2 * kMaxIpAddrUnits, Field::ip_addr, &IpInfo::ip_addr},
    {kIpValueOffset + offsetof(IpAddrValue, sub_net), 2 * kMaxIpAddrUnits, Field::sub_net, &IpInfo::sub_net},
    {kIpValueOffset + offsetof(IpAddrValue, gate_way), 2 * kMaxGatewayUnits, Field::gate_way, &IpInfo::gate_way},
    {kIpValueOffset + offsetof(IpAddrValue, dns_addr), 2 * kMaxIpAddrUnits, Field::dns_addr, &IpInfo::dns_addr},
}};
constexpr std::size_t kAddrFamilyAt = kIpValueOffset + offsetof(IpAddrValue, addr_family);
constexpr std::size_t kDhcpAt = kIpValueOffset + offsetof(IpAddrValue, dhcp_enabled);

}  // namespace

FieldResult<std::string> read_sized(std::span<const std::byte> message, std::size_t size_at, std::size_t array_at,
                                    std::size_t capacity, Field size_field, Field text_field) {
  return decode_sized_string(message.subspan(array_at, capacity), wire::load<std::uint32_t>(message, size_at),
                             size_field, text_field);
}

FieldStatus write_sized(std::span<std::byte> message, std::size_t size_at, std::size_t array_at,
                        std::size_t capacity, std::string_view text, Field text_field) {
  std::array<std::byte, kMaxValueSize> scratch{};
  auto size = encode_sized_string(text, std::span(scratch).first(capacity), text_field);
  if (!size) return size.error();
  wire::store(message, size_at, *size);
  std::memcpy(message.data() + array_at, scratch.data(), capacity);
  return {};
}

FieldResult<std::string> read_exchange_key(std::span<const std::byte> message, std::size_t at) {
  return read_sized(message, at + kKeySizeAt, at + kKeyAt, kMaxKeySize, Field::key_size, Field::key);
}

FieldStatus write_exchange_key(std::span<std::byte> message, std::size_t at, std::string_view key) {
  return write_sized(message, at + kKeySizeAt, at + kKeyAt, kMaxKeySize, key, Field::key);
}

FieldResult<SetValue> read_exchange_value(std::span<const std::byte> message, std::size_t at) {
  const auto type = wire::load<std::uint32_t>(message, at + kValueTypeAt);
  const auto size = wire::load<std::uint32_t>(message, at + kValueSizeAt);
  const auto value = message.subspan(at + kValueAt, kMaxValueSize);
  if (type == kRegSz) {
    auto text = decode_sized_string(value, size, Field::value_size, Field::value);
    if (!text) return text.error();
    return SetValue::string(std::move(*text));
  }
  if (type != kRegU32 && type != kRegU64) return FieldError{Field::value_type, Violation::unexpected_value, type};
  // kvp_send_key reads value_u32 / value_u64 and ignores value_size; a size
  // that does not even cover the integer is still a broken message.
  const std::uint32_t width = type == kRegU32 ? 4 : 8;
  if (size < width) return FieldError{Field::value_size, Violation::below_minimum, size};
  if (size > kMaxValueSize) return FieldError{Field::value_size, Violation::above_maximum, size};
  if (type == kRegU32) return SetValue::u32(wire::load<std::uint32_t>(value));
  return SetValue::u64(wire::load<std::uint64_t>(value));
}

FieldStatus write_exchange_value(std::span<std::byte> message, std::size_t at, const SetValue& value) {
  if (value.type == kRegSz) {
    if (auto s = write_sized(message, at + kValueSizeAt, at + kValueAt, kMaxValueSize, value.text, Field::value); !s) {
      return s;
    }
  } else if (value.type == kRegU32 || value.type == kRegU64) {
    std::array<std::byte, kMaxValueSize> field{};
    std::uint32_t width = 8;
    if (value.type == kRegU32) {
      if (value.number > 0xffffffffu) return FieldError{Field::value, Violation::above_maximum, value.number};
      wire::store(std::span(field), 0, static_cast<std::uint32_t>(value.number));
      width = 4;
    } else {
      wire::store(std::span(field), 0, value.number);
    }
    wire::store(message, at + kValueSizeAt, width);
    std::memcpy(message.data() + at + kValueAt, field.data(), field.size());
  } else {
    return FieldError{Field::value_type, Violation::unexpected_value, value.type};
  }
  wire::store(message, at + kValueTypeAt, value.type);
  return {};
}

FieldResult<IpInfo> read_ip_info(std::span<const std::byte> message, bool full) {
  IpInfo info;
  info.addr_family = wire::load<std::uint8_t>(message, kAddrFamilyAt);
  for (const IpString& s : kIpStrings) {
    if (!full && s.field != Field::adapter_id) continue;
    auto text = decode_terminated_string(message.subspan(s.at, s.bytes), s.field);
    if (!text) return text.error();
    info.*s.member = std::move(*text);
  }
  if (full) info.dhcp_enabled = wire::load<std::uint8_t>(message, kDhcpAt);
  return info;
}

FieldStatus write_ip_info(std::span<std::byte> message, const IpInfo& info) {
  // Everything is encoded into a scratch hv_kvp_ip_msg first, then copied.
  std::array<std::byte, sizeof(IpMessage)> scratch{};
  for (const IpString& s : kIpStrings) {
    auto size = encode_sized_string(info.*s.member, std::span(scratch).subspan(s.at, s.bytes), s.field);
    if (!size) return size.error();
  }
  std::memcpy(message.data() + kIpValueOffset, scratch.data() + kIpValueOffset, sizeof(IpAddrValue));
  wire::store(message, kAddrFamilyAt, info.addr_family);
  wire::store(message, kDhcpAt, info.dhcp_enabled);
  return {};
}

}  // namespace kvp::detail
