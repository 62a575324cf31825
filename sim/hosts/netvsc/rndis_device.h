// File: sim/hosts/netvsc/rndis_device.h
//
// The NIC's RNDIS device: the state behind the control messages (MS-RNDIS;
// what Linux's rndis_filter.c and DPDK's hn_rndis.c send) and the answer to
// each. INITIALIZE, HALT, RESET and KEEPALIVE; QUERY and SET of the OIDs
// those guests use: maximum frame size, link speed, media connect status,
// permanent and current address, packet filter, offload hardware
// capabilities and parameters, RSS capabilities and parameters (applied to
// the receive steering), vendor driver version, MAC options, multicast list
// and its maximum size, RNDIS config parameter (Linux's "NetworkAddress").
// Any other OID is answered RNDIS_STATUS_NOT_SUPPORTED, as Hyper-V does.
// Every information buffer is validated by the protocol library's parsers;
// a bad one gets RNDIS_STATUS_INVALID_DATA / INVALID_LENGTH.
//
// Usage:
//   RndisDevice dev(spec.nic, rss);
//   std::uint32_t n = dev.handle(message, reply_buffer, nvsp_version, queues);
//   if (n != 0) rx.deliver(0, reply.first(n), RxPath::Kind::control, true);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "hvsim/config.h"
#include "netvsc/protocol/ndis_offload.h"
#include "netvsc/protocol/nvsp.h"
#include "netvsc/protocol/rndis_message.h"
#include "rss.h"

namespace hvsim::netvsc {

class RndisDevice {
 public:
  static constexpr std::uint32_t kMaxMulticast = 32;  // OID_802_3_MAXIMUM_LIST_SIZE
  static constexpr std::uint32_t kMaxReply = 1024;    // the largest completion written

  RndisDevice(const NicConfig& config, Rss& rss) noexcept;

  // One control message (not a PACKET_MSG). Writes the completion into
  // `reply` (kMaxReply bytes) and returns its length, 0 when the message
  // has none (HALT, an unknown type). `unsupported` tells the caller the
  // answer was NOT_SUPPORTED (for counting).
  std::uint32_t handle(const ::netvsc::rndis::MessageView& m, std::span<std::byte> reply, std::uint32_t nvsp_version,
                       std::uint32_t queues, bool& unsupported) noexcept;

  // Whether the packet filter lets a frame to `dst` through (NDIS_PACKET_TYPE_*).
  bool accepts(std::span<const std::byte> frame) const noexcept;
  const std::array<std::uint8_t, 6>& current_address() const noexcept { return current_; }
  std::uint32_t packet_filter() const noexcept { return filter_; }
  bool initialized() const noexcept { return initialized_; }
  std::uint32_t mtu() const noexcept { return mtu_; }

  bool link_up = true;
  std::uint64_t link_speed_mbps = 0;

 private:
  std::uint32_t query(std::uint32_t req_id, std::uint32_t oid, std::span<const std::byte> info, std::span<std::byte> reply,
                      std::uint32_t nvsp_version, std::uint32_t queues, bool& unsupported) noexcept;
  std::uint32_t set(std::uint32_t req_id, std::uint32_t oid, std::span<const std::byte> info, std::span<std::byte> reply,
                    bool& unsupported) noexcept;
  std::uint32_t set_config_parameter(std::span<const std::byte> info) noexcept;

  Rss& rss_;
  std::uint32_t mtu_;
  std::array<std::uint8_t, 6> permanent_{};
  std::array<std::uint8_t, 6> current_{};
  std::uint32_t filter_ = 0;  // NDIS_PACKET_TYPE_NONE until the guest sets one
  std::array<std::array<std::uint8_t, 6>, kMaxMulticast> multicast_{};
  std::uint32_t multicast_count_ = 0;
  ::netvsc::ndis::OffloadParameters offload_{};
  bool initialized_ = false;
};

}  // namespace hvsim::netvsc
