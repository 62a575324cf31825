// File: src/port_core.h
//
// The port behind netvsc::Port: its queues, the control path on queue 0, the
// link state, and the open and close sequences. One struct per concern:
//   Queue       (queue.h)        one channel's RX and TX state and counters
//   ControlWaiter                what a control request waits for on queue 0
//   PortCore                     everything shared by the queues
// Sources: rx_path.cc (receive and dispatch), tx_path.cc (send, reclaim),
// control.cc (synchronous NVSP and RNDIS requests), port_open.cc (the
// handshake), port.cc (the public class and close).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "netvsc/port.h"
#include "netvsc/protocol/nvsp_codec.h"
#include "netvsc/protocol/rndis_control.h"
#include "queue.h"
#include "section_aggregator.h"

namespace netvsc {

class PortCore {
 public:
  PortCore(PortResources resources, PortConfig config);
  ~PortCore();

  // --- Open and close (port_open.cc, port.cc). Open throws PortError. ---
  void open();
  void close() noexcept;

  // --- Data path (rx_path.cc, tx_path.cc) ---
  std::uint16_t rx_burst(std::uint16_t queue, RxPacket* pkts, std::uint16_t n) noexcept;
  std::uint16_t tx_burst(std::uint16_t queue, const TxPacket* pkts, std::uint16_t n) noexcept;
  std::uint16_t tx_reclaim(std::uint16_t queue, std::uint64_t* cookies, std::uint16_t n) noexcept;

  // --- Control (control.cc): queue 0's thread. ---
  // Sends an NVSP request inband; with a reply, waits for the completion
  // carrying its trans_id and returns its payload copy.
  struct NvspReply {
    std::array<std::byte, internal::kNvspReplyMax> bytes{};
    std::uint32_t size = 0;
    std::span<const std::byte> payload() const noexcept { return std::span(bytes).first(size); }
  };
  vmbus::Result<NvspReply> nvsp_request(const nvsp::Message& message, bool wait_reply) noexcept;
  // Sends an RNDIS control message (written by `build` into the control
  // page; its req_id is `req_id`) and waits for the completion with that
  // req_id. With expect_reply false (HALT), waits only for the VMBus
  // completion of the send.
  vmbus::Result<std::span<const std::byte>> rndis_request(std::span<const std::byte> message, std::uint32_t req_id,
                                                          bool expect_reply) noexcept;
  std::uint32_t next_rndis_id() noexcept { return ++rndis_req_id_; }
  std::span<std::byte> control_page() noexcept { return control_dma_.memory().first(kControlMessageMax); }
  // RNDIS QUERY/SET helpers returning the info buffer / status.
  vmbus::Result<std::span<const std::byte>> rndis_query(ndis::Oid oid, std::span<const std::byte> info) noexcept;
  vmbus::Status rndis_set(ndis::Oid oid, std::span<const std::byte> info) noexcept;

  // --- Called from the queues ---
  void on_status(internal::Queue& q, const rndis::StatusIndication& s) noexcept;
  void on_send_table(const nvsp::SendTable& table) noexcept;
  bool owns_control_trans_id(std::uint64_t id) const noexcept {
    return (id & internal::kControlTransIdBit) != 0 && (id & ~internal::kControlTransIdBit) <= control_seq_;
  }
  internal::Queue* queue(std::uint32_t i) noexcept { return i < queues_.size() ? queues_[i].get() : nullptr; }
  void mark_rescinded() noexcept { rescinded_.store(true, std::memory_order_release); }
  // A queue found its RX ring empty: run rescind_probe if it is due.
  void probe_rescind() noexcept;

  // --- State ---
  static constexpr std::size_t kControlMessageMax = 4096;  // one page: never crosses a page (hn_nvs_send_rndis_ctrl)
  static constexpr std::size_t kTxHeaderSlot = 128;        // 4096 / 128: a header never crosses a page
  // MTU bounds (netvsc_probe: min_mtu ETH_MIN_MTU; max_mtu NETVSC_MTU - ETH_HLEN
  // from NVSP 2, ETH_DATA_LEN before).
  static constexpr std::uint32_t kMinMtu = kPortMinMtu;
  static constexpr std::uint32_t kMaxMtu = kPortMaxMtu;
  static constexpr std::uint32_t kMaxMtuV1 = 1500;

  PortConfig config;
  PortInfo info;
  PortResources resources;
  std::vector<std::unique_ptr<internal::Queue>> queues_;
  internal::AggregationLimits agg_limits;
  std::uint32_t send_section_size = 0;

  std::atomic<bool> link_up{false};
  std::atomic<std::uint64_t> link_speed_bps{0};
  std::atomic<std::uint32_t> link_mtu{0};
  std::atomic<bool> rescinded_{false};
  std::atomic<bool> closed_{false};
  std::array<std::atomic<std::uint32_t>, nvsp::kSendIndirectionTableEntries> send_table_{};

  vmbus::DmaRegion control_dma_;
  vmbus::DmaRegion header_dma_;

  // A port on a vmbus::Device learns of a rescind only from the Device
  // (it marks the channels), which a poll-mode application may never call:
  // an idle queue asks it, at most every kRescindProbeInterval port-wide,
  // with Device::take_interrupts (a non-blocking read that fails once the
  // host took the device away). Empty for ports on other resources.
  static constexpr std::chrono::milliseconds kRescindProbeInterval{10};
  std::function<void()> rescind_probe;
  std::atomic<std::int64_t> next_rescind_probe_ns_{0};  // steady_clock
  std::atomic<bool> probing_rescind_{false};

 private:
  // Waits on queue 0 until `waiter` is satisfied. Errors: rescinded, empty (timeout).
  vmbus::Status wait_for(internal::ControlWaiter& waiter) noexcept;
  std::uint64_t next_control_trans_id() noexcept { return internal::kControlTransIdBit | ++control_seq_; }

  // Open steps (port_open.cc).
  void negotiate_version();
  void send_ndis_config_and_version();
  void connect_receive_buffer();
  void connect_send_buffer();
  void rndis_initialize();
  void query_device();
  void configure_offloads();
  void open_subchannels(std::uint32_t wanted);
  void configure_rss();
  void build_queues();

  std::uint64_t control_seq_ = 0;
  std::uint32_t rndis_req_id_ = 0;
  internal::ControlWaiter control_waiter_;  // the RNDIS reply stays here until the next request
};

}  // namespace netvsc
