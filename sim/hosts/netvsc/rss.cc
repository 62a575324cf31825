// Rss: the flow hash of a frame and its queue.
#include "rss.h"

#include <array>
#include <cstring>

namespace hvsim::netvsc {
namespace {

namespace ndis = ::netvsc::ndis;
constexpr std::uint32_t kHashUdpIpv4 = 0x00004000;  // NDIS_HASH_UDP_IPV4 (NDIS 6.80)
constexpr std::uint32_t kHashUdpIpv6 = 0x00008000;  // NDIS_HASH_UDP_IPV6

std::uint8_t byte_at(std::span<const std::byte> b, std::size_t i) noexcept { return static_cast<std::uint8_t>(b[i]); }
std::uint16_t be16(std::span<const std::byte> b, std::size_t i) noexcept {
  return static_cast<std::uint16_t>((byte_at(b, i) << 8) | byte_at(b, i + 1));
}

}  // namespace

void Rss::set(const ndis::RssSettings& s) noexcept {
  if (s.disabled()) {
    enabled_ = false;
    return;
  }
  if ((s.flags & ndis::kRssFlagHashInfoUnchanged) == 0) hashinfo_ = s.hashinfo;
  if ((s.flags & ndis::kRssFlagHashKeyUnchanged) == 0 && s.key_size != 0) toeplitz_ = ::netvsc::rss::Toeplitz(s.key());
  if ((s.flags & ndis::kRssFlagTableUnchanged) == 0 && s.table_entries != 0) {
    if (auto t = ::netvsc::rss::IndirectionTable::from(s.table())) table_ = *t;
  }
  enabled_ = (hashinfo_ & ndis::kHashTypeMask) != 0;
}

std::optional<Rss::Hash> Rss::hash(std::span<const std::byte> frame) const noexcept {
  if (!enabled_ || frame.size() < 14) return std::nullopt;
  std::size_t l3 = 14;
  std::uint16_t ethertype = be16(frame, 12);
  if (ethertype == 0x8100 && frame.size() >= 18) {  // an 802.1Q tag the guest left in the frame
    ethertype = be16(frame, 16);
    l3 = 18;
  }
  const std::uint32_t function = ndis::kHashFunctionToeplitz;
  std::array<std::uint8_t, 36> input{};
  if (ethertype == 0x0800 && (hashinfo_ & (ndis::kHashIpv4 | ndis::kHashTcpIpv4)) != 0) {
    if (frame.size() < l3 + 20) return std::nullopt;
    const std::size_t ihl = static_cast<std::size_t>(byte_at(frame, l3) & 0x0f) * 4;
    const std::uint8_t proto = byte_at(frame, l3 + 9);
    const bool fragment = (be16(frame, l3 + 6) & 0x3fff) != 0;  // MF or an offset: no ports
    std::memcpy(input.data(), frame.data() + l3 + 12, 8);
    const std::size_t l4 = l3 + ihl;
    const bool ports = ihl >= 20 && !fragment && frame.size() >= l4 + 4 &&
                       ((proto == 6 && (hashinfo_ & ndis::kHashTcpIpv4) != 0) ||
                        (proto == 17 && (hashinfo_ & kHashUdpIpv4) != 0));
    if (ports) {
      std::memcpy(input.data() + 8, frame.data() + l4, 4);
      return Hash{toeplitz_.hash(std::span(input).first(12)), (proto == 6 ? ndis::kHashTcpIpv4 : kHashUdpIpv4) | function};
    }
    if ((hashinfo_ & ndis::kHashIpv4) == 0) return std::nullopt;
    return Hash{toeplitz_.hash(std::span(input).first(8)), ndis::kHashIpv4 | function};
  }
  if (ethertype == 0x86dd && (hashinfo_ & (ndis::kHashIpv6 | ndis::kHashTcpIpv6)) != 0) {
    if (frame.size() < l3 + 40) return std::nullopt;
    const std::uint8_t next = byte_at(frame, l3 + 6);  // extension headers: addresses only
    std::memcpy(input.data(), frame.data() + l3 + 8, 32);
    const std::size_t l4 = l3 + 40;
    const bool ports = frame.size() >= l4 + 4 && ((next == 6 && (hashinfo_ & ndis::kHashTcpIpv6) != 0) ||
                                                  (next == 17 && (hashinfo_ & kHashUdpIpv6) != 0));
    if (ports) {
      std::memcpy(input.data() + 32, frame.data() + l4, 4);
      return Hash{toeplitz_.hash(input), (next == 6 ? ndis::kHashTcpIpv6 : kHashUdpIpv6) | function};
    }
    if ((hashinfo_ & ndis::kHashIpv6) == 0) return std::nullopt;
    return Hash{toeplitz_.hash(std::span(input).first(32)), ndis::kHashIpv6 | function};
  }
  return std::nullopt;
}

}  // namespace hvsim::netvsc
