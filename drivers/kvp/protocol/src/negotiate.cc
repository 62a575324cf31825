// IC version negotiation: Linux's vmbus_prep_negotiate_resp for the guest,
// OpenVMM's offer for the host.
#include "kvp/protocol/negotiate.h"

#include "kvp/protocol/ic_message.h"
#include "kvp/protocol/wire.h"

namespace kvp::ic {
namespace {

// Where the counts and the versions sit in the payload.
constexpr std::size_t kFrameCountOffset = kIcMsgHdr + offsetof(NegotiateHeader, icframe_vercnt);
constexpr std::size_t kMsgCountOffset = kIcMsgHdr + offsetof(NegotiateHeader, icmsg_vercnt);
constexpr std::size_t kCountsEnd = kIcMsgHdr + offsetof(NegotiateHeader, reserved);
constexpr std::size_t kVersionsOffset = kIcMsgHdr + sizeof(NegotiateHeader);

// The first version of `preference` found among `offered`: the outer loop
// runs over the guest's list, so the guest's order wins (Linux's loops).
std::optional<Version> first_offered(std::span<const Version> offered, std::span<const Version> preference) noexcept {
  for (const Version& wanted : preference) {
    for (const Version& v : offered) {
      if (v == wanted) return v;
    }
  }
  return std::nullopt;
}

// A u16 store that skips bytes past the payload: Linux writes data[0] and
// data[1] into its 16 KiB buffer but only sends recvlen bytes of it.
void store_u16_within(std::span<std::byte> payload, std::size_t offset, std::uint16_t value) noexcept {
  if (wire::fits(offset, sizeof value, payload.size())) wire::store(payload, offset, value);
}

}  // namespace

FieldResult<NegotiateOffer> parse_negotiate(std::span<const std::byte> payload) noexcept {
  if (payload.size() < kIcMsgHdr) return FieldError{Field::ic_packet, Violation::too_short, payload.size()};
  // vmbus_prep_negotiate_resp: "Check that there's enough space for icframe_vercnt, icmsg_vercnt".
  if (payload.size() < kCountsEnd) return FieldError{Field::icmsg_negotiate, Violation::too_short, payload.size()};
  NegotiateOffer offer;
  offer.framework_count = wire::load<std::uint16_t>(payload, kFrameCountOffset);
  offer.service_count = wire::load<std::uint16_t>(payload, kMsgCountOffset);
  // "Validate negop packet": each count at most IC_VERSION_NEGOTIATION_MAX_VER_COUNT,
  // and ICMSG_NEGOTIATE_PKT_SIZE(counts) within the received length.
  if (offer.framework_count > kMaxVersionCount) {
    return FieldError{Field::icframe_vercnt, Violation::above_maximum, offer.framework_count};
  }
  if (offer.service_count > kMaxVersionCount) {
    return FieldError{Field::icmsg_vercnt, Violation::above_maximum, offer.service_count};
  }
  const std::size_t needed = negotiate_packet_size(offer.framework_count, offer.service_count);
  if (needed > payload.size()) return FieldError{Field::icversion_data, Violation::too_short, needed};
  const std::size_t total = std::size_t{offer.framework_count} + offer.service_count;
  for (std::size_t i = 0; i < total; ++i) {
    offer.versions[i] = wire::load<Version>(payload, kVersionsOffset + i * sizeof(Version));
  }
  return offer;
}

std::optional<NegotiatedVersions> choose_versions(const NegotiateOffer& offer,
                                                  std::span<const Version> framework_preference,
                                                  std::span<const Version> service_preference) noexcept {
  auto framework = first_offered(offer.framework(), framework_preference);
  if (!framework) return std::nullopt;
  auto service = first_offered(offer.service(), service_preference);
  if (!service) return std::nullopt;
  return NegotiatedVersions{*framework, *service};
}

FieldResult<NegotiateReply> respond_to_negotiate(std::span<std::byte> payload,
                                                 std::span<const Version> framework_preference,
                                                 std::span<const Version> service_preference) noexcept {
  // hv_kvp_onchannelcallback drops a packet shorter than ICMSG_HDR without replying.
  if (payload.size() < kIcMsgHdr) return FieldError{Field::ic_packet, Violation::too_short, payload.size()};
  NegotiateReply reply;
  reply.reply_size = payload.size();
  auto offer = parse_negotiate(payload);
  if (payload.size() < kCountsEnd) {
    // vmbus_prep_negotiate_resp returns before touching anything; the caller
    // still sets the flags and sends the buffer back.
    reply.offer = offer.error();
    wire::store(payload, kIcFlagsOffset, kFlagsResponse);
    return reply;
  }
  wire::store(payload, kIcMsgSizeOffset, kNegotiateReplyMsgSize);
  // Linux starts from the counts themselves and overwrites them with what it matches.
  Version framework{wire::load<std::uint16_t>(payload, kFrameCountOffset), 0};
  Version service{wire::load<std::uint16_t>(payload, kMsgCountOffset), 0};
  bool found = false;
  if (!offer) {
    reply.offer = offer.error();  // "goto fw_error": no match
  } else if (auto fw = first_offered(offer->framework(), framework_preference)) {
    framework = *fw;
    if (auto srv = first_offered(offer->service(), service_preference)) {
      service = *srv;
      found = true;
    }
  }
  // fw_error: counts 1/1 or 0/0, then data[0] and data[1] either way.
  const std::uint16_t count = found ? 1 : 0;
  wire::store(payload, kFrameCountOffset, count);
  wire::store(payload, kMsgCountOffset, count);
  store_u16_within(payload, kVersionsOffset + offsetof(Version, major), framework.major);
  store_u16_within(payload, kVersionsOffset + offsetof(Version, minor), framework.minor);
  store_u16_within(payload, kVersionsOffset + sizeof(Version) + offsetof(Version, major), service.major);
  store_u16_within(payload, kVersionsOffset + sizeof(Version) + offsetof(Version, minor), service.minor);
  // hv_kvp_onchannelcallback: icflags = TRANSACTION | RESPONSE; status stays.
  wire::store(payload, kIcFlagsOffset, kFlagsResponse);
  reply.matched = found;
  if (found) reply.versions = NegotiatedVersions{framework, service};
  return reply;
}

FieldResult<std::size_t> write_negotiate_request(std::span<std::byte> out, std::span<const Version> framework,
                                                 std::span<const Version> service,
                                                 std::uint8_t transaction_id) noexcept {
  if (framework.size() > kMaxVersionCount) {
    return FieldError{Field::icframe_vercnt, Violation::above_maximum, framework.size()};
  }
  if (service.size() > kMaxVersionCount) {
    return FieldError{Field::icmsg_vercnt, Violation::above_maximum, service.size()};
  }
  std::array<std::byte, sizeof(NegotiateHeader) + 2 * kMaxVersionCount * sizeof(Version)> body{};
  const NegotiateHeader header{static_cast<std::uint16_t>(framework.size()),
                               static_cast<std::uint16_t>(service.size()), 0};
  wire::store(std::span(body), 0, header);
  std::size_t at = sizeof(NegotiateHeader);
  for (const Version& v : framework) {
    wire::store(std::span(body), at, v);
    at += sizeof(Version);
  }
  for (const Version& v : service) {
    wire::store(std::span(body), at, v);
    at += sizeof(Version);
  }
  return write_ic_message(out, request_header(MessageType::negotiate, {0, 0}, {0, 0}, transaction_id),
                          std::span(body).first(at));
}

FieldResult<std::optional<NegotiatedVersions>> parse_negotiate_response(std::span<const std::byte> payload) noexcept {
  auto m = parse_ic_response(payload, MessageType::negotiate);
  if (!m) return m.error();
  const std::span<const std::byte> body = m->body;
  if (body.size() < offsetof(NegotiateHeader, reserved)) {
    return FieldError{Field::icmsg_negotiate, Violation::too_short, body.size()};
  }
  const auto framework_count = wire::load<std::uint16_t>(body, offsetof(NegotiateHeader, icframe_vercnt));
  const auto service_count = wire::load<std::uint16_t>(body, offsetof(NegotiateHeader, icmsg_vercnt));
  if (framework_count > 1) return FieldError{Field::icframe_vercnt, Violation::unexpected_value, framework_count};
  if (service_count != framework_count) {
    return FieldError{Field::icmsg_vercnt, Violation::unexpected_value, service_count};
  }
  if (framework_count == 0) return std::optional<NegotiatedVersions>{};
  if (body.size() < kNegotiateReplyMsgSize) {
    return FieldError{Field::icversion_data, Violation::too_short, kNegotiateReplyMsgSize};
  }
  return std::optional<NegotiatedVersions>{NegotiatedVersions{
      wire::load<Version>(body, sizeof(NegotiateHeader)),
      wire::load<Version>(body, sizeof(NegotiateHeader) + sizeof(Version))}};
}

}  // namespace kvp::ic
