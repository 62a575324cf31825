// File: sim/hosts/netvsc/rx_path.h
//
// Host -> guest: RNDIS messages (received frames, control completions,
// status indications) written into the guest's receive buffer and announced
// with transfer-page packets (type 7, pageset 0xCAFE, one range per
// message, the NVSP SEND_RNDIS_PKT as payload), as Hyper-V's VSP does
// (Linux netvsc_receive; DPDK hn_nvs_handle_rxbuf; OpenVMM netvsp).
//
// The buffer is cut into slots of the size the host announced in the
// SEND_RECV_BUF completion; one message per slot. A slot is free again
// only when the guest completes the transfer-page packet that named it
// (its trans_id is the index of the packet's first slot, below the slot
// count as DPDK requires). Messages for one queue gather in
// an open batch of up to kMaxRanges ranges, sent when full or at flush()
// (once per host pass). A message that finds no free slot, or whose queue's
// batch cannot be sent because the RX ring is full, waits in a bounded
// backlog if the caller allows (loopback, control replies) or is dropped.
// Everything is allocated at connect(); nothing per message.
//
// Usage:
//   rx.connect(recv_buffer, 1728);
//   rx.deliver(queue, message_bytes, Kind::data, /*may_wait=*/true);
//   rx.flush(channels);            // end of the host's pass
//   rx.complete(trans_id);         // the guest's completion
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "hvsim/host_channel.h"
#include "vmbus/packet/transfer_pages.h"

namespace hvsim::netvsc {

class RxPath {
 public:
  // 24 + 8 * 64 header bytes + a 40-byte payload: far below the guest's 8 KiB
  // limit for one host packet.
  static constexpr std::uint32_t kMaxRanges = 64;
  static constexpr std::uint32_t kMaxQueues = 64;
  static constexpr std::uint32_t kBacklogEntries = 256;

  enum class Kind : std::uint8_t { data, control };
  enum class Outcome : std::uint8_t { delivered, waiting, dropped };

  // Slots of `slot_size` over `buffer` (buffer.size() / slot_size of them);
  // no message is larger than `max_message` (what the backlog keeps per entry).
  void connect(std::span<std::byte> buffer, std::uint32_t slot_size, std::uint32_t max_message);
  void disconnect() noexcept;
  bool connected() const noexcept { return !buffer_.empty(); }
  std::uint32_t slot_size() const noexcept { return slot_size_; }
  std::uint32_t slot_count() const noexcept { return static_cast<std::uint32_t>(next_.size()); }
  std::uint32_t slots_in_use() const noexcept { return slot_count() - static_cast<std::uint32_t>(free_.size()); }

  // Queues the message for `queue` (its HostChannel must be in `channels`
  // at flush time; a missing one falls back to 0).
  Outcome deliver(std::span<HostChannel* const> channels, std::uint32_t queue, std::span<const std::byte> message,
                  Kind kind, bool may_wait) noexcept;
  // Sends the backlog and every open batch that fits, then publishes the
  // channels written to.
  void flush(std::span<HostChannel* const> channels) noexcept;
  // The guest completed transfer-page packet `trans_id`: its slots are free.
  // False for a trans_id naming no packet in flight (a second completion of
  // a packet is caught only until its first slot goes out again).
  bool complete(std::uint64_t trans_id) noexcept;

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  struct Batch {  // a transfer-page packet in flight
    std::uint32_t head = kNone;  // its slots, chained through next_
    bool busy = false;
  };
  struct OpenBatch {  // one queue's packet being gathered
    std::uint32_t count = 0;
    Kind kind = Kind::data;
    std::uint32_t head = kNone, tail = kNone;
    std::array<vmbus::TransferPageRange, kMaxRanges> ranges{};
  };
  struct Waiting {
    std::uint32_t queue = 0;
    std::uint32_t length = 0;
    Kind kind = Kind::data;
  };

  bool place(std::span<HostChannel* const> channels, std::uint32_t queue, std::span<const std::byte> message,
             Kind kind) noexcept;
  // Sends queue q's open batch; false if its channel's RX ring is full.
  bool send_open(std::span<HostChannel* const> channels, std::uint32_t q) noexcept;
  void free_chain(std::uint32_t head) noexcept;
  HostChannel* channel(std::span<HostChannel* const> channels, std::uint32_t q) const noexcept;

  std::span<std::byte> buffer_;
  std::uint32_t slot_size_ = 0;
  std::uint32_t entry_size_ = 0;      // bytes per backlog entry
  std::vector<std::uint32_t> free_;   // a stack of free slots
  std::vector<std::uint32_t> next_;   // slot chains of batches
  std::vector<Batch> batches_;        // indexed by trans_id, the first slot
  std::array<OpenBatch, kMaxQueues> open_{};
  std::array<bool, kMaxQueues> dirty_{};
  std::vector<Waiting> waiting_;      // ring of kBacklogEntries
  std::vector<std::byte> waiting_bytes_;
  std::uint32_t waiting_head_ = 0, waiting_count_ = 0;
};

}  // namespace hvsim::netvsc
