// ARP and ICMP echo replies (responder.h). Offsets are those of an untagged
// Ethernet II frame: header 14 bytes, then ARP (28) or IPv4 (20..60) + ICMP.
#include "responder.h"

#include <algorithm>
#include <cstring>

namespace tap {
namespace {

constexpr std::size_t kEthHeader = 14;
constexpr std::size_t kArpBody = 28;          // Ethernet/IPv4 ARP (RFC 826)
constexpr std::size_t kMinFrame = 60;         // Ethernet minimum without the FCS: ARP replies are padded to it
constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIcmpEchoHeader = 8;    // type, code, checksum, identifier, sequence number
constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeArp = 0x0806;
constexpr std::uint16_t kArpHardwareEthernet = 1;
constexpr std::uint16_t kArpRequest = 1;
constexpr std::uint16_t kArpReply = 2;
constexpr std::uint8_t kIpProtocolIcmp = 1;
constexpr std::uint8_t kIcmpEchoReply = 0;
constexpr std::uint8_t kIcmpEchoRequest = 8;
constexpr std::uint8_t kReplyTtl = 64;  // Linux's net.ipv4.ip_default_ttl

std::uint8_t u8(std::span<const std::byte> b, std::size_t at) noexcept { return static_cast<std::uint8_t>(b[at]); }
std::uint16_t be16(std::span<const std::byte> b, std::size_t at) noexcept {
  return static_cast<std::uint16_t>(u8(b, at) << 8 | u8(b, at + 1));
}
void put8(std::span<std::byte> b, std::size_t at, std::uint8_t v) noexcept { b[at] = std::byte{v}; }
void put16(std::span<std::byte> b, std::size_t at, std::uint16_t v) noexcept {
  b[at] = std::byte(v >> 8);
  b[at + 1] = std::byte(v & 0xff);
}
template <std::size_t N>
std::array<std::uint8_t, N> read_bytes(std::span<const std::byte> b, std::size_t at) noexcept {
  std::array<std::uint8_t, N> a{};
  std::memcpy(a.data(), b.data() + at, N);
  return a;
}
template <std::size_t N>
void put_bytes(std::span<std::byte> b, std::size_t at, const std::array<std::uint8_t, N>& a) noexcept {
  std::memcpy(b.data() + at, a.data(), N);
}

bool is_broadcast(const Mac& m) noexcept {
  return std::all_of(m.begin(), m.end(), [](std::uint8_t x) { return x == 0xff; });
}
bool is_multicast(const Mac& m) noexcept { return (m[0] & 1) != 0; }  // the I/G bit; broadcast included

void write_ethernet(std::span<std::byte> out, const Mac& dst, const Mac& src, std::uint16_t type) noexcept {
  put_bytes(out, 0, dst);
  put_bytes(out, 6, src);
  put16(out, 12, type);
}

Verdict arp(std::span<const std::byte> f, const Identity& me, std::span<std::byte> out, Reply& reply) noexcept {
  if (f.size() < kEthHeader + kArpBody) return Verdict::malformed;
  const std::size_t a = kEthHeader;
  if (be16(f, a) != kArpHardwareEthernet || be16(f, a + 2) != kEtherTypeIpv4 || u8(f, a + 4) != 6 || u8(f, a + 5) != 4) {
    return Verdict::other_protocol;  // ARP for another hardware or protocol address kind
  }
  const Mac sender_mac = read_bytes<6>(f, a + 8);
  const Ipv4 sender_ip = read_bytes<4>(f, a + 14);
  const Ipv4 target_ip = read_bytes<4>(f, a + 24);
  if (be16(f, a + 6) != kArpRequest || target_ip != me.ip) return Verdict::not_for_us;
  if (is_multicast(sender_mac)) return Verdict::malformed;  // no station has a group address
  if (out.size() < kMinFrame) return Verdict::malformed;
  // RFC 826: swap the sender and target fields, fill in our hardware address, opcode reply.
  std::fill(out.begin(), out.begin() + kMinFrame, std::byte{0});
  write_ethernet(out, sender_mac, me.mac, kEtherTypeArp);
  put16(out, a, kArpHardwareEthernet);
  put16(out, a + 2, kEtherTypeIpv4);
  put8(out, a + 4, 6);
  put8(out, a + 5, 4);
  put16(out, a + 6, kArpReply);
  put_bytes(out, a + 8, me.mac);
  put_bytes(out, a + 14, me.ip);
  put_bytes(out, a + 18, sender_mac);
  put_bytes(out, a + 24, sender_ip);
  reply.length = kMinFrame;
  reply.peer_mac = sender_mac;
  reply.peer_ip = sender_ip;
  return Verdict::arp_reply;
}

Verdict ipv4(std::span<const std::byte> f, const Identity& me, std::span<std::byte> out, Reply& reply) noexcept {
  if (f.size() < kEthHeader + kIpv4MinHeader) return Verdict::malformed;
  const std::span<const std::byte> packet = f.subspan(kEthHeader);
  const std::uint8_t version_ihl = u8(packet, 0);
  const std::size_t header_length = std::size_t{version_ihl & 0x0fu} * 4;
  const std::size_t total_length = be16(packet, 2);
  // The frame may carry Ethernet padding past total_length, never less.
  if ((version_ihl >> 4) != 4 || header_length < kIpv4MinHeader || total_length < header_length ||
      total_length > packet.size()) {
    return Verdict::malformed;
  }
  if (internet_checksum(packet.first(header_length)) != 0) return Verdict::malformed;
  const Mac dst_mac = read_bytes<6>(f, 0);
  const Mac src_mac = read_bytes<6>(f, 6);
  const Ipv4 src_ip = read_bytes<4>(packet, 12);
  const Ipv4 dst_ip = read_bytes<4>(packet, 16);
  // Broadcast and multicast pings stay unanswered (net.ipv4.icmp_echo_ignore_broadcasts).
  if (dst_mac != me.mac || dst_ip != me.ip) return Verdict::not_for_us;
  if (u8(packet, 9) != kIpProtocolIcmp) return Verdict::other_protocol;
  if ((be16(packet, 6) & 0x3fff) != 0) return Verdict::other_protocol;  // a fragment (MF or an offset): no reassembly here
  const std::span<const std::byte> icmp = packet.subspan(header_length, total_length - header_length);
  if (icmp.size() < kIcmpEchoHeader) return Verdict::malformed;
  if (internet_checksum(icmp) != 0) return Verdict::malformed;
  if (u8(icmp, 0) != kIcmpEchoRequest) return Verdict::other_protocol;
  if (u8(icmp, 1) != 0) return Verdict::malformed;  // echo has code 0 only
  if (is_multicast(src_mac)) return Verdict::malformed;

  // The reply: no IP options (RFC 1122 3.2.2.6 allows dropping them), the
  // request's identifier, sequence number and data unchanged.
  const std::size_t reply_ip_length = kIpv4MinHeader + icmp.size();
  const std::size_t reply_length = std::max(kEthHeader + reply_ip_length, kMinFrame);
  if (out.size() < reply_length) return Verdict::malformed;  // larger than this responder's buffers
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(reply_length), std::byte{0});
  write_ethernet(out, src_mac, me.mac, kEtherTypeIpv4);
  std::span<std::byte> ip = out.subspan(kEthHeader, reply_ip_length);
  put8(ip, 0, 0x45);
  put8(ip, 1, u8(packet, 1));                          // DSCP/ECN as the request's
  put16(ip, 2, static_cast<std::uint16_t>(reply_ip_length));
  put16(ip, 4, be16(packet, 4));                       // identification
  put16(ip, 6, 0);                                     // flags, fragment offset
  put8(ip, 8, kReplyTtl);
  put8(ip, 9, kIpProtocolIcmp);
  put_bytes(ip, 12, me.ip);
  put_bytes(ip, 16, src_ip);
  put16(ip, 10, internet_checksum(ip.first(kIpv4MinHeader)));  // over the header with the field 0
  std::span<std::byte> reply_icmp = ip.subspan(kIpv4MinHeader);
  std::memcpy(reply_icmp.data(), icmp.data(), icmp.size());
  put8(reply_icmp, 0, kIcmpEchoReply);
  put16(reply_icmp, 2, 0);
  put16(reply_icmp, 2, internet_checksum(reply_icmp));

  reply.length = reply_length;
  reply.peer_mac = src_mac;
  reply.peer_ip = src_ip;
  reply.echo_id = be16(icmp, 4);
  reply.echo_seq = be16(icmp, 6);
  reply.echo_bytes = icmp.size();
  return Verdict::echo_reply;
}

}  // namespace

const char* verdict_name(Verdict v) noexcept {
  switch (v) {
    case Verdict::arp_reply: return "ARP replies";
    case Verdict::echo_reply: return "echo replies";
    case Verdict::not_for_us: return "not for us";
    case Verdict::other_protocol: return "other protocols";
    case Verdict::malformed: return "malformed";
    case Verdict::kCount: break;
  }
  return "?";
}

std::uint16_t internet_checksum(std::span<const std::byte> bytes) noexcept {
  std::uint64_t sum = 0;
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += be16(bytes, i);
  if (i < bytes.size()) sum += std::uint64_t{u8(bytes, i)} << 8;  // an odd byte is padded with zero
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

Verdict respond(std::span<const std::byte> frame, const Identity& me, std::span<std::byte> out, Reply& reply) noexcept {
  reply = Reply{};
  if (frame.size() < kEthHeader) return Verdict::malformed;
  const Mac dst = read_bytes<6>(frame, 0);
  if (dst != me.mac && !is_broadcast(dst)) return Verdict::not_for_us;
  switch (be16(frame, 12)) {
    case kEtherTypeArp: return arp(frame, me, out, reply);
    case kEtherTypeIpv4: return ipv4(frame, me, out, reply);
    default: return Verdict::other_protocol;
  }
}

}  // namespace tap
