// File: netvsc/port_config.h
//
// What a netvsc port is asked to be at open: NVSP versions to offer, MTU,
// queues, packet filter, RSS, offloads, copy thresholds, timeouts and the
// link callback. Every field has the default Linux or DPDK uses, so
// `PortConfig{}` opens a working single-queue port.
//
// Usage:
//   netvsc::PortConfig config;
//   config.queues = 4;                                    // RSS over 4 channels
//   config.versions = {netvsc::nvsp::Version::v5};         // tests: force one version
//   config.packet_filter |= netvsc::ndis::kPacketTypePromiscuous;
//   auto port = netvsc::Port::open(*device, config);
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "netvsc/link.h"
#include "netvsc/protocol/ndis_oids.h"
#include "netvsc/protocol/nvsp.h"
#include "netvsc/protocol/toeplitz.h"

namespace netvsc {

// MTU bounds (Linux netvsc_probe: ETH_MIN_MTU; NETVSC_MTU 65535 - ETH_HLEN).
inline constexpr std::uint32_t kPortMinMtu = 68;
inline constexpr std::uint32_t kPortMaxMtu = 65535 - 14;

struct OffloadConfig {
  // Each is asked of the host only if its hardware capabilities offer it
  // (OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES); PortInfo says what was enabled.
  bool tx_checksum = true;  // IPv4 header, TCP and UDP over IPv4/IPv6
  bool rx_checksum = true;
  bool lso = true;          // LSOv2, IPv4 and IPv6
};

struct PortConfig {
  // NVSP versions offered, one INIT each, in this order until the host
  // accepts (netvsc_connect_vsp: 6.1, 6, 5, 4, 2, 1). Subchannels need >= 5.
  std::vector<nvsp::Version> versions{nvsp::kVersionsNewestFirst.begin(), nvsp::kVersionsNewestFirst.end()};
  // Sent as mtu + 14 in SEND_NDIS_CONFIG (NVSP >= 2); kPortMinMtu..kPortMaxMtu
  // (1500 at most with NVSP 1). The MTU in effect (PortInfo::mtu) is this,
  // lowered to the host's OID_GEN_MAXIMUM_FRAME_SIZE. To change it on an
  // open port, netvsc::change_mtu (port.h) re-opens the port, as Linux's
  // netvsc_change_mtu detaches and re-attaches the RNDIS device.
  std::uint32_t mtu = 1500;
  // Queues wanted: the port opens min(queues, the host's RSS queues, the
  // subchannels it grants + 1). 1 asks for no subchannels.
  std::uint16_t queues = 1;
  // OID_GEN_CURRENT_PACKET_FILTER (ndis_oids.h kPacketType*).
  std::uint32_t packet_filter =
      ndis::kPacketTypeDirected | ndis::kPacketTypeMulticast | ndis::kPacketTypeBroadcast;
  // RSS (queues > 1): the Toeplitz key (default: the verification key
  // Linux and DPDK ship) and the indirection table (default entry i = i % queues,
  // 128 entries). Entries must be < the queues opened, or open fails.
  std::array<std::uint8_t, rss::kKeySize> rss_key = rss::kVerificationKey;
  std::vector<std::uint32_t> rss_indirection;
  OffloadConfig offloads;
  // Frames up to this many bytes are copied into the send buffer; larger
  // frames with a TxPacket::dma go GPA-direct (DPDK tx_copybreak, 512).
  std::uint32_t tx_copybreak = 512;
  // Pack several small frames into one send-buffer section when the host's
  // RNDIS limits allow (DPDK hn_try_txagg).
  bool tx_aggregation = true;
  // Sends in flight per queue (descriptors; DPDK's tx_desc default 512).
  std::uint32_t tx_descriptors = 512;
  // Each control request's reply (DPDK d564751748: 60 s; hosts can take 15 s).
  std::chrono::milliseconds control_timeout{60000};
  // How long subchannel offers may take to appear (DPDK retries 10 s).
  std::chrono::milliseconds subchannel_timeout{10000};
  LinkCallback on_link_change;
};

}  // namespace netvsc
