// NicHost, host -> guest: a frame from the backend becomes a
// REMOTE_NDIS_PACKET_MSG in a receive slot, on the queue RSS picks, with the
// PPIs Hyper-V sends (checksum info, 802.1Q, hash value and hash info).
#include "netvsc/protocol/ppi.h"
#include "netvsc/protocol/rndis_control.h"
#include "netvsc/protocol/rndis_packet.h"
#include "nic.h"

namespace hvsim::netvsc {

namespace ppi = ::netvsc::ppi;
namespace rndis = ::netvsc::rndis;

namespace {

// What a NIC that computed the checksums reports (NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO.Receive).
std::uint32_t rx_checksum(std::span<const std::byte> frame) noexcept {
  if (frame.size() < 34) return 0;
  const auto at = [&](std::size_t i) { return static_cast<std::uint8_t>(frame[i]); };
  const unsigned ethertype = static_cast<unsigned>(at(12) << 8 | at(13));
  std::uint32_t v = 0;
  std::uint8_t proto = 0;
  if (ethertype == 0x0800) {
    v |= ppi::kRxIpChecksumSucceeded;
    proto = at(23);
  } else if (ethertype == 0x86dd && frame.size() >= 54) {
    proto = at(20);
  }
  if (proto == 6) v |= ppi::kRxTcpChecksumSucceeded;
  if (proto == 17) v |= ppi::kRxUdpChecksumSucceeded;
  return v;
}

}  // namespace

bool NicHost::receive(std::span<const std::byte> frame, const FrameMeta& meta, bool may_wait) noexcept {
  if (!rx_.connected()) {
    shared_->add(NicCounter::drop_not_ready);
    return false;
  }
  if (!rndis_.link_up || !rndis_.accepts(frame)) {
    shared_->add(NicCounter::drop_filtered);
    return false;
  }
  const auto hash = rss_.hash(frame);
  const std::uint32_t queue = hash ? rss_.queue_for(hash->value, open_queues()) : 0;
  rndis::PacketBuilder b(message_);
  bool ok = true;
  if (meta.checksum_offloaded) ok = ok && b.add(ppi::Type::tcpip_checksum, rx_checksum(frame)).ok();
  if (meta.vlan) ok = ok && b.add(ppi::Type::ieee_8021q, *meta.vlan).ok();
  if (hash) {
    ok = ok && b.add(ppi::Type::hash_value, hash->value).ok();
    ok = ok && b.add(ppi::Type::hash_info, hash->info).ok();
  }
  auto n = ok ? b.finish(frame) : vmbus::Result<std::uint32_t>(vmbus::Error{vmbus::Errc::buffer_too_small, 0});
  if (!n) {
    shared_->add(NicCounter::drop_oversize);  // larger than a receive slot
    return false;
  }
  switch (rx_.deliver(channels_, queue, std::span(message_).first(*n), RxPath::Kind::data, may_wait)) {
    case RxPath::Outcome::waiting:
      shared_->add(NicCounter::rx_backlogged);
      [[fallthrough]];
    case RxPath::Outcome::delivered:
      shared_->add(NicCounter::rx_frames);
      shared_->add(NicCounter::rx_bytes, frame.size());
      return true;
    case RxPath::Outcome::dropped:
      break;
  }
  shared_->add(NicCounter::drop_no_slot);
  return false;
}

void NicHost::deliver_control(std::span<const std::byte> message) noexcept {
  if (!rx_.connected()) {
    shared_->add(NicCounter::drop_not_ready);
    return;
  }
  if (rx_.deliver(channels_, 0, message, RxPath::Kind::control, /*may_wait=*/true) == RxPath::Outcome::dropped) {
    shared_->add(NicCounter::drop_no_slot);
  }
}

// RNDIS_STATUS_MEDIA_CONNECT / _DISCONNECT and LINK_SPEED_CHANGE (u32, 100
// bps units) on the primary channel (netvsc_linkstatus_callback; DPDK
// hn_rndis_link_status).
void NicHost::indicate_link(const NicShared::Link& link) noexcept {
  if (link.up != rndis_.link_up) {
    rndis_.link_up = link.up;
    auto n = rndis::write_indicate_status(link.up ? rndis::status::kMediaConnect : rndis::status::kMediaDisconnect, {},
                                          reply_);
    if (n) deliver_control(std::span(reply_).first(*n));
  }
  if (link.speed_mbps != rndis_.link_speed_mbps) {
    rndis_.link_speed_mbps = link.speed_mbps;
    const std::uint64_t units = link.speed_mbps * 10'000;
    const std::uint32_t speed = units > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(units);
    auto n = rndis::write_indicate_status(rndis::status::kLinkSpeedChange,
                                          {reinterpret_cast<const std::byte*>(&speed), sizeof speed}, reply_);
    if (n) deliver_control(std::span(reply_).first(*n));
  }
}

}  // namespace hvsim::netvsc
