// The Toeplitz hash (bitwise and table-driven) and the indirection table.
#include "netvsc/protocol/toeplitz.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace netvsc::rss {
namespace {

// The 32 key bits starting at bit `bit` (bit 0 = MSB of key[0]); bits past
// the key's end are zero.
std::uint32_t window(std::span<const std::uint8_t> key, std::size_t bit) noexcept {
  const std::size_t first = bit / 8;
  std::uint64_t v = 0;  // 40 bits: key[first .. first + 4]
  for (std::size_t i = 0; i < 5; ++i) {
    v = (v << 8) | (first + i < key.size() ? key[first + i] : 0u);
  }
  return static_cast<std::uint32_t>(v >> (8 - bit % 8));
}

template <std::size_t N>
void put(std::array<std::uint8_t, N>& out, std::size_t at, std::span<const std::uint8_t> bytes) noexcept {
  std::memcpy(out.data() + at, bytes.data(), bytes.size());
}

template <std::size_t N>
void put_port(std::array<std::uint8_t, N>& out, std::size_t at, std::uint16_t port) noexcept {
  out[at] = static_cast<std::uint8_t>(port >> 8);
  out[at + 1] = static_cast<std::uint8_t>(port & 0xffu);
}

}  // namespace

std::uint32_t toeplitz_hash(std::span<const std::uint8_t> key, std::span<const std::uint8_t> input) noexcept {
  std::uint32_t hash = 0;
  for (std::size_t i = 0; i < input.size(); ++i) {
    for (std::size_t b = 0; b < 8; ++b) {
      if ((input[i] & (0x80u >> b)) != 0) hash ^= window(key, i * 8 + b);
    }
  }
  return hash;
}

std::array<std::uint8_t, 8> ipv4_input(const Ipv4Address& src, const Ipv4Address& dst) noexcept {
  std::array<std::uint8_t, 8> in{};
  put(in, 0, src);
  put(in, 4, dst);
  return in;
}

std::array<std::uint8_t, 12> ipv4_l4_input(const Ipv4Address& src, const Ipv4Address& dst, std::uint16_t src_port,
                                           std::uint16_t dst_port) noexcept {
  std::array<std::uint8_t, 12> in{};
  put(in, 0, src);
  put(in, 4, dst);
  put_port(in, 8, src_port);
  put_port(in, 10, dst_port);
  return in;
}

std::array<std::uint8_t, 32> ipv6_input(const Ipv6Address& src, const Ipv6Address& dst) noexcept {
  std::array<std::uint8_t, 32> in{};
  put(in, 0, src);
  put(in, 16, dst);
  return in;
}

std::array<std::uint8_t, 36> ipv6_l4_input(const Ipv6Address& src, const Ipv6Address& dst, std::uint16_t src_port,
                                           std::uint16_t dst_port) noexcept {
  std::array<std::uint8_t, 36> in{};
  put(in, 0, src);
  put(in, 16, dst);
  put_port(in, 32, src_port);
  put_port(in, 34, dst_port);
  return in;
}

Toeplitz::Toeplitz(std::span<const std::uint8_t> key) noexcept {
  // table_[i][v]: the XOR of the windows of every set bit of byte value v at
  // input position i. Built from the single-bit entries.
  for (std::size_t i = 0; i < kMaxInput; ++i) {
    auto& t = table_[i];
    for (std::size_t b = 0; b < 8; ++b) t[0x80u >> b] = window(key, i * 8 + b);
    for (std::uint32_t v = 1; v < 256; ++v) {
      const std::uint32_t low = v & (~v + 1);  // lowest set bit
      if (v != low) t[v] = t[low] ^ t[v ^ low];
    }
  }
}

std::uint32_t Toeplitz::hash(std::span<const std::uint8_t> input) const noexcept {
  const std::size_t n = std::min(input.size(), kMaxInput);
  std::uint32_t h = 0;
  for (std::size_t i = 0; i < n; ++i) h ^= table_[i][input[i]];
  return h;
}

vmbus::Result<IndirectionTable> IndirectionTable::from(std::span<const std::uint32_t> entries) noexcept {
  const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(entries.size(), kMaxEntries + 1));
  if (entries.size() > kMaxEntries || !std::has_single_bit(n)) {
    return vmbus::Error{vmbus::Errc::invalid_argument, entries.size()};
  }
  IndirectionTable t;
  std::copy(entries.begin(), entries.end(), t.entries_.begin());
  t.size_ = n;
  return t;
}

IndirectionTable IndirectionTable::round_robin(std::uint32_t queues, std::uint32_t entries) noexcept {
  queues = std::max(queues, 1u);
  entries = std::bit_floor(std::clamp(entries, 1u, kMaxEntries));
  IndirectionTable t;
  for (std::uint32_t i = 0; i < entries; ++i) t.entries_[i] = i % queues;
  t.size_ = entries;
  return t;
}

}  // namespace netvsc::rss
