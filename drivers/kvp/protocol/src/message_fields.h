// Reading and writing the string-bearing parts of KVP messages at their
// offsets (kvp_msg.h), shared by the guest's parser and reply writers and
// the host's builders and reply parsers. Writers encode into scratch space
// first, so a string that cannot travel leaves the message untouched.
// Internal to kvp_protocol.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "kvp/protocol/field_error.h"
#include "kvp/protocol/requests.h"

namespace kvp::detail {

// A sized string whose u32 size sits at `size_at` and whose `capacity`-byte
// array sits at `array_at` in `message`. Precondition: both lie inside it.
FieldResult<std::string> read_sized(std::span<const std::byte> message, std::size_t size_at, std::size_t array_at,
                                    std::size_t capacity, Field size_field, Field text_field);
FieldStatus write_sized(std::span<std::byte> message, std::size_t size_at, std::size_t array_at,
                        std::size_t capacity, std::string_view text, Field text_field);

// The key of the hv_kvp_exchg_msg_value at `at`.
FieldResult<std::string> read_exchange_key(std::span<const std::byte> message, std::size_t at);
FieldStatus write_exchange_key(std::span<std::byte> message, std::size_t at, std::string_view key);

// The typed value (value_type, value_size, value) of the
// hv_kvp_exchg_msg_value at `at`.
FieldResult<SetValue> read_exchange_value(std::span<const std::byte> message, std::size_t at);
FieldStatus write_exchange_value(std::span<std::byte> message, std::size_t at, const SetValue& value);

// The hv_kvp_ipaddr_value of an hv_kvp_ip_msg. `full` = false reads only
// adapter_id and addr_family (all a GET_IP_INFO request carries).
FieldResult<IpInfo> read_ip_info(std::span<const std::byte> message, bool full);
FieldStatus write_ip_info(std::span<std::byte> message, const IpInfo& info);

}  // namespace kvp::detail
