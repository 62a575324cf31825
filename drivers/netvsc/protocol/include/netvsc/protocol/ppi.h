// File: netvsc/protocol/ppi.h
//
// Per-packet info (PPI): the typed records between a REMOTE_NDIS_PACKET_MSG's
// header and its frame that carry offload metadata. Each record is
//
//   +0 u32 size (whole record) | +4 u32 type:31, internal:1 | +8 u32 ppi_offset (from the record) | value...
//
// (struct rndis_per_packet_info, hyperv_net.h; DPDK rndis.h struct
// rndis_pktinfo). Linux and DPDK write every record as 12 header bytes plus a
// 4-byte value, ppi_offset 12, size 16 (init_ppi_data; hn_rndis_pktinfo_append).
// This file holds the type numbers, the value encodings, the decoded set a
// parser fills in (PacketInfo) and an iterator over raw records.
//
// Directions: the guest sends checksum (TX flavour), LSOv2, VLAN and hash
// value; the host sends checksum (RX flavour), VLAN, hash value, hash info and
// the internal RSC id.
//
// Usage:
//   std::uint32_t v = netvsc::ppi::vlan_info(/*id=*/100, /*priority=*/3, /*cfi=*/false);
//   builder.add(netvsc::ppi::Type::ieee_8021q, v);
//   if (view.info.vlan) deliver_vlan(netvsc::ppi::vlan_id(*view.info.vlan));
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>

#include "netvsc/protocol/wire.h"

namespace netvsc::ppi {

// enum ndis_per_pkt_info_type (hyperv_net.h; DPDK NDIS_PKTINFO_TYPE_*).
enum class Type : std::uint32_t {
  tcpip_checksum = 0,  // TCPIP_CHKSUM_PKTINFO
  ipsec = 1,
  tcp_large_send = 2,  // TCP_LARGESEND_PKTINFO (LSOv2 on netvsc)
  classification_handle = 3,
  sg_list = 5,
  ieee_8021q = 6,  // IEEE_8021Q_INFO
  original = 7,
  hash_value = 8,  // PACKET_CANCEL_ID, reused as NBL_HASH_VALUE
  hash_info = 9,   // ORIGINAL_NET_BUFLIST, reused as the hash info (DPDK NDIS_PKTINFO_TYPE_HASHINF)
  cached_net_buflist = 10,
  short_packet_padding = 11,
};
constexpr std::uint32_t raw(Type t) noexcept { return static_cast<std::uint32_t>(t); }

// Internal types (internal bit set): enum rndis_per_pkt_info_interal_type.
inline constexpr std::uint32_t kInternalPktinfoId = 1;  // RNDIS_PKTINFO_ID: RSC fragments
inline constexpr std::uint32_t kInternalBit = 0x80000000u;

// struct rndis_per_packet_info. `type` holds type:31 in bits 0-30 and
// internal:1 in bit 31 (GCC allocates bit-fields from bit 0 on little-endian).
struct [[gnu::packed]] Header {
  std::uint32_t size;
  std::uint32_t type;
  std::uint32_t ppi_offset;
};
static_assert(offsetof(Header, size) == 0);
static_assert(offsetof(Header, type) == 4);
static_assert(offsetof(Header, ppi_offset) == 8);
static_assert(sizeof(Header) == 12);
inline constexpr std::uint32_t kHeaderSize = sizeof(Header);
// The size of a record with a 4-byte value (NDIS_*_PPI_SIZE).
inline constexpr std::uint32_t kValueRecordSize = kHeaderSize + 4;

// --- Transmit checksum (struct ndis_tcp_ip_checksum_info, .transmit) ---
inline constexpr std::uint32_t kTxIsIpv4 = 1u << 0;
inline constexpr std::uint32_t kTxIsIpv6 = 1u << 1;
inline constexpr std::uint32_t kTxTcpChecksum = 1u << 2;
inline constexpr std::uint32_t kTxUdpChecksum = 1u << 3;
inline constexpr std::uint32_t kTxIpHeaderChecksum = 1u << 4;
// tcp_header_offset:10 at bit 16: where the L4 header starts in the frame.
constexpr std::uint32_t tx_checksum_info(std::uint32_t flags, std::uint32_t l4_offset) noexcept {
  return flags | ((l4_offset & 0x3ffu) << 16);
}
constexpr std::uint32_t tx_checksum_l4_offset(std::uint32_t info) noexcept { return (info >> 16) & 0x3ffu; }

// --- Receive checksum (struct ndis_tcp_ip_checksum_info, .receive) ---
inline constexpr std::uint32_t kRxTcpChecksumFailed = 1u << 0;
inline constexpr std::uint32_t kRxUdpChecksumFailed = 1u << 1;
inline constexpr std::uint32_t kRxIpChecksumFailed = 1u << 2;
inline constexpr std::uint32_t kRxTcpChecksumSucceeded = 1u << 3;
inline constexpr std::uint32_t kRxUdpChecksumSucceeded = 1u << 4;
inline constexpr std::uint32_t kRxIpChecksumSucceeded = 1u << 5;
inline constexpr std::uint32_t kRxLoopback = 1u << 6;
inline constexpr std::uint32_t kRxTcpChecksumValueInvalid = 1u << 7;
inline constexpr std::uint32_t kRxIpChecksumValueInvalid = 1u << 8;

// --- LSOv2 (struct ndis_tcp_lso_info, .lso_v2_transmit) ---
// mss:20 | tcp_header_offset:10 | type:1 (1 = LSOv2) | ip_version:1 (1 = IPv6).
inline constexpr std::uint32_t kLsoV2Type = 1u << 30;  // NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE
inline constexpr std::uint32_t kLsoIpv6 = 1u << 31;    // NDIS_TCP_LARGE_SEND_OFFLOAD_IPV6
constexpr std::uint32_t lso_v2_info(std::uint32_t mss, std::uint32_t tcp_header_offset, bool ipv6) noexcept {
  return (mss & 0xfffffu) | ((tcp_header_offset & 0x3ffu) << 20) | kLsoV2Type | (ipv6 ? kLsoIpv6 : 0u);
}
constexpr std::uint32_t lso_mss(std::uint32_t info) noexcept { return info & 0xfffffu; }
constexpr std::uint32_t lso_tcp_header_offset(std::uint32_t info) noexcept { return (info >> 20) & 0x3ffu; }
constexpr bool lso_is_ipv6(std::uint32_t info) noexcept { return (info & kLsoIpv6) != 0; }

// --- IEEE 802.1Q (struct ndis_pkt_8021q_info) ---
// pri:3 | cfi:1 | vlanid:12 | reserved:16 (DPDK NDIS_VLAN_INFO_MAKE). Not the
// TCI's bit order: the TCI is pri:3 at 13, dei:1 at 12, vid:12 at 0.
constexpr std::uint32_t vlan_info(std::uint32_t vlan_id, std::uint32_t priority, bool cfi) noexcept {
  return (priority & 7u) | (cfi ? 8u : 0u) | ((vlan_id & 0xfffu) << 4);
}
constexpr std::uint32_t vlan_id(std::uint32_t info) noexcept { return (info >> 4) & 0xfffu; }
constexpr std::uint32_t vlan_priority(std::uint32_t info) noexcept { return info & 7u; }
constexpr bool vlan_cfi(std::uint32_t info) noexcept { return (info & 8u) != 0; }
constexpr std::uint32_t vlan_info_from_tci(std::uint16_t tci) noexcept {
  return vlan_info(tci & 0xfffu, static_cast<std::uint32_t>(tci >> 13), (tci & 0x1000u) != 0);
}
constexpr std::uint16_t vlan_tci(std::uint32_t info) noexcept {
  return static_cast<std::uint16_t>((vlan_priority(info) << 13) | (vlan_cfi(info) ? 0x1000u : 0u) | vlan_id(info));
}

// --- RSC fragment id (struct rndis_pktinfo_id, internal type 1) ---
struct [[gnu::packed]] PktinfoId {
  std::uint8_t ver;  // RNDIS_PKTINFO_ID_V1
  std::uint8_t flag;
  std::uint16_t pkt_id;
};
static_assert(offsetof(PktinfoId, ver) == 0);
static_assert(offsetof(PktinfoId, flag) == 1);
static_assert(offsetof(PktinfoId, pkt_id) == 2);
static_assert(sizeof(PktinfoId) == 4);
inline constexpr std::uint8_t kPktinfoIdV1 = 1;
inline constexpr std::uint8_t kPktinfoSuballoc = 1u << 0;   // part of an RSC packet
inline constexpr std::uint8_t kPktinfoFirstFrag = 1u << 1;
inline constexpr std::uint8_t kPktinfoLastFrag = 1u << 2;

// The known records of one packet, decoded once by the parser. The first
// record of each type wins (as Linux's rndis_get_ppi returns the first match).
struct PacketInfo {
  std::optional<std::uint32_t> checksum;    // Type::tcpip_checksum (TX or RX flavour by direction)
  std::optional<std::uint32_t> lso;         // Type::tcp_large_send
  std::optional<std::uint32_t> vlan;        // Type::ieee_8021q
  std::optional<std::uint32_t> hash_value;  // Type::hash_value
  std::optional<std::uint32_t> hash_info;   // Type::hash_info (NDIS_HASH_* type | function)
  std::optional<PktinfoId> rsc;             // internal kInternalPktinfoId
};

// One raw record.
struct Record {
  std::uint32_t type = 0;  // without the internal bit
  bool internal = false;
  std::span<const std::byte> value;  // [ppi_offset, size) of the record
};

// Iterates the records of a PPI area. The parser validated the area once;
// the iterator checks each record's bounds again as it goes and stops at the
// first bad one, so bytes changed by the peer after parsing (a receive
// buffer is shared memory) can end the walk early but never read outside it.
class RecordRange {
 public:
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Record;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Record;

    Iterator() = default;
    Record operator*() const noexcept { return current_; }
    Iterator& operator++() noexcept {
      rest_ = rest_.subspan(size_);
      load();
      return *this;
    }
    Iterator operator++(int) noexcept {
      Iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const Iterator& o) const noexcept {
      return rest_.data() == o.rest_.data() && rest_.size() == o.rest_.size();
    }

   private:
    friend class RecordRange;
    explicit Iterator(std::span<const std::byte> rest) noexcept : rest_(rest) { load(); }
    void load() noexcept {
      if (rest_.size() < kHeaderSize) return end();
      const auto h = wire::load<Header>(rest_);
      if (h.size < kHeaderSize || h.size > rest_.size() || h.ppi_offset < kHeaderSize || h.ppi_offset >= h.size) {
        return end();
      }
      size_ = h.size;
      current_ = Record{h.type & ~kInternalBit, (h.type & kInternalBit) != 0,
                        rest_.subspan(h.ppi_offset, h.size - h.ppi_offset)};
    }
    void end() noexcept { rest_ = {}, size_ = 0, current_ = {}; }

    std::span<const std::byte> rest_;
    std::size_t size_ = 0;
    Record current_;
  };

  explicit RecordRange(std::span<const std::byte> area) noexcept : area_(area) {}
  Iterator begin() const noexcept { return Iterator(area_); }
  Iterator end() const noexcept { return Iterator(); }

 private:
  std::span<const std::byte> area_;
};

}  // namespace netvsc::ppi
