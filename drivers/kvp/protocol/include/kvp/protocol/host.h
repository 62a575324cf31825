// File: kvp/protocol/host.h
//
// The host's side of a KVP exchange, for hvsim's KVP device: build the
// requests a Hyper-V host sends and read the guest's replies.
//
// Requests are framed as OpenVMM's KVP host frames them (hyperv_ic
// common.rs write_message, kvp.rs): an IC header with the negotiated
// versions, TRANSACTION | REQUEST, transaction id 0, then a zero-filled
// 2580-byte KVP message for GET, SET, DELETE and ENUMERATE (KvpMessage) or a
// 7428-byte hv_kvp_ip_msg for the IP operations. Strings go out as UTF-16LE
// with their NUL and sizes of 2 * (units + 1); REG_U32 and REG_U64 values as
// 4 and 8 bytes with value_size 4 and 8. A string that does not fit is an
// error, never cut.
//
// Replies are checked as a reply to what was sent: ICMSGTYPE_KVPEXCHANGE,
// icflags with RESPONSE, the same operation, and a message long enough for
// its struct. The status is returned as data: HV_S_OK, HV_S_CONT ("no such
// key" / "end of enumeration"), HV_E_FAIL... Only a successful reply's
// strings are read, with the checks of wire_string.h.
//
// Usage:
//   std::array<std::byte, kvp::host::kMaxRequestSize> out;
//   auto n = kvp::host::write_request(out, kvp::EnumerateRequest{kvp::Pool::automatic, i}, versions);
//   tx.write(vmbus::packet::inband(std::span(out).first(*n), next_id++));
//   ...
//   auto r = kvp::host::parse_enumerate_reply(packet.payload);
//   if (r && r->status == kvp::ic::kHvSCont) done = true;
//   else if (r && r->entry) show(r->entry->key, r->entry->value.text);
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "kvp/protocol/field_error.h"
#include "kvp/protocol/ic.h"
#include "kvp/protocol/negotiate.h"
#include "kvp/protocol/requests.h"

namespace kvp::host {

// The largest request: ICMSG_HDR + hv_kvp_ip_msg.
inline constexpr std::size_t kMaxRequestSize = ic::kIcMsgHdr + kIpMessageSize;
// The KVP message size a host sends for each operation.
constexpr std::size_t request_message_size(Operation op) noexcept {
  return (op == Operation::get_ip_info || op == Operation::set_ip_info) ? kIpMessageSize : kHostKvpMessageSize;
}

// Writes `request` as a complete IC payload; returns the bytes written
// (2608 or 7456). Errors: the string fields with the encoding errors of
// wire_string.h (key, value, delete_key, the hv_kvp_ipaddr_value strings),
// value_type/unexpected_value for a SetValue type other than REG_SZ,
// REG_U32 and REG_U64, value/above_maximum for a REG_U32 number above
// 2^32 - 1, output_buffer/too_short (value = bytes needed).
FieldResult<std::size_t> write_request(std::span<std::byte> out, const Request& request,
                                       const ic::NegotiatedVersions& versions, std::uint8_t transaction_id = 0);

// A reply's status and its KVP message (icmsgsize bytes), for SET, DELETE
// and SET_IP_INFO, which carry nothing else back. Errors: those of
// ic::parse_ic_response; kvp_message/too_short (value = bytes needed),
// kvp_operation/unexpected_value (value = the operation found) when the
// reply is not for `op`.
struct StatusReply {
  std::uint32_t status = ic::kHvSOk;
  std::span<const std::byte> message;
};
FieldResult<StatusReply> parse_status_reply(std::span<const std::byte> payload, Operation op) noexcept;

// A key and its value as a reply carries them.
struct KeyValue {
  std::string key;
  SetValue value;  // REG_SZ from Linux; REG_U32/REG_U64 read like a SET's
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

// ENUMERATE: `entry` is set when status is HV_S_OK. Errors: those of
// parse_status_reply, then the key and value errors.
struct EnumerateReply {
  std::uint32_t status = ic::kHvSOk;
  std::optional<KeyValue> entry;
};
FieldResult<EnumerateReply> parse_enumerate_reply(std::span<const std::byte> payload);

// GET: `value` is set when status is HV_S_OK.
struct GetReply {
  std::uint32_t status = ic::kHvSOk;
  std::optional<SetValue> value;
};
FieldResult<GetReply> parse_get_reply(std::span<const std::byte> payload);

// GET_IP_INFO: `info` is set when status is HV_S_OK.
struct IpInfoReply {
  std::uint32_t status = ic::kHvSOk;
  std::optional<IpInfo> info;
};
FieldResult<IpInfoReply> parse_get_ip_info_reply(std::span<const std::byte> payload);

}  // namespace kvp::host
