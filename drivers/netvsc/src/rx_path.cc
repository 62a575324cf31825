// The receive side of a queue: reading the channel, checking what the host
// sent, handing frames out and completing transfer-page packets
// (netvsc_receive, rndis_filter_receive; DPDK hn_process_events,
// hn_nvs_handle_rxbuf, hn_rndis_receive).
#include <cstring>

#include "netvsc/protocol/nvsp_codec.h"
#include "netvsc/protocol/ppi.h"
#include "netvsc/protocol/rndis_control.h"
#include "netvsc/protocol/rndis_packet.h"
#include "port_core.h"
#include "queue.h"
#include "rx_ranges.h"
#include "vmbus/packet/builders.h"

namespace netvsc::internal {

Queue::Queue(PortCore& port, std::uint16_t index, vmbus::Channel& channel)
    : port_(&port), index_(index), channel_(&channel),
      rx_copy_(std::make_unique<std::uint64_t[]>(kRxCopySize / sizeof(std::uint64_t))) {}

void Queue::set_up_tx(std::uint32_t descriptors, SectionSlice sections, std::span<std::byte> header_area,
                      std::size_t header_area_offset) {
  tracker_.init(index_, descriptors);
  sections_.assign(sections.first, sections.count);
  header_area_ = header_area;
  header_area_offset_ = header_area_offset;
  cookie_capacity_ = tracker_.capacity();
  cookies_ = std::make_unique<std::uint64_t[]>(cookie_capacity_);
}

// The receive completion: a VMBus completion echoing the transfer-page
// packet's trans_id with {108, status}, 8 bytes (send_recv_completions).
void Queue::complete_receive(std::uint64_t trans_id, nvsp::Status status) noexcept {
  const nvsp::Message m = nvsp::encode_unpadded(nvsp::SendRndisPacketComplete{nvsp::raw(status)});
  if (stash_count_ == 0) {
    const vmbus::Status s = channel_->write(vmbus::packet::completion(trans_id, m.bytes()));
    if (s) {
      QueueStats::add(stats_.rx_completions);
      return;
    }
    if (s.error().is_corruption()) mark_broken();  // then kept below, never sent
  }
  // Ring full (or older completions still waiting): keep it, in order.
  // receive() reads nothing new while the stash is full, so this never drops.
  stash_id_[stash_count_] = trans_id;
  stash_status_[stash_count_] = status;
  ++stash_count_;
}

bool Queue::retry_stash() noexcept {
  std::uint32_t done = 0;
  while (done < stash_count_) {
    const nvsp::Message m = nvsp::encode_unpadded(nvsp::SendRndisPacketComplete{nvsp::raw(stash_status_[done])});
    if (const vmbus::Status s = channel_->write(vmbus::packet::completion(stash_id_[done], m.bytes())); !s) {
      if (s.error().is_corruption()) mark_broken();
      break;
    }
    QueueStats::add(stats_.rx_completions);
    ++done;
  }
  if (done != 0) {
    for (std::uint32_t i = done; i < stash_count_; ++i) {
      stash_id_[i - done] = stash_id_[i];
      stash_status_[i - done] = stash_status_[i];
    }
    stash_count_ -= done;
  }
  return stash_count_ == 0;
}

std::uint16_t Queue::receive(RxPacket* pkts, std::uint16_t n) noexcept {
  std::uint16_t out = 0;
  if (broken_) return 0;
  if (!retry_stash() && broken_) return 0;
  const std::span<std::byte> buffer(reinterpret_cast<std::byte*>(rx_copy_.get()), kRxCopySize);
  const bool control_mode = pkts == nullptr;
  for (;;) {
    if (xfer_ && !continue_transfer(pkts, n, out)) break;  // caller's slots are full
    if (!control_mode && out >= n) break;
    // Room for the completion of whatever comes next (never drop one).
    if (stash_count_ >= kStashSize) break;
    auto p = channel_->receive(buffer);
    if (!p) {
      const vmbus::Error e = p.error();
      if (e.code == vmbus::Errc::rescinded) {
        port_->mark_rescinded();
      } else if (e.code == vmbus::Errc::empty) {
        port_->probe_rescind();  // idle: has the host taken the device away?
      } else if (e.code == vmbus::Errc::buffer_too_small) {
        if (skip_oversized()) continue;
      } else if (e.is_corruption()) {
        mark_broken();  // the ring cannot be trusted past this point
      }
      break;
    }
    dispatch(*p, pkts, n, out);
  }
  (void)channel_->flush();           // completions written above: one signal at most
  (void)channel_->finish_receive();  // reads published once
  return out;
}

// A packet larger than the copy buffer: look at its descriptor only, and
// still complete it if it names receive sections.
bool Queue::skip_oversized() noexcept {
  auto view = channel_->peek();
  if (!view) return false;
  stats_.count(Malformed::oversized_packet);
  const std::uint64_t id = view->descriptor.trans_id;
  const bool transfer = view->type() == vmbus::PacketType::data_using_transfer_pages;
  (void)channel_->consume(*view);
  if (transfer) complete_receive(id, nvsp::Status::failure);
  return true;
}

void Queue::dispatch(const vmbus::IncomingPacket& packet, RxPacket* pkts, std::uint16_t n,
                     std::uint16_t& out) noexcept {
  switch (packet.type) {
    case vmbus::PacketType::data_using_transfer_pages: {
      // The NVSP message must be SEND_RNDIS_PKT (netvsc_receive). Linux
      // returns without a completion when it is not; we complete anyway.
      auto nv = nvsp::parse<nvsp::SendRndisPacket>(packet.payload);
      if (!nv) {
        stats_.count(nv.error().field == Field::nvsp_msg_type && nv.error().violation == Violation::unexpected_value
                         ? Malformed::nvsp_unexpected_type
                         : Malformed::nvsp_short);
        complete_receive(packet.trans_id, nvsp::Status::failure);
        return;
      }
      TransferPageCheck check = check_transfer_page(packet);
      if (!check.packet) {
        stats_.count(check.error);
        complete_receive(packet.trans_id, nvsp::Status::failure);
        return;
      }
      xfer_ = *check.packet;
      xfer_trans_id_ = packet.trans_id;
      xfer_next_ = 0;
      xfer_status_ = nvsp::Status::success;
      (void)continue_transfer(pkts, n, out);
      return;
    }
    case vmbus::PacketType::completion:
      handle_completion(packet.trans_id, packet.payload);
      return;
    case vmbus::PacketType::data_inband:
      handle_inband(packet);
      return;
    default:
      stats_.count(Malformed::unknown_packet_type);
      return;
  }
}

bool Queue::continue_transfer(RxPacket* pkts, std::uint16_t n, std::uint16_t& out) noexcept {
  const bool control_mode = pkts == nullptr;
  const std::span<const std::byte> recv = port_->resources.recv_buffer;
  while (xfer_next_ < xfer_->range_count()) {
    auto bytes = range_bytes(*xfer_, xfer_next_, recv);
    if (!bytes) {
      stats_.count(Malformed::range_bounds);
      xfer_status_ = nvsp::Status::failure;  // Linux: NVSP_STAT_FAIL, and on to the next range
      ++xfer_next_;
      continue;
    }
    RxPacket* slot = (!control_mode && out < n) ? &pkts[out] : nullptr;
    const RangeResult r = handle_rndis(*bytes, slot, control_mode);
    if (r == RangeResult::need_slot) return false;
    if (r == RangeResult::delivered) ++out;
    ++xfer_next_;
  }
  complete_receive(xfer_trans_id_, xfer_status_);
  xfer_.reset();
  return true;
}

Queue::RangeResult Queue::handle_rndis(std::span<const std::byte> bytes, RxPacket* slot,
                                       bool control_mode) noexcept {
  auto m = rndis::frame(bytes);
  if (!m) {
    stats_.count(Malformed::rndis_framing);
    xfer_status_ = nvsp::Status::failure;
    return RangeResult::consumed;
  }
  switch (static_cast<rndis::MessageType>(m->type)) {
    case rndis::MessageType::packet:
      if (control_mode) {
        // DPDK __hn_nvs_execute: data arriving during a control request is
        // acknowledged and dropped.
        QueueStats::add(stats_.rx_dropped_control);
        return RangeResult::consumed;
      }
      if (slot == nullptr) return RangeResult::need_slot;
      return deliver_packet(*m, slot) ? RangeResult::delivered : RangeResult::consumed;
    case rndis::MessageType::indicate_status: {
      auto s = rndis::parse_indicate_status(*m);
      if (!s) {
        stats_.count(Malformed::rndis_control);
        return RangeResult::consumed;
      }
      port_->on_status(*this, *s);
      return RangeResult::consumed;
    }
    case rndis::MessageType::initialize_complete:
    case rndis::MessageType::query_complete:
    case rndis::MessageType::set_complete:
    case rndis::MessageType::keepalive_complete:
    case rndis::MessageType::reset_complete: {
      auto id = rndis::request_id(*m);
      if (!id) {
        stats_.count(m->type == rndis::raw(rndis::MessageType::reset_complete) ? Malformed::rndis_unexpected_reply
                                                                               : Malformed::rndis_control);
        return RangeResult::consumed;
      }
      ControlWaiter* w = waiter;
      if (w == nullptr || !w->want_rndis || w->rndis_done || w->rndis_req_id != *id ||
          m->length() > w->rndis_reply.size()) {
        stats_.count(Malformed::rndis_unexpected_reply);
        return RangeResult::consumed;
      }
      // Copied out of the shared receive buffer before anyone parses it.
      std::memcpy(w->rndis_reply.data(), m->bytes.data(), m->length());
      w->rndis_len = m->length();
      w->rndis_done = true;
      return RangeResult::consumed;
    }
    default:
      stats_.count(Malformed::rndis_unknown_type);
      return RangeResult::consumed;
  }
}

bool Queue::deliver_packet(const rndis::MessageView& m, RxPacket* slot) noexcept {
  auto pkt = rndis::parse_packet(m);
  if (!pkt) {
    stats_.count(Malformed::rndis_packet);
    QueueStats::add(stats_.rx_errors);
    xfer_status_ = nvsp::Status::failure;
    return false;
  }
  if (pkt->info.rsc) {
    // RSC is not negotiated (kCapRsc is never announced): a fragment here is
    // the host's mistake, and half a coalesced frame is not a frame.
    stats_.count(Malformed::rsc_fragment);
    QueueStats::add(stats_.rx_errors);
    return false;
  }
  if (pkt->frame.size() > slot->buffer.size()) {
    QueueStats::add(stats_.rx_dropped_too_small);
    return false;
  }
  std::memcpy(slot->buffer.data(), pkt->frame.data(), pkt->frame.size());
  slot->length = static_cast<std::uint32_t>(pkt->frame.size());
  slot->flags = 0;
  slot->vlan_tci = 0;
  slot->rss_hash = 0;
  if (pkt->info.vlan) {
    slot->flags |= kRxVlan;
    slot->vlan_tci = ppi::vlan_tci(*pkt->info.vlan);
  }
  if (pkt->info.hash_value) {
    slot->flags |= kRxRssHash;
    slot->rss_hash = *pkt->info.hash_value;
  }
  if (pkt->info.checksum) {
    const std::uint32_t c = *pkt->info.checksum;
    if (c & ppi::kRxIpChecksumSucceeded) slot->flags |= kRxIpChecksumGood;
    if (c & ppi::kRxIpChecksumFailed) slot->flags |= kRxIpChecksumBad;
    if (c & (ppi::kRxTcpChecksumSucceeded | ppi::kRxUdpChecksumSucceeded)) slot->flags |= kRxL4ChecksumGood;
    if (c & (ppi::kRxTcpChecksumFailed | ppi::kRxUdpChecksumFailed)) slot->flags |= kRxL4ChecksumBad;
  }
  QueueStats::add(stats_.rx_packets);
  QueueStats::add(stats_.rx_bytes, slot->length);
  return true;
}

void Queue::handle_completion(std::uint64_t trans_id, std::span<const std::byte> payload) noexcept {
  if ((trans_id & kControlTransIdBit) != 0) {
    ControlWaiter* w = waiter;
    if (w != nullptr && w->want_nvsp && !w->nvsp_done && w->nvsp_trans_id == trans_id) {
      const std::size_t len = payload.size() < w->nvsp_reply.size() ? payload.size() : w->nvsp_reply.size();
      std::memcpy(w->nvsp_reply.data(), payload.data(), len);
      w->nvsp_len = static_cast<std::uint32_t>(len);
      w->nvsp_done = true;
      return;
    }
    // The send completion of an RNDIS control message (DPDK: "Control
    // packets are sent with xacid == 0", ignored): one we sent is fine.
    auto done = nvsp::parse<nvsp::SendRndisPacketComplete>(payload);
    if (!done || !port_->owns_control_trans_id(trans_id)) stats_.count(Malformed::completion_trans_id);
    return;
  }
  auto done = nvsp::parse<nvsp::SendRndisPacketComplete>(payload);
  if (!done) {
    stats_.count(Malformed::completion_payload);
    return;
  }
  auto id = TxTracker::decode(trans_id);
  Queue* owner = id ? port_->queue(id->queue) : nullptr;
  if (owner == nullptr ||
      !owner->complete_send(id->generation, id->slot, done->status == nvsp::raw(nvsp::Status::success))) {
    stats_.count(Malformed::completion_trans_id);
    return;
  }
  QueueStats::add(stats_.tx_completions);
}

void Queue::handle_inband(const vmbus::IncomingPacket& packet) noexcept {
  auto type = nvsp::peek_type(packet.payload);
  if (!type) {
    stats_.count(Malformed::nvsp_short);
    return;
  }
  switch (*type) {
    case nvsp::MessageType::send_indirection_table: {
      auto table = nvsp::parse_send_indirection_table(packet.payload, port_->info.nvsp_version);
      if (!table) {
        stats_.count(Malformed::indirection_table);
        return;
      }
      port_->on_send_table(*table);
      return;
    }
    case nvsp::MessageType::send_vf_association:
      // No VF teaming here: the synthetic path carries everything.
      if (!nvsp::parse<nvsp::SendVfAssociation>(packet.payload)) stats_.count(Malformed::nvsp_short);
      return;
    default:
      stats_.count(Malformed::nvsp_unexpected_type);
      return;
  }
}

}  // namespace netvsc::internal
