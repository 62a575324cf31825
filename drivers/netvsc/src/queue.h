// File: src/queue.h
//
// One queue of a netvsc port: a VMBus channel (queue i is subchannel i) and
// everything its thread owns:
//   RX  a private copy buffer for the packet being handled (the SDK's
//       copy-out receive: parse the copy, never the ring), the transfer-page
//       packet whose frames are being handed out, and completions that found
//       the ring full (retried before anything new is read: a receive
//       section is never leaked);
//   TX  the descriptor tracker, this queue's slice of send-buffer sections,
//       the section being filled with aggregated frames, the cookies of
//       completed GPA-direct frames, and the queue's RNDIS header slots in
//       DMA memory;
//   the counters (QueueStats), written only here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "netvsc/packet.h"
#include "netvsc/protocol/nvsp.h"
#include "netvsc/protocol/rndis_message.h"
#include "netvsc/stats.h"
#include "section_aggregator.h"
#include "section_pool.h"
#include "tx_tracker.h"
#include "vmbus/channel/channel.h"
#include "vmbus/packet/transfer_pages.h"

namespace netvsc {
class PortCore;
}

namespace netvsc::internal {

inline constexpr std::size_t kNvspReplyMax = 64;
inline constexpr std::size_t kRndisReplyMax = 4096;

// What a control request on queue 0 is waiting for.
struct ControlWaiter {
  bool want_nvsp = false;
  bool nvsp_done = false;
  std::uint64_t nvsp_trans_id = 0;
  std::array<std::byte, kNvspReplyMax> nvsp_reply{};
  std::uint32_t nvsp_len = 0;

  bool want_rndis = false;
  bool rndis_done = false;
  std::uint32_t rndis_req_id = 0;
  std::array<std::byte, kRndisReplyMax> rndis_reply{};
  std::uint32_t rndis_len = 0;

  bool satisfied() const noexcept { return (!want_nvsp || nvsp_done) && (!want_rndis || rndis_done); }
};

class Queue {
 public:
  // The largest VMBus packet copied out: a transfer-page header with 562
  // ranges (24 + 562 * 8) plus its NVSP message, with room to spare.
  static constexpr std::size_t kRxCopySize = 8192;
  // RX completions kept when the ring is full.
  static constexpr std::size_t kStashSize = 256;

  Queue(PortCore& port, std::uint16_t index, vmbus::Channel& channel);

  // Set-up (PortCore::build_queues).
  void set_up_tx(std::uint32_t descriptors, SectionSlice sections, std::span<std::byte> header_area,
                 std::size_t header_area_offset);

  // --- RX (rx_path.cc) ---
  // pkts == nullptr: control mode: data frames are dropped and counted.
  std::uint16_t receive(RxPacket* pkts, std::uint16_t n) noexcept;

  // --- TX (tx_path.cc) ---
  std::uint16_t transmit(const TxPacket* pkts, std::uint16_t n) noexcept;
  std::uint16_t reclaim_cookies(std::uint64_t* cookies, std::uint16_t n) noexcept;
  // Any thread: the host completed send (generation, slot) of this queue.
  bool complete_send(std::uint16_t generation, std::uint32_t slot, bool ok) noexcept {
    return tracker_.complete(generation, slot, ok);
  }
  std::uint32_t outstanding() const noexcept { return tracker_.in_flight() + (agg_.active() ? 1u : 0u); }

  std::uint16_t index() const noexcept { return index_; }
  vmbus::Channel& channel() noexcept { return *channel_; }
  QueueStats& stats() noexcept { return stats_; }
  const QueueStats& stats() const noexcept { return stats_; }
  ControlWaiter* waiter = nullptr;  // queue 0 during a control request
  bool broken() const noexcept { return broken_; }
  // A ring of this channel reported corruption (a read, or a write that
  // found the host's read_index out of range): counted once, and the queue
  // stops, since the ring cannot be trusted past this point.
  void mark_broken() noexcept {
    if (broken_) return;
    stats_.count(Malformed::ring_corrupt);
    broken_ = true;
  }

 private:
  enum class RangeResult { consumed, delivered, need_slot };

  // RX.
  bool retry_stash() noexcept;
  void complete_receive(std::uint64_t trans_id, nvsp::Status status) noexcept;
  void dispatch(const vmbus::IncomingPacket& packet, RxPacket* pkts, std::uint16_t n, std::uint16_t& out) noexcept;
  // Hands out the pending transfer-page packet's ranges; true when done (completed).
  bool continue_transfer(RxPacket* pkts, std::uint16_t n, std::uint16_t& out) noexcept;
  RangeResult handle_rndis(std::span<const std::byte> bytes, RxPacket* slot, bool control_mode) noexcept;
  bool deliver_packet(const rndis::MessageView& m, RxPacket* slot) noexcept;
  void handle_completion(std::uint64_t trans_id, std::span<const std::byte> payload) noexcept;
  void handle_inband(const vmbus::IncomingPacket& packet) noexcept;
  bool skip_oversized() noexcept;

  // TX.
  // How far past a send still in flight reclaim() looks for completed ones
  // (TxTracker::skip_stuck): not at all at the start of each burst (a host
  // that completes in order never needs it, and the look-ahead load was 7%
  // of a 64-byte tx profile); one when the application collects cookies
  // (tx_reclaim), so a lost completion does not hold up GPA-direct buffers;
  // 64 when descriptors or sections ran out, which frees everything a lost
  // completion held up at once.
  static constexpr std::uint32_t kLookAheadPerBurst = 0;
  static constexpr std::uint32_t kLookAhead = 1;
  static constexpr std::uint32_t kLookAheadWhenShort = 64;
  void reclaim(std::uint32_t look_ahead = kLookAhead) noexcept;
  void drain_completions() noexcept;
  bool close_aggregate() noexcept;  // writes the open section; false: ring full (kept pending)
  bool start_aggregate() noexcept;  // takes a slot and a section; false: none free
  bool send_copy(const TxPacket& p, std::uint32_t header_size) noexcept;
  enum class SendResult { sent, refused, stop };
  SendResult send_gpa(const TxPacket& p) noexcept;
  bool push_cookie(std::uint64_t cookie) noexcept;
  bool tx_ring_corrupt() noexcept;  // reloads the host's read_index; marks the queue broken if it is corrupt

  PortCore* port_;
  std::uint16_t index_;
  vmbus::Channel* channel_;
  bool broken_ = false;

  // RX state.
  std::unique_ptr<std::uint64_t[]> rx_copy_;  // kRxCopySize bytes, 8-aligned
  std::optional<vmbus::TransferPagePacket> xfer_;
  std::uint64_t xfer_trans_id_ = 0;
  std::uint32_t xfer_next_ = 0;
  nvsp::Status xfer_status_ = nvsp::Status::success;
  std::array<std::uint64_t, kStashSize> stash_id_{};
  std::array<nvsp::Status, kStashSize> stash_status_{};
  std::uint32_t stash_count_ = 0;

  // TX state.
  TxTracker tracker_;
  SectionPool sections_;
  SectionAggregator agg_;
  std::uint32_t agg_slot_ = TxTracker::kNoSlot;
  bool agg_pending_ = false;  // closed but the ring was full: write it before anything else
  std::span<std::byte> header_area_;
  std::size_t header_area_offset_ = 0;  // in PortCore::header_dma_
  std::unique_ptr<std::uint64_t[]> cookies_;
  std::uint32_t cookie_capacity_ = 0;
  std::uint32_t cookie_head_ = 0;
  std::uint32_t cookie_tail_ = 0;

  QueueStats stats_;
};

}  // namespace netvsc::internal
