// File: netvsc/packet.h
//
// The packet descriptors of the burst API (netvsc/port.h): RxPacket, which
// rx_burst fills from a caller's buffer, and TxPacket, which tx_burst sends.
// Both are plain structs the caller owns and reuses; the driver never keeps a
// pointer to one past the call, except the frame bytes of a GPA-direct
// TxPacket, which the host reads until its completion (tx_reclaim).
//
// Offload metadata travels as per-packet info (netvsc/protocol/ppi.h):
//   RX: the host's checksum verdict (tcpip_checksum), the VLAN tag it
//       stripped (ieee_8021q: the host always strips, DPDK hn_rxpkt), and
//       the RSS hash (hash_value);
//   TX: checksum requests, LSOv2 and the VLAN tag to insert.
//
// Usage:
//   std::array<std::byte, 2048> storage[32];
//   netvsc::RxPacket rx[32];
//   for (int i = 0; i < 32; ++i) rx[i].buffer = storage[i];
//   std::uint16_t got = port->rx_burst(0, rx, 32);
//   for (std::uint16_t i = 0; i < got; ++i) handle(rx[i].frame(), rx[i].vlan_tci);
//
//   netvsc::TxPacket tx{.frame = bytes};                 // copied if <= tx_copybreak
//   tx.flags = netvsc::kTxIpv4 | netvsc::kTxTcpChecksum;  // and tx.l4_offset = 34
//   port->tx_burst(0, &tx, 1);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace vmbus {
class DmaRegion;
}

namespace netvsc {

// RxPacket::flags.
inline constexpr std::uint32_t kRxVlan = 1u << 0;         // vlan_tci is valid (the host stripped a tag)
inline constexpr std::uint32_t kRxRssHash = 1u << 1;      // rss_hash is valid
inline constexpr std::uint32_t kRxIpChecksumGood = 1u << 2;
inline constexpr std::uint32_t kRxIpChecksumBad = 1u << 3;
inline constexpr std::uint32_t kRxL4ChecksumGood = 1u << 4;  // TCP or UDP
inline constexpr std::uint32_t kRxL4ChecksumBad = 1u << 5;

struct RxPacket {
  // In: where the frame is copied. A frame longer than this is dropped and
  // counted (QueueStats::rx_dropped_too_small); size it to mtu + 18.
  std::span<std::byte> buffer;
  // Out.
  std::uint32_t length = 0;  // frame bytes written to buffer
  std::uint32_t flags = 0;   // kRx*
  std::uint16_t vlan_tci = 0;
  std::uint32_t rss_hash = 0;

  std::span<const std::byte> frame() const noexcept { return buffer.first(length); }
};

// TxPacket::flags.
inline constexpr std::uint32_t kTxIpv4 = 1u << 0;             // the frame carries IPv4 (checksum, LSO)
inline constexpr std::uint32_t kTxIpv6 = 1u << 1;
inline constexpr std::uint32_t kTxIpChecksum = 1u << 2;       // fill the IPv4 header checksum
inline constexpr std::uint32_t kTxTcpChecksum = 1u << 3;
inline constexpr std::uint32_t kTxUdpChecksum = 1u << 4;
inline constexpr std::uint32_t kTxVlan = 1u << 5;             // insert vlan_tci
inline constexpr std::uint32_t kTxLso = 1u << 6;              // segment at mss (LSOv2); needs kTxIpv4/6

struct TxPacket {
  // The whole Ethernet frame (with an LSO, up to 64 KiB of TCP segments).
  std::span<const std::byte> frame;
  // Set to send a frame larger than tx_copybreak in place (GPA direct); a
  // frame that does not fit a send-buffer section (PortInfo::send_section_size
  // less the RNDIS header: jumbo frames, LSO) must have one. The
  // frame must lie inside this region (Device::allocate_dma), and stay
  // unchanged until tx_reclaim returns `cookie`. Unset (or a small frame),
  // the frame is copied into the send buffer and can be reused at once.
  const vmbus::DmaRegion* dma = nullptr;
  std::uint64_t cookie = 0;  // returned by tx_reclaim once the host is done with a GPA-direct frame
  std::uint32_t flags = 0;   // kTx*
  std::uint16_t vlan_tci = 0;
  std::uint16_t l4_offset = 0;  // checksum/LSO: where the TCP/UDP header starts in the frame
  std::uint32_t mss = 0;        // LSO: TCP payload bytes per segment
};

}  // namespace netvsc
