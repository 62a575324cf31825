// File: kvp/protocol/field_error.h
//
// What the KVP protocol library says when bytes or strings break the
// protocol: the field that is wrong, how it is wrong, and the offending value
// (or, for encoding faults, the byte position in the string). Every check
// fails with its own (field, violation) pair, so a test or a log line names
// the exact rule that was broken.
//
// Parsers of the peer's bytes fail with these (corruption in the SDK's
// sense, vmbus/result.h: `to_error()` maps one onto Errc::malformed_packet).
// Builders fail with the same type when the caller's string cannot travel
// (a key longer than 512 bytes in UTF-16, invalid UTF-8, a buffer too small):
// the field then names the part of the message it would not fit.
//
// Usage:
//   kvp::FieldResult<kvp::guest::Request> r = kvp::guest::parse_request(message.body);
//   if (!r) {
//     log(r.error().message());  // "hv_kvp_exchg_msg_value.key_size: odd size (value 11)"
//     return reply_status(packet, kvp::ic::kHvEFail);
//   }
#pragma once

#include <cstdint>
#include <string>

#include "vmbus/result.h"

namespace kvp {

// The field a parser or builder rejected. Names follow Linux's structs
// (include/linux/hyperv.h, include/uapi/linux/hyperv.h).
enum class Field : std::uint8_t {
  // IC framing (vmbuspipe_hdr + icmsg_hdr).
  ic_packet,        // the inband payload: shorter than ICMSG_HDR, or longer than 16 KiB
  icmsgsize,        // icmsg_hdr.icmsgsize reaches past the payload
  icmsgtype,        // not the message type expected
  icflags,          // a reply without ICMSGHDRFLAG_RESPONSE
  // Version negotiation (struct icmsg_negotiate).
  icmsg_negotiate,  // the payload ends before the two counts
  icframe_vercnt,   // above IC_VERSION_NEGOTIATION_MAX_VER_COUNT, or not 0/1 in a reply
  icmsg_vercnt,
  icversion_data,   // the versions the counts announce reach past the payload
  // KVP messages (struct hv_kvp_msg, struct hv_kvp_ip_msg).
  kvp_operation,    // hv_kvp_hdr.operation: not one of KVP_OP_GET .. KVP_OP_SET_IP_INFO
  kvp_pool,         // hv_kvp_hdr.pool: not below KVP_POOL_COUNT
  kvp_message,      // the message ends before the operation's struct does
  value_type,       // hv_kvp_exchg_msg_value.value_type: not REG_SZ, REG_U32 or REG_U64
  key_size,         // hv_kvp_exchg_msg_value.key_size
  key,              // hv_kvp_exchg_msg_value.key
  value_size,       // hv_kvp_exchg_msg_value.value_size
  value,            // hv_kvp_exchg_msg_value.value
  delete_key_size,  // hv_kvp_msg_delete.key_size
  delete_key,       // hv_kvp_msg_delete.key
  adapter_id,       // hv_kvp_ipaddr_value.adapter_id
  addr_family,      // hv_kvp_ipaddr_value.addr_family
  ip_addr,          // hv_kvp_ipaddr_value.ip_addr
  sub_net,          // hv_kvp_ipaddr_value.sub_net
  gate_way,         // hv_kvp_ipaddr_value.gate_way
  dns_addr,         // hv_kvp_ipaddr_value.dns_addr
  // Builders.
  output_buffer,    // the caller's buffer is smaller than the message; value = bytes needed
};

// How the field is wrong. For the last group `value` is a byte position in
// the string (UTF-16 or UTF-8, whichever was being read), not a size.
enum class Violation : std::uint8_t {
  too_short,         // the bytes end before the field or struct does
  above_maximum,     // larger than the protocol allows
  below_minimum,     // smaller than the protocol allows (a size of 0 has no room for the NUL)
  unexpected_value,  // a type, operation, count or flag other than the ones allowed
  out_of_bounds,     // reaches past the payload that contains it
  odd_size,          // a UTF-16 size that is not a whole number of 2-byte units
  // Strings; value = byte position.
  missing_nul,              // the last unit the size covers (or the whole array) has no NUL
  embedded_nul,             // a NUL before the end: the rest would be silently cut off
  unpaired_high_surrogate,  // 0xD800..0xDBFF not followed by 0xDC00..0xDFFF
  unpaired_low_surrogate,   // 0xDC00..0xDFFF without a high surrogate before it
  invalid_utf8_lead,        // a byte that cannot start a UTF-8 sequence (0x80..0xC1, 0xF5..0xFF)
  invalid_utf8_continuation,  // a sequence byte that is not 0x80..0xBF
  truncated_utf8,           // the string ends inside a sequence
  overlong_utf8,            // a sequence longer than the code point needs
  utf8_surrogate,           // UTF-8 for U+D800..U+DFFF
  utf8_above_max,           // a code point above U+10FFFF
};

// True for the violations whose value is a byte position.
constexpr bool is_position(Violation v) noexcept {
  return v >= Violation::missing_nul;
}

struct FieldError {
  Field field;
  Violation violation;
  std::uint64_t value = 0;  // the offending value, or the byte position (is_position)

  // "hv_kvp_exchg_msg_value.key_size" and the like.
  const char* field_name() const noexcept;
  const char* violation_name() const noexcept;
  // "<field>: <violation> (value N)" or "(at byte N)". Allocates: not for hot paths.
  std::string message() const;
  // The SDK's view of a parse failure: corruption, detail = the value.
  vmbus::Error to_error() const noexcept { return {vmbus::Errc::malformed_packet, value}; }
  friend bool operator==(const FieldError&, const FieldError&) = default;
};

// A value or the FieldError naming what was wrong: vmbus::Result's shape
// with this library's error.
template <typename T>
using FieldResult = vmbus::BasicResult<T, FieldError>;

// Success or a FieldError, with no value.
using FieldStatus = vmbus::BasicStatus<FieldError>;

}  // namespace kvp
