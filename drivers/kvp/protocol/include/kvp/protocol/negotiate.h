// File: kvp/protocol/negotiate.h
//
// IC version negotiation (ICMSGTYPE_NEGOTIATE), the first exchange on every
// util channel. The host offers {u16 icframe_vercnt, u16 icmsg_vercnt,
// u32 reserved, ic_version[]} (framework versions first, then service
// versions); the guest answers in the same buffer.
//
// Guest: `respond_to_negotiate` is Linux's vmbus_prep_negotiate_resp
// (drivers/hv/channel_mgmt.c) byte for byte, and hv_kvp_onchannelcallback's
// handling around it:
//   - fewer than ICMSG_HDR + 4 bytes: nothing is rewritten but the flags
//     (Linux returns early and still sends the buffer back);
//   - icmsgsize = 0x10;
//   - either count above 100, or a payload shorter than the counts announce
//     (ICMSG_NEGOTIATE_PKT_SIZE): no match;
//   - otherwise the first of the guest's framework versions, in the guest's
//     order, that the host offers, then likewise the first service version;
//   - the reply: counts 1/1 with data[0] = framework, data[1] = service, or
//     0/0 when anything failed. Linux still writes data[0] and data[1] then,
//     with what it had in hand: {icframe_vercnt, 0} or the framework it
//     matched, and {icmsg_vercnt, 0}; we write the same bytes;
//   - icflags = TRANSACTION | RESPONSE; status untouched (hv_kvp.c);
//   - the reply has the request's length. Bytes past the payload are never
//     written (Linux writes them into its 16 KiB buffer but does not send them).
// The pure pieces, `parse_negotiate` and `choose_versions`, serve tools and
// tests.
//
// Host: `write_negotiate_request` builds the offer as OpenVMM's IC host does
// (hyperv_ic common.rs: icmsgsize = 8 + 4 * versions, TRANSACTION | REQUEST,
// versions zero in the header), and `parse_negotiate_response` reads the
// guest's answer.
//
// Usage (guest):
//   auto r = kvp::ic::respond_to_negotiate(reply_buffer, kvp::ic::kGuestFrameworkVersions,
//                                          kvp::ic::kGuestKvpVersions);
//   if (!r) return;                                      // shorter than ICMSG_HDR: no reply
//   if (!r->offer) log(r->offer.error().message());      // e.g. 101 framework versions
//   tx.write(vmbus::packet::inband(reply_buffer.first(r->reply_size), trans_id));
//
// Usage (host):
//   auto n = kvp::ic::write_negotiate_request(out, kvp::ic::kHostFrameworkVersions,
//                                             kvp::ic::kHostKvpVersions);
//   ...
//   auto v = kvp::ic::parse_negotiate_response(reply.payload);  // optional: nullopt = no match
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "kvp/protocol/field_error.h"
#include "kvp/protocol/ic.h"

namespace kvp::ic {

// What a Linux guest prefers, in order (hv_kvp.c fw_versions, kvp_versions):
// framework UTIL_FW_VERSION 3.0 then UTIL_WS2K8_FW_VERSION 1.0; KVP
// WIN8_SRV_VERSION 4.0, WIN7_SRV_VERSION 3.0, WS2008_SRV_VERSION 1.0.
inline constexpr std::array<Version, 2> kGuestFrameworkVersions{{{3, 0}, {1, 0}}};
inline constexpr std::array<Version, 3> kGuestKvpVersions{{{4, 0}, {3, 0}, {1, 0}}};

// What a Hyper-V host offers for KVP, in its order (OpenVMM hyperv_ic:
// FRAMEWORK_VERSIONS in common.rs, KVP_VERSIONS in kvp.rs). A Linux guest
// picks 3.0 and 4.0 from these.
inline constexpr std::array<Version, 2> kHostFrameworkVersions{{{1, 0}, {3, 0}}};
inline constexpr std::array<Version, 3> kHostKvpVersions{{{3, 0}, {4, 0}, {5, 0}}};

// The versions both sides settled on.
struct NegotiatedVersions {
  Version framework{};
  Version service{};
  friend bool operator==(const NegotiatedVersions&, const NegotiatedVersions&) = default;
};

// A host's offer, copied out of the packet.
struct NegotiateOffer {
  std::uint16_t framework_count = 0;
  std::uint16_t service_count = 0;
  std::array<Version, 2 * kMaxVersionCount> versions{};

  std::span<const Version> framework() const noexcept { return {versions.data(), framework_count}; }
  std::span<const Version> service() const noexcept {
    return {versions.data() + framework_count, service_count};
  }
};

// Reads the offer in a whole IC payload (ICMSG_HDR included), with Linux's
// limits. Errors: ic_packet/too_short (value = size) below ICMSG_HDR;
// icmsg_negotiate/too_short (value = size) when the counts are cut off;
// icframe_vercnt/above_maximum and icmsg_vercnt/above_maximum (value = the
// count) above 100; icversion_data/too_short (value = bytes the counts need).
FieldResult<NegotiateOffer> parse_negotiate(std::span<const std::byte> payload) noexcept;

// The first framework version in `framework_preference` that the offer
// holds, then the first service version likewise; nullopt if either is
// missing (vmbus_prep_negotiate_resp's two loops).
std::optional<NegotiatedVersions> choose_versions(const NegotiateOffer& offer,
                                                  std::span<const Version> framework_preference,
                                                  std::span<const Version> service_preference) noexcept;

// What respond_to_negotiate did.
struct NegotiateReply {
  bool matched = false;           // counts 1/1; `versions` holds the choice
  NegotiatedVersions versions{};  // meaningful only when matched
  FieldStatus offer;              // why the host's offer was refused, if it was malformed
  std::size_t reply_size = 0;     // bytes to send back: the request's length
};

// Rewrites the negotiate request in `payload` into Linux's reply (see the
// file comment). Error: ic_packet/too_short below ICMSG_HDR, where Linux
// sends nothing and nothing is written. A malformed offer is not an error
// of this function: Linux answers it with 0/0, and `offer` says what was wrong.
FieldResult<NegotiateReply> respond_to_negotiate(std::span<std::byte> payload,
                                                 std::span<const Version> framework_preference,
                                                 std::span<const Version> service_preference) noexcept;

// Host: writes a NEGOTIATE request offering these versions. Returns the bytes
// written. Errors: icframe_vercnt/above_maximum, icmsg_vercnt/above_maximum
// (more than 100), and those of write_ic_message.
FieldResult<std::size_t> write_negotiate_request(std::span<std::byte> out, std::span<const Version> framework,
                                                 std::span<const Version> service,
                                                 std::uint8_t transaction_id = 0) noexcept;

// Host: the guest's answer. nullopt when the guest found no common version
// (counts 0/0). Errors: those of parse_ic_response; icmsg_negotiate/too_short
// when the body (icmsgsize bytes) cannot hold the counts; icframe_vercnt or
// icmsg_vercnt/unexpected_value for counts other than 0/0 and 1/1;
// icversion_data/too_short (value = 16) when a 1/1 body lacks its two versions.
FieldResult<std::optional<NegotiatedVersions>> parse_negotiate_response(std::span<const std::byte> payload) noexcept;

}  // namespace kvp::ic
