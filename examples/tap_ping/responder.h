// What vmbus_tap_responder answers, as pure functions over bytes: ARP
// requests for its IPv4 address (RFC 826) and ICMP echo requests to it
// (RFC 792), with the checksums of RFC 1071. Everything else is ignored and
// counted by why. Every length and checksum in the frame is checked before
// a byte past the Ethernet header is trusted; nothing here allocates.
//
// Usage:
//   tap::Identity me{port->mac(), {10, 200, 0, 2}};
//   tap::Reply reply;
//   tap::Verdict v = tap::respond(rx.frame(), me, out_buffer, reply);
//   if (tap::answered(v)) send(std::span(out_buffer).first(reply.length));
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tap {

using Mac = std::array<std::uint8_t, 6>;
using Ipv4 = std::array<std::uint8_t, 4>;

struct Identity {
  Mac mac{};
  Ipv4 ip{};
};

enum class Verdict : std::uint8_t {
  arp_reply,         // an ARP request for our address: answered
  echo_reply,        // an ICMP echo request to our address: answered
  not_for_us,        // another MAC or IPv4 address, an ARP reply, a broadcast ping
  other_protocol,    // IPv6, LLDP, TCP, UDP, ICMP other than echo, IPv4 fragments, VLAN-tagged...
  malformed,         // too short, lengths that do not add up, a bad IPv4 or ICMP checksum
  kCount,
};
inline constexpr std::size_t kVerdicts = static_cast<std::size_t>(Verdict::kCount);
const char* verdict_name(Verdict v) noexcept;
constexpr bool answered(Verdict v) noexcept { return v == Verdict::arp_reply || v == Verdict::echo_reply; }

// The reply written into `out`, and who it answers (for the log line).
struct Reply {
  std::size_t length = 0;  // bytes of `out` that hold the reply frame
  Mac peer_mac{};
  Ipv4 peer_ip{};
  std::uint16_t echo_id = 0;   // echo_reply: the request's identifier and sequence number
  std::uint16_t echo_seq = 0;
  std::size_t echo_bytes = 0;  // echo_reply: ICMP header + data, as ping counts them
};

// Looks at one received Ethernet frame (the host strips 802.1Q tags). For
// arp_reply and echo_reply the reply frame is in out.first(reply.length);
// `out` needs frame.size() bytes, and at least 60 (a padded ARP reply):
// smaller, the request is counted malformed (too large to answer).
Verdict respond(std::span<const std::byte> frame, const Identity& me, std::span<std::byte> out, Reply& reply) noexcept;

// RFC 1071: the 16-bit one's complement of the one's complement sum.
std::uint16_t internet_checksum(std::span<const std::byte> bytes) noexcept;

}  // namespace tap
