// RxPath: receive slots, batches of ranges, completions, the backlog.
#include "rx_path.h"

#include <algorithm>
#include <cstring>

#include "netvsc/protocol/nvsp_codec.h"
#include "payload_faults.h"

namespace hvsim::netvsc {

namespace nvsp = ::netvsc::nvsp;

void RxPath::connect(std::span<std::byte> buffer, std::uint32_t slot_size, std::uint32_t max_message) {
  disconnect();
  entry_size_ = std::min(slot_size, max_message);
  const std::size_t count = buffer.size() / slot_size;
  buffer_ = buffer.first(count * slot_size);
  slot_size_ = slot_size;
  next_.assign(count, kNone);
  free_.resize(count);
  for (std::size_t i = 0; i < count; ++i) free_[i] = static_cast<std::uint32_t>(count - 1 - i);  // slot 0 first
  batches_.assign(count, Batch{});  // indexed by a batch's first slot
  waiting_.assign(kBacklogEntries, Waiting{});
  waiting_bytes_.assign(std::size_t{kBacklogEntries} * entry_size_, std::byte{0});
  waiting_head_ = waiting_count_ = 0;
  open_ = {};
  dirty_ = {};
}

void RxPath::disconnect() noexcept {
  buffer_ = {};
  slot_size_ = 0;
  free_.clear();
  next_.clear();
  batches_.clear();
  waiting_count_ = 0;
  open_ = {};
}

HostChannel* RxPath::channel(std::span<HostChannel* const> channels, std::uint32_t q) const noexcept {
  HostChannel* c = q < channels.size() ? channels[q] : nullptr;
  return c != nullptr && !c->corrupt() ? c : nullptr;
}

RxPath::Outcome RxPath::deliver(std::span<HostChannel* const> channels, std::uint32_t queue,
                                std::span<const std::byte> message, Kind kind, bool may_wait) noexcept {
  if (!connected() || message.size() > slot_size_) return Outcome::dropped;
  if (queue >= kMaxQueues || channel(channels, queue) == nullptr) queue = 0;
  // Behind a backlog, a new message waits too: a queue's order is kept.
  if (waiting_count_ == 0 && place(channels, queue, message, kind)) return Outcome::delivered;
  if (!may_wait || waiting_count_ == kBacklogEntries || message.size() > entry_size_) return Outcome::dropped;
  const std::uint32_t at = (waiting_head_ + waiting_count_++) % kBacklogEntries;
  waiting_[at] = {queue, static_cast<std::uint32_t>(message.size()), kind};
  std::memcpy(waiting_bytes_.data() + std::size_t{at} * entry_size_, message.data(), message.size());
  return Outcome::waiting;
}

bool RxPath::place(std::span<HostChannel* const> channels, std::uint32_t q, std::span<const std::byte> message,
                   Kind kind) noexcept {
  OpenBatch& open = open_[q];
  if (open.count != 0 && (open.count == kMaxRanges || open.kind != kind) && !send_open(channels, q)) return false;
  if (free_.empty()) return false;
  const std::uint32_t slot = free_.back();
  free_.pop_back();
  const std::size_t offset = std::size_t{slot} * slot_size_;
  std::memcpy(buffer_.data() + offset, message.data(), message.size());
  if (kind == Kind::data) {
    if (HostChannel* ch = channel(channels, q)) corrupt_received_frame(*ch, buffer_.subspan(offset, message.size()));
  }
  next_[slot] = kNone;
  if (open.count == 0) {
    open.head = slot;
    open.kind = kind;
  } else {
    next_[open.tail] = slot;
  }
  open.tail = slot;
  open.ranges[open.count++] = {static_cast<std::uint32_t>(message.size()), static_cast<std::uint32_t>(offset)};
  // Control completions go at once: the guest waits for them.
  if (kind == Kind::control) (void)send_open(channels, q);
  return true;
}

bool RxPath::send_open(std::span<HostChannel* const> channels, std::uint32_t q) noexcept {
  OpenBatch& open = open_[q];
  if (open.count == 0) return true;
  HostChannel* ch = channel(channels, q);
  if (ch == nullptr) {  // the queue's channel went away: its slots come back
    free_chain(open.head);
    open.count = 0;
    return true;
  }
  // vmtransfer_page_packet_header after the descriptor, then the ranges.
  alignas(8) std::array<std::byte, sizeof(vmbus::TransferPagePrefix) + kMaxRanges * sizeof(vmbus::TransferPageRange)> header{};
  const vmbus::TransferPagePrefix prefix{nvsp::kReceiveBufferId, 0, 0, open.count};
  std::memcpy(header.data(), &prefix, sizeof prefix);
  std::memcpy(header.data() + sizeof prefix, open.ranges.data(), open.count * sizeof(vmbus::TransferPageRange));
  const std::size_t header_size = sizeof prefix + open.count * sizeof(vmbus::TransferPageRange);
  const nvsp::ChannelType type = open.kind == Kind::control ? nvsp::ChannelType::control : nvsp::ChannelType::data;
  const nvsp::Message m = nvsp::encode(nvsp::SendRndisPacket{raw(type), nvsp::kSendSectionIndexNone, 0});
  if (ch->room_for(ring_bytes_for(header_size, m.size())) != Room::ok) return false;
  if (open.kind == Kind::data) corrupt_transfer_page(*ch, std::span(header).first(header_size));
  // The packet's trans_id is its first slot's index: unique while the packet
  // is in flight (the slot is its alone) and below the slot count, which
  // DPDK requires (hn_nvs_handle_rxbuf indexes rxbuf_info[] by it and drops,
  // unacknowledged, a packet whose id is larger).
  const std::uint32_t index = open.head;
  Batch& b = batches_[index];
  b.head = open.head;
  b.busy = true;
  vmbus::OutgoingPacket p;
  p.type = vmbus::PacketType::data_using_transfer_pages;
  p.flags = vmbus::kPacketFlagCompletionRequested;
  p.trans_id = index;
  p.header = std::span(header).first(header_size);
  p.add_payload(m.bytes());
  if (!ch->send(p)) {  // a corrupt ring: the channel is closed, its slots are lost to it
    b.busy = false;
    free_chain(b.head);
  }
  dirty_[q] = true;
  open.count = 0;
  return true;
}

void RxPath::flush(std::span<HostChannel* const> channels) noexcept {
  while (waiting_count_ != 0) {
    const std::uint32_t at = waiting_head_;
    const Waiting& w = waiting_[at];
    const std::span<const std::byte> bytes(waiting_bytes_.data() + std::size_t{at} * entry_size_, w.length);
    if (!place(channels, channel(channels, w.queue) != nullptr ? w.queue : 0, bytes, w.kind)) break;
    waiting_head_ = (waiting_head_ + 1) % kBacklogEntries;
    --waiting_count_;
  }
  for (std::uint32_t q = 0; q < kMaxQueues; ++q) (void)send_open(channels, q);
  for (std::uint32_t q = 0; q < kMaxQueues; ++q) {
    if (!dirty_[q]) continue;
    dirty_[q] = false;
    if (HostChannel* ch = channel(channels, q)) ch->publish();
  }
}

bool RxPath::complete(std::uint64_t trans_id) noexcept {
  if (trans_id >= batches_.size()) return false;
  Batch& b = batches_[trans_id];
  if (!b.busy) return false;
  b.busy = false;
  free_chain(b.head);
  return true;
}

void RxPath::free_chain(std::uint32_t head) noexcept {
  for (std::uint32_t s = head; s != kNone; s = next_[s]) free_.push_back(s);
}

}  // namespace hvsim::netvsc
