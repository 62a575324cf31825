// File: tests/netvsc/flow_frames.h
//
// Frames of numbered flows for the conformance tests: IPv4/TCP frames whose
// 5-tuple names a flow (so RSS spreads flows over queues), whose bytes are all
// derived from (flow, sequence number), so a receiver can tell which frame it
// got and check every byte without keeping a copy of what was sent:
//   Ethernet  dst = the port's MAC, src 02:00:00:00:00:01, IPv4
//   IPv4      total length, id = seq, DF, TTL 64, TCP, 10.1.x.y -> 10.2.x.y
//   TCP       flow's ports, seq = low 32 bits of the sequence number,
//             ack = flow id, PSH|ACK
//   payload   64-bit words of a pattern seeded by (flow, seq), cut to size
// The size of frame (flow, seq) is drawn from the same seed: 1% exactly 60,
// 1% exactly the maximum, the rest uniform over 60..maximum.
//
// Usage:
//   std::vector<Flow> flows = make_flows(256, /*queues=*/4);  // and the RSS queue of each
//   std::uint32_t size = frame_size(flow.id, seq, 9000);
//   build_frame(buffer.first(size), port.mac(), flow, seq);
//   FrameId id; std::string why;
//   if (!parse_frame(rx.frame(), id) ||
//       !check_frame(rx.frame(), port.mac(), flows[id.flow], seq, size, &why)) fail(why);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "netvsc/port.h"
#include "netvsc/protocol/toeplitz.h"

namespace netvsc_ct {

inline constexpr std::size_t kHeaders = 54;  // Ethernet 14 + IPv4 20 + TCP 20
inline constexpr std::uint32_t kMinFrame = 60;
inline constexpr std::uint32_t kMaxJumboFrame = 9000;  // the largest frame the suite sends (MTU 9000)
inline constexpr std::uint32_t kMaxStandardFrame = 1514;
inline constexpr std::array<std::uint8_t, 6> kPeerMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

struct Flow {
  std::uint32_t id = 0;
  netvsc::rss::Ipv4Address src{}, dst{};
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t hash = 0;    // Toeplitz over the 4-tuple with the port's key
  std::uint16_t queue = 0;   // the queue RSS sends it to (0 with one queue)
};

inline std::uint64_t mix64(std::uint64_t x) noexcept {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
inline std::uint64_t frame_seed(std::uint32_t flow, std::uint64_t seq) noexcept {
  return mix64((std::uint64_t{flow} << 40) ^ seq);
}

// The size of frame `seq` of `flow`, kMinFrame..max_frame.
inline std::uint32_t frame_size(std::uint32_t flow, std::uint64_t seq, std::uint32_t max_frame) noexcept {
  const std::uint64_t h = frame_seed(flow, seq);
  const std::uint32_t pick = static_cast<std::uint32_t>(h % 100);
  if (pick == 0) return kMinFrame;  // the extremes, 1% each
  if (pick == 1) return max_frame;
  return kMinFrame + static_cast<std::uint32_t>((h >> 20) % (max_frame - kMinFrame + 1));
}

// `count` flows with distinct 4-tuples; with `queues` > 1, RSS's queue for
// each is computed with `key` and the default table (entry i = i % queues),
// and flows are picked so each queue gets count / queues of them.
inline std::vector<Flow> make_flows(std::uint32_t count, std::uint16_t queues,
                                    const std::array<std::uint8_t, netvsc::rss::kKeySize>& key =
                                        netvsc::rss::kVerificationKey) {
  const netvsc::rss::Toeplitz hasher(key);
  const auto table = netvsc::rss::IndirectionTable::round_robin(queues);
  std::vector<Flow> flows;
  std::vector<std::uint32_t> per_queue(queues, 0);
  const std::uint32_t quota = (count + queues - 1) / queues;
  for (std::uint32_t candidate = 0; flows.size() < count; ++candidate) {
    Flow f;
    f.src = {10, 1, static_cast<std::uint8_t>(candidate >> 8), static_cast<std::uint8_t>(candidate)};
    f.dst = {10, 2, static_cast<std::uint8_t>(candidate % 7), static_cast<std::uint8_t>(1 + candidate % 200)};
    f.sport = static_cast<std::uint16_t>(20000 + candidate);
    f.dport = static_cast<std::uint16_t>(candidate % 3 == 0 ? 80 : 443);
    f.hash = hasher.ipv4_l4(f.src, f.dst, f.sport, f.dport);
    f.queue = queues > 1 ? static_cast<std::uint16_t>(table.queue_for(f.hash)) : 0;
    if (per_queue[f.queue] >= quota) continue;
    ++per_queue[f.queue];
    f.id = static_cast<std::uint32_t>(flows.size());
    flows.push_back(f);
  }
  return flows;
}

namespace detail {
inline void put16(std::byte* p, std::uint32_t v) noexcept {
  p[0] = std::byte(v >> 8);
  p[1] = std::byte(v);
}
inline void put32(std::byte* p, std::uint32_t v) noexcept {
  put16(p, v >> 16);
  put16(p + 2, v);
}
inline std::uint32_t get32(const std::byte* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
}
inline void headers(std::byte* f, std::size_t size, const netvsc::MacAddress& mac, const Flow& flow,
                    std::uint64_t seq) noexcept {
  std::memcpy(f, mac.data(), 6);
  std::memcpy(f + 6, kPeerMac.data(), 6);
  put16(f + 12, 0x0800);
  std::byte* ip = f + 14;
  ip[0] = std::byte{0x45};
  ip[1] = std::byte{0};
  put16(ip + 2, static_cast<std::uint32_t>(size - 14));
  put16(ip + 4, static_cast<std::uint32_t>(seq));
  put16(ip + 6, 0x4000);  // DF, no fragment: RSS hashes the ports
  ip[8] = std::byte{64};
  ip[9] = std::byte{6};
  put16(ip + 10, 0);
  std::memcpy(ip + 12, flow.src.data(), 4);
  std::memcpy(ip + 16, flow.dst.data(), 4);
  std::byte* tcp = f + 34;
  put16(tcp, flow.sport);
  put16(tcp + 2, flow.dport);
  put32(tcp + 4, static_cast<std::uint32_t>(seq));
  put32(tcp + 8, flow.id);
  tcp[12] = std::byte{0x50};
  tcp[13] = std::byte{0x18};
  put16(tcp + 14, 0xffff);
  put16(tcp + 16, 0);
  put16(tcp + 18, 0);
}
}  // namespace detail

// Writes frame (flow, seq) over all of `out` (its size is the frame's).
inline void build_frame(std::span<std::byte> out, const netvsc::MacAddress& mac, const Flow& flow,
                        std::uint64_t seq) noexcept {
  detail::headers(out.data(), out.size(), mac, flow, seq);
  std::uint64_t w = frame_seed(flow.id, seq);
  std::size_t at = kHeaders;
  for (; at + 8 <= out.size(); at += 8, w += 0x9e3779b97f4a7c15ull) std::memcpy(out.data() + at, &w, 8);
  if (at < out.size()) std::memcpy(out.data() + at, &w, out.size() - at);
}

// Which frame this claims to be (the flow id and the low 32 bits of seq).
struct FrameId {
  std::uint32_t flow = 0;
  std::uint32_t seq32 = 0;
};
inline bool parse_frame(std::span<const std::byte> frame, FrameId& id) noexcept {
  if (frame.size() < kHeaders) return false;
  id.seq32 = detail::get32(frame.data() + 38);
  id.flow = detail::get32(frame.data() + 42);
  return true;
}

// True if `frame` is exactly frame (flow, seq) of `size` bytes; otherwise
// `why` says where it differs.
inline bool check_frame(std::span<const std::byte> frame, const netvsc::MacAddress& mac, const Flow& flow,
                        std::uint64_t seq, std::uint32_t size, std::string* why) {
  if (frame.size() != size) {
    if (why) *why = "length " + std::to_string(frame.size()) + ", sent " + std::to_string(size);
    return false;
  }
  std::array<std::byte, kHeaders> h{};
  detail::headers(h.data(), size, mac, flow, seq);
  if (std::memcmp(h.data(), frame.data(), kHeaders) != 0) {
    if (why) *why = "headers differ";
    return false;
  }
  std::uint64_t w = frame_seed(flow.id, seq);
  std::size_t at = kHeaders;
  for (; at + 8 <= frame.size(); at += 8, w += 0x9e3779b97f4a7c15ull) {
    if (std::memcmp(frame.data() + at, &w, 8) != 0) {
      if (why) *why = "payload differs at byte " + std::to_string(at);
      return false;
    }
  }
  if (at < frame.size() && std::memcmp(frame.data() + at, &w, frame.size() - at) != 0) {
    if (why) *why = "payload differs in the last bytes";
    return false;
  }
  return true;
}

}  // namespace netvsc_ct
