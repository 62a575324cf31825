// File: kvp/protocol/guest.h
//
// The guest's side of a KVP exchange: read the host's request, then answer
// in the request's own buffer, as Linux's hv_kvp.c does (kvp_send_key reads,
// kvp_respond_to_host writes, the reply is the whole received payload).
//
// `parse_request` takes the KVP message (IcMessage::body, icmsgsize bytes)
// and validates what the host controls: the operation (0..5), the pool
// (0..4), a message long enough for the operation's struct (kvp_msg.h), and
// every string (wire_string.h: sizes, NUL, UTF-16). A SET's REG_U32 and
// REG_U64 become decimal text as the daemon stores them; their value_size,
// which Linux ignores, must at least cover the integer. Any other
// value_type is refused (Linux would store an empty value).
//
// The fill functions write a successful reply: strings as UTF-16LE with
// their NUL (sizes = 2 * (units + 1)), value_type REG_SZ ("all our values
// are strings"), status HV_S_OK, icflags TRANSACTION | RESPONSE. A string
// that cannot travel (too long for its array, invalid UTF-8, an embedded
// NUL) is an error and nothing is written; Linux then answers HV_E_FAIL
// (kvp_respond_to_host), which the caller does with ic::make_response. SET,
// DELETE, SET_IP_INFO and every failure are answered with make_response
// alone: HV_S_OK, or HV_S_CONT for "not found" / "no such index"
// (hv_kvp_daemon), HV_E_FAIL for the rest.
//
// Usage (payload: a private copy of the packet's payload, answered in place):
//   auto msg = kvp::ic::parse_ic_message(payload);
//   if (!msg) return;                                           // Linux drops it
//   auto req = kvp::guest::parse_request(msg->body);
//   if (!req) {
//     log(req.error().message());
//     (void)kvp::ic::make_response(payload, kvp::ic::kHvEFail);
//   } else if (auto* e = std::get_if<kvp::EnumerateRequest>(&*req)) {
//     auto found = pools.enumerate(kvp::raw(e->pool), e->index);    // kvp/pool/pool_store.h
//     if (!found || !found->entry) {
//       (void)kvp::ic::make_response(payload, kvp::ic::kHvSCont);   // past the end
//     } else if (!kvp::guest::fill_enumerate_reply(payload, found->entry->key, found->entry->value)) {
//       (void)kvp::ic::make_response(payload, kvp::ic::kHvEFail);   // cannot travel as UTF-16
//     }
//   }
//   tx.write(vmbus::packet::inband(payload, packet.trans_id));
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "kvp/protocol/field_error.h"
#include "kvp/protocol/requests.h"

namespace kvp::guest {

// Errors: kvp_message/too_short (value = bytes needed: 2 for the header,
// then the operation's struct), kvp_operation/unexpected_value,
// kvp_pool/above_maximum, value_type/unexpected_value,
// value_size/below_minimum for a REG_U32/REG_U64 narrower than the integer,
// value_size/above_maximum, and the string errors of wire_string.h on
// key_size/key, value_size/value, delete_key_size/delete_key and the
// hv_kvp_ipaddr_value strings.
FieldResult<Request> parse_request(std::span<const std::byte> message);

// GET: value_type, value_size and value of the request's
// hv_kvp_exchg_msg_value (the key stays). `payload` is the whole IC payload.
// Errors: kvp_message/too_short (value = bytes needed) and
// kvp_operation/unexpected_value when the payload does not hold a GET;
// value with the encoding errors of encode_sized_string.
FieldStatus fill_get_reply(std::span<std::byte> payload, std::string_view value);

// ENUMERATE: key, key_size, value, value_size, value_type. Errors as
// fill_get_reply, and key with the encoding errors.
FieldStatus fill_enumerate_reply(std::span<std::byte> payload, std::string_view key, std::string_view value);

// GET_IP_INFO: the whole hv_kvp_ipaddr_value (process_ob_ipinfo: the four
// address strings, adapter_id, dhcp_enabled, addr_family). Errors as
// fill_get_reply, with the hv_kvp_ipaddr_value string fields.
FieldStatus fill_get_ip_info_reply(std::span<std::byte> payload, const IpInfo& info);

}  // namespace kvp::guest
