// The transmit side of a queue: RNDIS packets into send-buffer sections
// (aggregated) or GPA-direct, one signal per burst, completions reclaimed in
// order (Linux netvsc_send, netvsc_send_pkt; DPDK hn_xmit_pkts, hn_encap,
// hn_try_txagg, hn_xmit_sg).
#include <cstring>

#include "netvsc/protocol/nvsp_codec.h"
#include "netvsc/protocol/ppi.h"
#include "netvsc/protocol/rndis_packet.h"
#include "port_core.h"
#include "queue.h"
#include "vmbus/packet/builders.h"
#include "vmbus/packet/gpa_direct.h"

namespace netvsc::internal {
namespace {

// Per-packet info for one frame, in the order Linux's netvsc_xmit adds them.
// The hash value carries the queue id so the host completes the send on
// this queue's channel (DPDK hn_encap: NDIS_PKTINFO_TYPE_HASHVAL = queue_id).
vmbus::Status add_ppis(rndis::PacketBuilder& b, const TxPacket& p, std::uint16_t queue) noexcept {
  if (auto s = b.add(ppi::Type::hash_value, queue); !s) return s;
  if (p.flags & kTxVlan) {
    if (auto s = b.add(ppi::Type::ieee_8021q, ppi::vlan_info_from_tci(p.vlan_tci)); !s) return s;
  }
  if (p.flags & kTxLso) {
    if (auto s = b.add(ppi::Type::tcp_large_send, ppi::lso_v2_info(p.mss, p.l4_offset, (p.flags & kTxIpv6) != 0));
        !s) {
      return s;
    }
  } else if (p.flags & (kTxIpChecksum | kTxTcpChecksum | kTxUdpChecksum)) {
    std::uint32_t f = 0;
    if (p.flags & kTxIpv4) f |= ppi::kTxIsIpv4;
    if (p.flags & kTxIpv6) f |= ppi::kTxIsIpv6;
    if (p.flags & kTxIpChecksum) f |= ppi::kTxIpHeaderChecksum;
    if (p.flags & kTxTcpChecksum) f |= ppi::kTxTcpChecksum;
    if (p.flags & kTxUdpChecksum) f |= ppi::kTxUdpChecksum;
    if (auto s = b.add(ppi::Type::tcpip_checksum, ppi::tx_checksum_info(f, p.l4_offset)); !s) return s;
  }
  return {};
}

// Header bytes the PPIs of `p` take (12 + 4 each, ppi.h).
std::uint32_t header_size_for(const TxPacket& p) noexcept {
  std::uint32_t n = 1;  // hash value
  if (p.flags & kTxVlan) ++n;
  if (p.flags & (kTxLso | kTxIpChecksum | kTxTcpChecksum | kTxUdpChecksum)) ++n;
  return rndis::kPacketHeaderSize + n * ppi::kValueRecordSize;
}

bool valid(const TxPacket& p) noexcept {
  if (p.frame.empty() || p.frame.size() > 0xffffu * 2u) return false;
  if ((p.flags & kTxLso) && (p.mss == 0 || (p.flags & (kTxIpv4 | kTxIpv6)) == 0)) return false;
  return true;
}

}  // namespace

bool Queue::push_cookie(std::uint64_t cookie) noexcept {
  if (cookie_head_ - cookie_tail_ >= cookie_capacity_) return false;
  cookies_[cookie_head_ % cookie_capacity_] = cookie;
  ++cookie_head_;
  return true;
}

// Retires completed sends in order: sections back to the pool, cookies to
// the caller's queue, failures counted. A send still in flight at the head
// is skipped when one of the `look_ahead` sends behind it is done
// (TxTracker::skip_stuck): a completion the host never sends, or sent with
// a trans_id naming no send (Malformed::completion_trans_id), leaks that one
// descriptor, as in Linux and DPDK, and must not stop the queue.
void Queue::reclaim(std::uint32_t look_ahead) noexcept {
  bool ok = true;
  for (;;) {
    const TxSlot* s = tracker_.oldest_done(&ok);
    if (s == nullptr) {
      if (look_ahead != 0 && tracker_.skip_stuck(look_ahead)) continue;
      break;
    }
    if (s->has_cookie && !push_cookie(s->cookie)) break;  // the caller has not collected: keep it
    if (s->section != SectionPool::kNone) (void)sections_.give(s->section);
    if (!ok) QueueStats::add(stats_.tx_errors, s->packets);
    tracker_.retire();
  }
}

// Completions at the head of this queue's RX ring, for a thread that only
// transmits: peeked (never received into the RX copy buffer, which may hold
// a transfer-page packet being handed out) and stopped at the first packet
// that is not a completion, which rx_burst will take.
void Queue::drain_completions() noexcept {
  if (broken_) return;
  bool any = false;
  for (;;) {
    auto view = channel_->peek();
    if (!view || view->type() != vmbus::PacketType::completion) break;
    alignas(8) std::array<std::byte, 16> payload{};
    const std::size_t len = view->payload.copy_to(payload);  // copied before it is parsed
    const std::uint64_t id = view->descriptor.trans_id;
    if (!channel_->consume(*view)) break;
    any = true;
    handle_completion(id, std::span<const std::byte>(payload).first(len));
  }
  if (any) (void)channel_->finish_receive();
}

// Out of descriptors or sections: the host has completed nothing for a
// while. The TX ring reloads the host's read_index only when it runs short
// of room, so a read_index the host corrupted (and then stopped) would go
// unseen while the queue just stalls: look at it now.
bool Queue::tx_ring_corrupt() noexcept {
  const vmbus::Result<std::uint32_t> free = channel_->tx_bytes_free();
  if (free || !free.error().is_corruption()) return false;
  mark_broken();
  return true;
}

bool Queue::start_aggregate() noexcept {
  const std::uint32_t slot = tracker_.acquire();
  if (slot == TxTracker::kNoSlot) return false;
  const std::uint32_t section = sections_.take();
  if (section == SectionPool::kNone) {
    tracker_.unacquire(slot);
    return false;
  }
  const std::size_t size = port_->send_section_size;
  agg_.start(port_->resources.send_buffer.subspan(std::size_t{section} * size, size), port_->agg_limits);
  agg_slot_ = slot;
  tracker_.slot(slot).section = section;
  return true;
}

// SEND_RNDIS_PKT {data, section, bytes used}, inband with a completion
// requested (netvsc_send_pkt; DPDK hn_flush_txagg).
bool Queue::close_aggregate() noexcept {
  if (!agg_.active()) return true;
  TxSlot& s = tracker_.slot(agg_slot_);
  const nvsp::Message m =
      nvsp::encode(nvsp::SendRndisPacket{nvsp::raw(nvsp::ChannelType::data), s.section, agg_.used()});
  if (const vmbus::Status w = channel_->write(vmbus::packet::inband(m.bytes(), tracker_.trans_id(agg_slot_), true));
      !w) {
    agg_pending_ = true;
    if (w.error().is_corruption()) {
      mark_broken();
    } else {
      QueueStats::add(stats_.tx_ring_full);
    }
    return false;
  }
  if (agg_.packets() > 1) QueueStats::add(stats_.tx_aggregated, agg_.packets());
  tracker_.publish(agg_slot_);
  agg_.reset();
  agg_pending_ = false;
  agg_slot_ = TxTracker::kNoSlot;
  return true;
}

bool Queue::send_copy(const TxPacket& p, std::uint32_t header_size) noexcept {
  const std::uint32_t msg_len = header_size + static_cast<std::uint32_t>(p.frame.size());
  if (!agg_.fits(msg_len)) {
    if (!close_aggregate()) return false;
    if (!start_aggregate()) {
      reclaim();  // maybe the host finished some meanwhile
      drain_completions();
      reclaim(kLookAheadWhenShort);
      if (!start_aggregate()) {
        if (!tx_ring_corrupt()) QueueStats::add(stats_.tx_no_resources);
        return false;
      }
    }
  }
  std::span<std::byte> at = agg_.append(msg_len);
  rndis::PacketBuilder b(at);
  (void)add_ppis(b, p, index_);  // `at` is sized for them
  (void)b.finish(p.frame);
  TxSlot& s = tracker_.slot(agg_slot_);
  ++s.packets;
  s.bytes += p.frame.size();
  if (agg_.full()) (void)close_aggregate();  // a full ring keeps it pending; the burst ends below
  return true;
}

Queue::SendResult Queue::send_gpa(const TxPacket& p) noexcept {
  std::uint32_t slot = tracker_.acquire();
  if (slot == TxTracker::kNoSlot) {
    drain_completions();
    reclaim(kLookAheadWhenShort);
    slot = tracker_.acquire();
    if (slot == TxTracker::kNoSlot) {
      if (!tx_ring_corrupt()) QueueStats::add(stats_.tx_no_resources);
      return SendResult::stop;
    }
  }
  // The RNDIS header in this slot's 128 bytes of DMA memory: one GPA range
  // that never crosses a page (the host completes a header split over two
  // ranges with failure: the May 2025 netvsc fix, hn_xmit_sg's GPA 0).
  std::span<std::byte> header = header_area_.subspan(std::size_t{slot} * PortCore::kTxHeaderSlot,
                                                     PortCore::kTxHeaderSlot);
  rndis::PacketBuilder b(header);
  (void)add_ppis(b, p, index_);
  auto header_len = b.finish(static_cast<std::uint32_t>(p.frame.size()));
  vmbus::GpaDirectHeader ranges;
  if (!header_len ||
      !port_->header_dma_.add_page_buffers(ranges, header_area_offset_ + std::size_t{slot} * PortCore::kTxHeaderSlot,
                                           *header_len) ||
      !p.dma->add_page_buffers(ranges, p.frame)) {
    tracker_.unacquire(slot);
    return SendResult::refused;  // not in the region, or more than 32 frames
  }
  const nvsp::Message m = nvsp::encode(
      nvsp::SendRndisPacket{nvsp::raw(nvsp::ChannelType::data), nvsp::kSendSectionIndexNone, 0});
  if (const vmbus::Status w = channel_->write(vmbus::packet::gpa_direct(ranges, m.bytes(), tracker_.trans_id(slot)));
      !w) {
    tracker_.unacquire(slot);
    if (w.error().is_corruption()) {
      mark_broken();
    } else {
      QueueStats::add(stats_.tx_ring_full);
    }
    return SendResult::stop;
  }
  TxSlot& s = tracker_.slot(slot);
  s.packets = 1;
  s.bytes = p.frame.size();
  s.cookie = p.cookie;
  s.has_cookie = true;
  tracker_.publish(slot);
  QueueStats::add(stats_.tx_gpa_direct);
  return SendResult::sent;
}

std::uint16_t Queue::transmit(const TxPacket* pkts, std::uint16_t n) noexcept {
  if (broken_) return 0;
  reclaim(kLookAheadPerBurst);
  if (agg_pending_ && !close_aggregate()) {
    (void)channel_->flush();
    return 0;
  }
  std::uint16_t i = 0;
  for (; i < n; ++i) {
    const TxPacket& p = pkts[i];
    if (!valid(p)) {
      // Consumed and counted; a GPA-direct frame's cookie still comes back.
      if (p.dma != nullptr && !push_cookie(p.cookie)) break;
      QueueStats::add(stats_.tx_errors);
      continue;
    }
    const std::uint32_t header_size = header_size_for(p);
    const std::uint64_t msg_len = header_size + p.frame.size();
    const bool copy_fits = msg_len <= port_->agg_limits.max_bytes && sections_.count() != 0;
    if (p.dma != nullptr && (p.frame.size() > port_->config.tx_copybreak || !copy_fits)) {
      // Frames leave in order: the section being filled goes first (hn_xmit_pkts).
      if (!close_aggregate()) break;
      const SendResult r = send_gpa(p);
      if (r == SendResult::stop) break;
      if (r == SendResult::refused) {
        if (!push_cookie(p.cookie)) break;
        QueueStats::add(stats_.tx_errors);
        continue;
      }
    } else if (!copy_fits) {
      QueueStats::add(stats_.tx_errors);  // too large to copy and no DmaRegion to send it from
      continue;
    } else if (!send_copy(p, header_size)) {
      break;
    }
    QueueStats::add(stats_.tx_packets);
    QueueStats::add(stats_.tx_bytes, p.frame.size());
    if (agg_pending_) {
      ++i;
      break;
    }
  }
  // DPDK flushes the aggregating section at the end of each burst.
  if (!agg_pending_) (void)close_aggregate();
  (void)channel_->flush();  // one index store, at most one signal
  return i;
}

std::uint16_t Queue::reclaim_cookies(std::uint64_t* cookies, std::uint16_t n) noexcept {
  if (!broken_) drain_completions();
  reclaim();
  if (agg_pending_ && close_aggregate()) (void)channel_->flush();
  std::uint16_t out = 0;
  while (out < n && cookie_tail_ != cookie_head_) {
    cookies[out++] = cookies_[cookie_tail_ % cookie_capacity_];
    ++cookie_tail_;
  }
  reclaim();  // room in the cookie queue may let more retire
  return out;
}

}  // namespace netvsc::internal
