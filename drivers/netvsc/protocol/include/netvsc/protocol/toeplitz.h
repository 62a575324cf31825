// File: netvsc/protocol/toeplitz.h
//
// The Toeplitz hash of Microsoft's receive-side scaling (NDIS "RSS hashing
// functions"), and the indirection table that maps a hash to a queue. The
// host computes it over a received packet with the key and table the guest
// set (OID_GEN_RECEIVE_SCALE_PARAMETERS, ndis_rss.h) and reports it in the
// hash-value per-packet info; a guest can recompute it to pick a transmit
// queue whose completions land where the receive does.
//
// The hash: for every bit of the input, most significant bit of the first
// byte first, if the bit is set XOR in the 32 key bits that start at that
// bit's position. Inputs are network-order bytes in the order NDIS defines:
//   IPv4:     source address, destination address                 (8 bytes)
//   IPv4+L4:  source address, destination address, source port,
//             destination port                                     (12 bytes)
//   IPv6:     the same with 16-byte addresses                      (32 / 36 bytes)
// A 40-byte key covers the longest input (36 bytes + 4 bytes of window).
//
// Verified against the table of "Verifying the RSS Hash Calculation"
// (Microsoft RSS documentation, also the 82599 datasheet's RSS verification
// suite and DPDK app/test/test_thash.c): with kVerificationKey,
// 66.9.149.187:2794 -> 161.142.100.80:1766 hashes to 0x323e8fc2 (IPv4) and
// 0x51ccc178 (IPv4 with TCP ports).
//
// Usage:
//   netvsc::rss::Toeplitz hasher(key);  // precomputes 36 KiB of tables once
//   std::uint32_t h = hasher.ipv4_l4(src, dst, sport, dport);
//   std::uint16_t queue = table.queue_for(h);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "vmbus/result.h"

namespace netvsc::rss {

inline constexpr std::size_t kKeySize = 40;  // NETVSC_HASH_KEYLEN, NDIS_HASH_KEYSIZE_TOEPLITZ
inline constexpr std::size_t kMaxInput = 36;  // IPv6 addresses and ports

// The key of the RSS verification suite (DPDK test_thash.c default_rss_key).
inline constexpr std::array<std::uint8_t, kKeySize> kVerificationKey{
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

using Ipv4Address = std::array<std::uint8_t, 4>;   // network order
using Ipv6Address = std::array<std::uint8_t, 16>;  // network order

// The hash, bit by bit: the definition, for tests and one-off use. Key bits
// past the end of `key` count as zero.
std::uint32_t toeplitz_hash(std::span<const std::uint8_t> key, std::span<const std::uint8_t> input) noexcept;

// The hash inputs NDIS defines (ports in host order; serialized big-endian).
std::array<std::uint8_t, 8> ipv4_input(const Ipv4Address& src, const Ipv4Address& dst) noexcept;
std::array<std::uint8_t, 12> ipv4_l4_input(const Ipv4Address& src, const Ipv4Address& dst, std::uint16_t src_port,
                                           std::uint16_t dst_port) noexcept;
std::array<std::uint8_t, 32> ipv6_input(const Ipv6Address& src, const Ipv6Address& dst) noexcept;
std::array<std::uint8_t, 36> ipv6_l4_input(const Ipv6Address& src, const Ipv6Address& dst, std::uint16_t src_port,
                                           std::uint16_t dst_port) noexcept;

// A key turned into per-byte tables: one lookup and XOR per input byte.
class Toeplitz {
 public:
  // A key of up to 40 bytes; missing bytes count as zero.
  explicit Toeplitz(std::span<const std::uint8_t> key) noexcept;

  // Inputs longer than kMaxInput bytes are hashed over their first kMaxInput.
  std::uint32_t hash(std::span<const std::uint8_t> input) const noexcept;

  std::uint32_t ipv4(const Ipv4Address& src, const Ipv4Address& dst) const noexcept {
    return hash(ipv4_input(src, dst));
  }
  std::uint32_t ipv4_l4(const Ipv4Address& src, const Ipv4Address& dst, std::uint16_t sport,
                        std::uint16_t dport) const noexcept {
    return hash(ipv4_l4_input(src, dst, sport, dport));
  }
  std::uint32_t ipv6(const Ipv6Address& src, const Ipv6Address& dst) const noexcept {
    return hash(ipv6_input(src, dst));
  }
  std::uint32_t ipv6_l4(const Ipv6Address& src, const Ipv6Address& dst, std::uint16_t sport,
                        std::uint16_t dport) const noexcept {
    return hash(ipv6_l4_input(src, dst, sport, dport));
  }

 private:
  std::array<std::array<std::uint32_t, 256>, kMaxInput> table_{};
};

// The RSS indirection table: a hash picks entry hash & (size - 1), whose
// value is a queue (NDIS: "the least significant bits of the hash index the
// table"; Linux and DPDK send 128 entries).
class IndirectionTable {
 public:
  static constexpr std::uint32_t kMaxEntries = 128;  // ITAB_NUM

  // Entries must number a power of two up to 128. Error: invalid_argument
  // (detail = the count).
  static vmbus::Result<IndirectionTable> from(std::span<const std::uint32_t> entries) noexcept;
  // Entry i = i % queues, what Linux (ethtool_rxfh_indir_default) and DPDK
  // fill in. queues == 0 is taken as 1; `entries` is rounded down to a power
  // of two and clamped to [1, 128].
  static IndirectionTable round_robin(std::uint32_t queues, std::uint32_t entries = kMaxEntries) noexcept;

  std::uint32_t queue_for(std::uint32_t hash) const noexcept { return entries_[hash & (size_ - 1)]; }
  std::span<const std::uint32_t> entries() const noexcept { return std::span(entries_).first(size_); }

 private:
  IndirectionTable() = default;
  std::array<std::uint32_t, kMaxEntries> entries_{};
  std::uint32_t size_ = 1;
};

}  // namespace netvsc::rss
