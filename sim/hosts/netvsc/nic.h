// File: sim/hosts/netvsc/nic.h
//
// NicHost: one open of a synthetic NIC, on its host service thread. The
// pieces, each in its own file:
//   nvsp_session.cc  NVSP: INIT and version negotiation, NDIS config and
//                    version, receive/send buffer connect and revoke,
//                    subchannel allocation, the send indirection table
//   tx_path.cc       guest -> host RNDIS messages, from send-buffer sections
//                    (several packed per section) or GPA ranges; their
//                    completions on the channel they came in on
//   nic_receive.cc   host -> guest frames: packet filter, RSS queue, PPIs
//   rx_path.*        receive slots and transfer-page packets
//   payload_faults.* `hvsim ctl fault` kinds that corrupt NVSP/RNDIS fields
//   rndis_device.*   RNDIS control messages and OIDs
//   rss.*            Toeplitz hash and indirection table
//   frame_backend.h  loopback, sink, source, tap
//   nic_shared.*     counters for `hvsim ctl stats`, `hvsim ctl link`
// Quirks of Hyper-V kept on purpose (reference/host-behaviour.md): a request
// under 32 bytes gets no reply; an RNDIS packet whose header spans GPA
// ranges completes with status 2; every host NVSP message is padded to 40
// bytes (DPDK rejects shorter ones).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "frame_backend.h"
#include "hvsim/device_host.h"
#include "hvsim/host_channel.h"
#include "netvsc/protocol/nvsp.h"
#include "netvsc/protocol/rndis_message.h"
#include "nic_shared.h"
#include "rndis_device.h"
#include "rss.h"
#include "rx_path.h"

namespace hvsim::netvsc {

class NicHost final : public DeviceHost, private FrameSink {
 public:
  explicit NicHost(const DeviceSpec& spec);
  ~NicHost() override;

  void on_open(HostChannel& channel) override;
  PacketResult on_packet(HostChannel& channel, const vmbus::IncomingPacket& packet) override;
  void on_close(HostChannel& channel) override;
  void on_poll() override;
  std::uint32_t poll_interval_us() const noexcept override;

 private:
  // --- nvsp_session.cc ---
  PacketResult on_nvsp(HostChannel& ch, const vmbus::IncomingPacket& p);
  // Sends a 40-byte NVSP message as a completion of `trans_id` (the room was checked).
  void complete(HostChannel& ch, std::uint64_t trans_id, std::span<const std::byte> message) noexcept;
  void send_indirection_table(HostChannel& ch) noexcept;
  std::uint32_t slot_size() const noexcept;

  // --- tx_path.cc ---
  PacketResult on_section_send(HostChannel& ch, const vmbus::IncomingPacket& p, std::uint32_t channel_type,
                               std::uint32_t index, std::uint32_t size);
  PacketResult on_gpa_direct(HostChannel& ch, const vmbus::IncomingPacket& p);
  // One RNDIS message from the guest; false if it was malformed.
  bool on_rndis_message(HostChannel& ch, const ::netvsc::rndis::MessageView& m) noexcept;
  bool on_data(HostChannel& ch, const ::netvsc::rndis::MessageView& m) noexcept;
  void on_control(const ::netvsc::rndis::MessageView& m) noexcept;
  void send_completion(HostChannel& ch, std::uint64_t trans_id, ::netvsc::nvsp::Status status) noexcept;

  // --- nic_receive.cc ---
  bool receive(std::span<const std::byte> frame, const FrameMeta& meta, bool may_wait) noexcept override;
  void deliver_control(std::span<const std::byte> message) noexcept;
  void indicate_link(const NicShared::Link& link) noexcept;

  // Logs a guest error (rate-limited through HostChannel::drop) and counts it.
  void guest_error(HostChannel& ch, NicCounter counter, std::string_view why) noexcept;
  std::uint32_t open_queues() const noexcept;

  const DeviceSpec spec_;
  std::shared_ptr<NicShared> shared_;
  std::unique_ptr<FrameBackend> backend_;
  Rss rss_;
  RndisDevice rndis_;
  RxPath rx_;
  std::array<HostChannel*, RxPath::kMaxQueues> channels_{};  // by subchannel id; 0 = primary

  // NVSP session state.
  std::uint32_t version_ = 0;  // 0 until INIT succeeded
  std::uint32_t ndis_version_ = 0;
  std::uint32_t guest_mtu_ = 0;  // from SEND_NDIS_CONFIG (mtu + 14)
  std::uint64_t guest_caps_ = 0;
  bool send_connected_ = false;
  std::uint32_t send_section_size_ = ::netvsc::nvsp::kSendSectionSize;
  std::uint32_t send_sections_ = 0;
  std::uint32_t subchannels_allocated_ = 0;
  std::uint64_t link_seen_ = 0;
  bool sent_table_ = false;

  // Buffers allocated once per open.
  std::vector<std::byte> message_;  // one host->guest RNDIS message being built
  std::array<std::byte, RndisDevice::kMaxReply> reply_{};
};

}  // namespace hvsim::netvsc
