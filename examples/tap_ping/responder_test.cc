// vmbus_tap_responder's packet logic (responder.h) on hand-made frames: the
// replies byte by byte with valid checksums, and every malformed or foreign
// frame ignored with the right verdict and nothing written.
#include "responder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace tap {
namespace {

const Identity kMe{{0x02, 0x15, 0x5d, 0x00, 0x00, 0x02}, {10, 200, 0, 2}};
const Mac kPeerMac{0xaa, 0xbb, 0xcc, 0x00, 0x00, 0x01};
const Ipv4 kPeerIp{10, 200, 0, 1};

using Bytes = std::vector<std::byte>;

void append(Bytes& b, std::initializer_list<unsigned> values) {
  for (unsigned v : values) b.push_back(std::byte(v & 0xff));
}
template <std::size_t N>
void append(Bytes& b, const std::array<std::uint8_t, N>& a) {
  for (std::uint8_t v : a) b.push_back(std::byte{v});
}
unsigned at(const Bytes& b, std::size_t i) { return static_cast<unsigned>(b[i]); }
unsigned be16(const Bytes& b, std::size_t i) { return at(b, i) << 8 | at(b, i + 1); }

Bytes arp_request(const Ipv4& target) {
  Bytes f;
  append(f, Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  append(f, kPeerMac);
  append(f, {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01});
  append(f, kPeerMac);
  append(f, kPeerIp);
  append(f, Mac{});
  append(f, target);
  return f;
}

void set16(Bytes& b, std::size_t i, unsigned v) {
  b[i] = std::byte((v >> 8) & 0xff);
  b[i + 1] = std::byte(v & 0xff);
}

// An ICMP echo request with `data` payload bytes, checksums filled in.
Bytes echo_request(std::size_t data, const Ipv4& dst = kMe.ip) {
  Bytes f;
  append(f, kMe.mac);
  append(f, kPeerMac);
  append(f, {0x08, 0x00});
  const std::size_t ip_length = 20 + 8 + data;
  append(f, {0x45, 0x00, static_cast<unsigned>(ip_length >> 8), static_cast<unsigned>(ip_length), 0x12, 0x34, 0x40, 0x00,
             64, 1, 0, 0});
  append(f, kPeerIp);
  append(f, dst);
  append(f, {8, 0, 0, 0, 0x0b, 0xad, 0x00, 0x07});
  for (std::size_t i = 0; i < data; ++i) f.push_back(std::byte(i * 7 + 1));
  set16(f, 24, internet_checksum(std::span(f).subspan(14, 20)));
  set16(f, 36, internet_checksum(std::span(f).subspan(34)));
  return f;
}

struct Outcome {
  Verdict verdict;
  Reply reply;
  Bytes out;
};
Outcome run(const Bytes& frame, std::size_t out_size = 2048) {
  Outcome o{Verdict::kCount, {}, Bytes(out_size, std::byte{0xee})};
  o.verdict = respond(frame, kMe, o.out, o.reply);
  return o;
}

TEST(TapResponder, ChecksumMatchesRfc1071Example) {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d.
  Bytes b;
  append(b, {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7});
  EXPECT_EQ(internet_checksum(b), 0x220d);
  b.pop_back();  // odd length: the last byte is padded with zero
  EXPECT_EQ(internet_checksum(b), static_cast<std::uint16_t>(~(0xddf2u - 0xf7u) & 0xffff));
}

TEST(TapResponder, AnswersArpForItsAddress) {
  const Outcome o = run(arp_request(kMe.ip));
  ASSERT_EQ(o.verdict, Verdict::arp_reply);
  ASSERT_EQ(o.reply.length, 60u);
  Bytes expected;
  append(expected, kPeerMac);
  append(expected, kMe.mac);
  append(expected, {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02});
  append(expected, kMe.mac);
  append(expected, kMe.ip);
  append(expected, kPeerMac);
  append(expected, kPeerIp);
  expected.resize(60, std::byte{0});
  EXPECT_EQ(Bytes(o.out.begin(), o.out.begin() + 60), expected);
  EXPECT_EQ(o.reply.peer_ip, kPeerIp);
  EXPECT_EQ(o.reply.peer_mac, kPeerMac);
}

TEST(TapResponder, IgnoresArpForOthersAndArpReplies) {
  EXPECT_EQ(run(arp_request({10, 200, 0, 3})).verdict, Verdict::not_for_us);
  Bytes reply = arp_request(kMe.ip);
  set16(reply, 20, 2);
  EXPECT_EQ(run(reply).verdict, Verdict::not_for_us);
  Bytes other_hardware = arp_request(kMe.ip);
  set16(other_hardware, 14, 6);  // IEEE 802
  EXPECT_EQ(run(other_hardware).verdict, Verdict::other_protocol);
}

TEST(TapResponder, AnswersEchoWithValidChecksums) {
  for (std::size_t data : {0u, 1u, 56u, 1472u}) {
    const Bytes request = echo_request(data);
    const Outcome o = run(request);
    ASSERT_EQ(o.verdict, Verdict::echo_reply) << data << " bytes of data";
    const std::size_t length = std::max<std::size_t>(14 + 28 + data, 60);
    ASSERT_EQ(o.reply.length, length);
    const Bytes r(o.out.begin(), o.out.begin() + static_cast<std::ptrdiff_t>(length));
    EXPECT_EQ(Bytes(r.begin(), r.begin() + 6), Bytes(request.begin() + 6, request.begin() + 12));  // to the requester
    EXPECT_EQ(Bytes(r.begin() + 6, r.begin() + 12), Bytes(request.begin(), request.begin() + 6));  // from us
    EXPECT_EQ(be16(r, 16), 28 + data);
    EXPECT_EQ(at(r, 22), 64u);  // TTL
    EXPECT_EQ(internet_checksum(std::span(r).subspan(14, 20)), 0);
    EXPECT_EQ(Bytes(r.begin() + 26, r.begin() + 30), Bytes(request.begin() + 30, request.begin() + 34));  // src = our IP
    EXPECT_EQ(Bytes(r.begin() + 30, r.begin() + 34), Bytes(request.begin() + 26, request.begin() + 30));
    EXPECT_EQ(at(r, 34), 0u);  // echo reply
    EXPECT_EQ(internet_checksum(std::span(r).subspan(34, 8 + data)), 0);
    EXPECT_EQ(Bytes(r.begin() + 38, r.begin() + 42 + static_cast<std::ptrdiff_t>(data)),
              Bytes(request.begin() + 38, request.end()));  // id, sequence, data unchanged
    EXPECT_EQ(o.reply.echo_id, 0x0badu);
    EXPECT_EQ(o.reply.echo_seq, 7u);
    EXPECT_EQ(o.reply.echo_bytes, 8 + data);
  }
}

TEST(TapResponder, EchoWithEthernetPaddingAndIpOptions) {
  Bytes padded = echo_request(0);
  padded.resize(60, std::byte{0x55});  // the padding is not ICMP data
  const Outcome o = run(padded);
  ASSERT_EQ(o.verdict, Verdict::echo_reply);
  EXPECT_EQ(o.reply.echo_bytes, 8u);

  // IHL 6 with a NOP-padded option: answered without options.
  Bytes options = echo_request(4);
  options.insert(options.begin() + 34, {std::byte{1}, std::byte{1}, std::byte{1}, std::byte{0}});
  options[14] = std::byte{0x46};
  set16(options, 16, be16(options, 16) + 4);
  set16(options, 24, 0);
  set16(options, 24, internet_checksum(std::span(options).subspan(14, 24)));
  const Outcome p = run(options);
  ASSERT_EQ(p.verdict, Verdict::echo_reply);
  EXPECT_EQ(at(p.out, 14), 0x45u);
  EXPECT_EQ(internet_checksum(std::span(p.out).subspan(14, 20)), 0);
  EXPECT_EQ(internet_checksum(std::span(p.out).subspan(34, 12)), 0);
}

TEST(TapResponder, MalformedFramesAreCountedAndNotAnswered) {
  const Bytes good = echo_request(56);
  // Every truncation of a good request, header included.
  for (std::size_t n = 0; n < good.size(); ++n) {
    const Outcome o = run(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)));
    EXPECT_EQ(o.verdict, Verdict::malformed) << n << " bytes";
    EXPECT_EQ(o.reply.length, 0u);
  }
  for (std::size_t n = 0; n < 42; ++n) {
    const Bytes arp = arp_request(kMe.ip);
    EXPECT_EQ(run(Bytes(arp.begin(), arp.begin() + static_cast<std::ptrdiff_t>(n))).verdict, Verdict::malformed)
        << n << " bytes of ARP";
  }
  auto with = [&](std::size_t i, unsigned v) {
    Bytes b = good;
    b[i] = std::byte(v);
    return run(b).verdict;
  };
  EXPECT_EQ(with(14, 0x65), Verdict::malformed);  // version 6 in an IPv4 ethertype
  EXPECT_EQ(with(14, 0x44), Verdict::malformed);  // IHL 4 (< 20 bytes)
  EXPECT_EQ(with(14, 0x4f), Verdict::malformed);  // IHL 15: the header checksum over 60 bytes fails
  EXPECT_EQ(with(16, 0xff), Verdict::malformed);  // total length past the frame
  EXPECT_EQ(with(17, 0x10), Verdict::malformed);  // total length below the header
  EXPECT_EQ(with(25, at(good, 25) ^ 1), Verdict::malformed);  // IPv4 header checksum
  EXPECT_EQ(with(50, at(good, 50) ^ 1), Verdict::malformed);  // ICMP data changed: ICMP checksum
  EXPECT_EQ(run(good, 59).verdict, Verdict::malformed);       // no room for the reply
}

TEST(TapResponder, ForeignTrafficIsIgnoredByKind) {
  EXPECT_EQ(run(echo_request(8, {10, 200, 0, 9})).verdict, Verdict::not_for_us);
  Bytes other_mac = echo_request(8);
  other_mac[5] = std::byte{0x99};
  EXPECT_EQ(run(other_mac).verdict, Verdict::not_for_us);
  Bytes broadcast_ping = echo_request(8);
  for (std::size_t i = 0; i < 6; ++i) broadcast_ping[i] = std::byte{0xff};
  EXPECT_EQ(run(broadcast_ping).verdict, Verdict::not_for_us);

  Bytes ipv6 = echo_request(8);
  set16(ipv6, 12, 0x86dd);
  EXPECT_EQ(run(ipv6).verdict, Verdict::other_protocol);
  Bytes udp = echo_request(8);
  udp[23] = std::byte{17};
  set16(udp, 24, 0);
  set16(udp, 24, internet_checksum(std::span(udp).subspan(14, 20)));
  EXPECT_EQ(run(udp).verdict, Verdict::other_protocol);
  Bytes echo_reply = echo_request(8);
  echo_reply[34] = std::byte{0};
  set16(echo_reply, 36, 0);
  set16(echo_reply, 36, internet_checksum(std::span(echo_reply).subspan(34)));
  EXPECT_EQ(run(echo_reply).verdict, Verdict::other_protocol);
  Bytes fragment = echo_request(8);
  set16(fragment, 20, 0x2000);  // more fragments
  set16(fragment, 24, 0);
  set16(fragment, 24, internet_checksum(std::span(fragment).subspan(14, 20)));
  EXPECT_EQ(run(fragment).verdict, Verdict::other_protocol);
}

}  // namespace
}  // namespace tap
