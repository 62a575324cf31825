// Fuzzes every parser of peer-written KVP bytes, guest side and host side:
// the IC framing, negotiation (and the in-place reply, which must never
// write past the payload), the host's requests and the guest's replies to
// them (which the host's parsers must read back unchanged), the replies a
// host reads, and both UTF conversions (which must round-trip whatever they
// accept).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "kvp/protocol/guest.h"
#include "kvp/protocol/host.h"
#include "kvp/protocol/ic_message.h"
#include "kvp/protocol/negotiate.h"
#include "kvp/protocol/utf16.h"

namespace {

constexpr std::size_t kGuard = 64;
constexpr std::byte kGuardByte{0xa5};

// The payload in a buffer with guard bytes after it, to catch writes past it.
struct Guarded {
  std::vector<std::byte> storage;
  std::size_t size;
  explicit Guarded(std::span<const std::byte> payload)
      : storage(payload.size() + kGuard, kGuardByte), size(payload.size()) {
    if (!payload.empty()) std::memcpy(storage.data(), payload.data(), payload.size());
  }
  std::span<std::byte> bytes() { return {storage.data(), size}; }
  void check_guard() const {
    for (std::size_t i = size; i < storage.size(); ++i) {
      if (storage[i] != kGuardByte) std::abort();
    }
  }
};

void negotiate(std::span<const std::byte> payload) {
  Guarded g(payload);
  auto r = kvp::ic::respond_to_negotiate(g.bytes(), kvp::ic::kGuestFrameworkVersions, kvp::ic::kGuestKvpVersions);
  g.check_guard();
  if (!r) return;
  if (r->reply_size != payload.size()) std::abort();
  // A reply with 1/1 must read back as the versions chosen.
  if (r->matched) {
    auto back = kvp::ic::parse_negotiate_response(g.bytes());
    if (back && back->has_value() && !(**back == r->versions)) std::abort();
  }
}

void guest_request(std::span<const std::byte> payload, const kvp::ic::IcMessage& m) {
  auto request = kvp::guest::parse_request(m.body);
  if (!request) return;
  Guarded g(payload);
  switch (kvp::operation_of(*request)) {
    case kvp::Operation::get:
      if (kvp::guest::fill_get_reply(g.bytes(), "value \xc3\xa9")) {
        auto back = kvp::host::parse_get_reply(g.bytes());
        if (back && back->value && back->value->text != "value \xc3\xa9") std::abort();
      }
      break;
    case kvp::Operation::enumerate:
      if (kvp::guest::fill_enumerate_reply(g.bytes(), "key \xf0\x9f\x98\x80", "v")) {
        auto back = kvp::host::parse_enumerate_reply(g.bytes());
        if (back && back->entry && back->entry->key != "key \xf0\x9f\x98\x80") std::abort();
      }
      break;
    case kvp::Operation::get_ip_info:
      (void)kvp::guest::fill_get_ip_info_reply(g.bytes(), kvp::IpInfo{"{id}", 1, 1, "10.0.0.4", "255.0.0.0", "", ""});
      break;
    default:
      (void)kvp::ic::make_response(g.bytes(), kvp::ic::kHvSOk);
      break;
  }
  g.check_guard();
  // What the guest parsed, a host writes back to the same request.
  std::vector<std::byte> out(kvp::host::kMaxRequestSize);
  auto n = kvp::host::write_request(out, *request, {m.header.icverframe, m.header.icvermsg});
  if (!n) std::abort();
  auto again = kvp::ic::parse_ic_message(std::span(out).first(*n));
  if (!again) std::abort();
  auto reparsed = kvp::guest::parse_request(again->body);
  if (!reparsed || !(*reparsed == *request)) std::abort();
}

void host_replies(std::span<const std::byte> payload) {
  (void)kvp::ic::parse_negotiate_response(payload);
  (void)kvp::host::parse_enumerate_reply(payload);
  (void)kvp::host::parse_get_reply(payload);
  (void)kvp::host::parse_get_ip_info_reply(payload);
  for (std::uint8_t op = 0; op < kvp::kOperationCount; ++op) {
    auto r = kvp::host::parse_status_reply(payload, static_cast<kvp::Operation>(op));
    if (!r) continue;
    const std::byte* end = payload.data() + payload.size();
    if (r->message.data() < payload.data() || r->message.data() + r->message.size() > end) std::abort();
  }
}

void utf(std::span<const std::byte> data) {
  if (auto text = kvp::utf::utf16le_to_utf8(data)) {
    auto units = kvp::utf::utf8_to_utf16(*text);
    if (!units || units->size() * 2 != data.size()) std::abort();
    std::vector<std::byte> bytes(data.size());
    kvp::utf::store_utf16le(*units, bytes);
    if (!std::equal(bytes.begin(), bytes.end(), data.begin())) std::abort();
  }
  const std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  if (auto units = kvp::utf::utf8_to_utf16(s)) {
    std::vector<std::byte> bytes(units->size() * 2);
    kvp::utf::store_utf16le(*units, bytes);
    auto text = kvp::utf::utf16le_to_utf8(bytes);
    if (!text || *text != s) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> payload(reinterpret_cast<const std::byte*>(data), size);
  utf(payload);
  host_replies(payload);
  negotiate(payload);
  auto m = kvp::ic::parse_ic_message(payload);
  if (m && m->header.icmsgtype == kvp::ic::raw(kvp::ic::MessageType::kvp_exchange)) guest_request(payload, *m);
  // Also as a bare KVP message.
  (void)kvp::guest::parse_request(payload);
  return 0;
}
