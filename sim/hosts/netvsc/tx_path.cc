// NicHost, guest -> host: RNDIS messages from send-buffer sections or GPA
// ranges, each send completed with SEND_RNDIS_PKT_COMPLETE {status} on the
// channel it came in on with the same trans_id (netvsc_send_tx_complete;
// DPDK hn_nvs_handle_comp).
#include <cstring>

#include "netvsc/protocol/nvsp_codec.h"
#include "netvsc/protocol/ppi.h"
#include "netvsc/protocol/rndis_packet.h"
#include "nic.h"
#include "payload_faults.h"
#include "vmbus/packet/builders.h"
#include "vmbus/packet/gpa_direct.h"

namespace hvsim::netvsc {

namespace nvsp = ::netvsc::nvsp;
namespace rndis = ::netvsc::rndis;

void NicHost::send_completion(HostChannel& ch, std::uint64_t trans_id, nvsp::Status status) noexcept {
  // Padded to 40 bytes: DPDK's hn_nvs_handle_comp rejects shorter ones.
  const nvsp::Message m = nvsp::encode(nvsp::SendRndisPacketComplete{nvsp::raw(status)});
  (void)ch.send(vmbus::packet::completion(completion_trans_id(ch, trans_id), m.bytes()));
}

PacketResult NicHost::on_section_send(HostChannel& ch, const vmbus::IncomingPacket& p, std::uint32_t channel_type,
                                      std::uint32_t index, std::uint32_t size) {
  (void)channel_type;  // the RNDIS message type says what it is
  if (!send_connected_ || index >= send_sections_ || size == 0 || size > send_section_size_) {
    guest_error(ch, NicCounter::drop_malformed,
                "SEND_RNDIS_PKT names send-buffer section " + std::to_string(index) + " with " + std::to_string(size) +
                    " bytes (" + std::to_string(send_sections_) + " sections of " + std::to_string(send_section_size_) + ")");
    send_completion(ch, p.trans_id, nvsp::Status::failure);
    return PacketResult::done();
  }
  // Copied out first: the guest may write the shared section while we parse.
  const std::span<std::byte> bytes = ch.scratch().first(size);
  std::memcpy(bytes.data(), ch.send_buffer().bytes.data() + std::size_t{index} * send_section_size_, size);
  bool ok = true;
  // Several messages may be packed back to back (DPDK hn_try_txagg).
  for (rndis::MessageCursor c(bytes); !c.done();) {
    auto m = c.next();
    if (!m) {
      guest_error(ch, NicCounter::drop_malformed, "send-buffer section " + std::to_string(index) + ": " + m.error().message());
      ok = false;
      break;
    }
    ok = on_rndis_message(ch, *m) && ok;
  }
  send_completion(ch, p.trans_id, ok ? nvsp::Status::success : nvsp::Status::failure);
  return PacketResult::done();
}

PacketResult NicHost::on_gpa_direct(HostChannel& ch, const vmbus::IncomingPacket& p) {
  if (p.payload.size() < nvsp::kHostMinimumRequestSize) {
    guest_error(ch, NicCounter::drop_short_request,
                "an NVSP request of " + std::to_string(p.payload.size()) + " bytes: under 32, Hyper-V never replies");
    return PacketResult::done();
  }
  constexpr std::uint32_t need = ring_bytes_for(0, nvsp::kMessageSize);
  if (ch.room_for(need) != Room::ok) return PacketResult::blocked(need);
  auto s = nvsp::parse<nvsp::SendRndisPacket>(p.payload);
  if (!s) {
    guest_error(ch, NicCounter::drop_malformed, "GPA-direct packet without SEND_RNDIS_PKT: " + s.error().message());
    send_completion(ch, p.trans_id, nvsp::Status::failure);
    return PacketResult::done();
  }
  auto gpa = vmbus::GpaDirectPacket::parse(p);
  if (!gpa) {
    guest_error(ch, NicCounter::drop_malformed, "malformed GPA-direct header: " + gpa.error().message());
    send_completion(ch, p.trans_id, nvsp::Status::failure);
    return PacketResult::done();
  }
  const std::span<std::byte> scratch = ch.scratch();
  std::size_t at = 0;
  std::uint32_t first_range = 0;
  const std::uint64_t by_address_before = ch.guest_memory().by_address_accesses();
  for (const vmbus::GpaRange r : *gpa) {
    if (r.len > scratch.size() - at) {
      guest_error(ch, NicCounter::drop_malformed, "GPA ranges name more than 128 KiB");
      send_completion(ch, p.trans_id, nvsp::Status::failure);
      return PacketResult::done();
    }
    auto n = ch.guest_memory().read_range(r, scratch.subspan(at));
    if (!n) {
      guest_error(ch, NicCounter::drop_malformed, "cannot read the guest memory it names (" + n.error().message() + ")");
      send_completion(ch, p.trans_id, nvsp::Status::failure);
      return PacketResult::done();
    }
    if (at == 0) first_range = *n;
    at += *n;
  }
  if (ch.guest_memory().by_address_accesses() != by_address_before) shared_->add(NicCounter::tx_gpa_by_address);
  auto m = rndis::frame(scratch.first(at));
  if (!m) {
    guest_error(ch, NicCounter::drop_malformed, "GPA-direct RNDIS message: " + m.error().message());
    send_completion(ch, p.trans_id, nvsp::Status::failure);
    return PacketResult::done();
  }
  if (m->type == rndis::raw(rndis::MessageType::packet)) {
    auto pkt = rndis::parse_packet(*m);
    if (!pkt) {
      guest_error(ch, NicCounter::drop_malformed, "RNDIS packet: " + pkt.error().message());
      send_completion(ch, p.trans_id, nvsp::Status::failure);
      return PacketResult::done();
    }
    // Hyper-V completes a packet whose RNDIS header (everything before the
    // frame) spans GPA ranges with status 2 (the May 2025 netvsc fix).
    const std::size_t header = static_cast<std::size_t>(pkt->frame.data() - m->bytes.data());
    if (first_range < header) {
      shared_->add(NicCounter::drop_split_header);
      send_completion(ch, p.trans_id, nvsp::Status::failure);
      return PacketResult::done();
    }
  }
  const bool ok = on_rndis_message(ch, *m);
  send_completion(ch, p.trans_id, ok ? nvsp::Status::success : nvsp::Status::failure);
  return PacketResult::done();
}

bool NicHost::on_rndis_message(HostChannel& ch, const rndis::MessageView& m) noexcept {
  if (m.type == rndis::raw(rndis::MessageType::packet)) return on_data(ch, m);
  on_control(m);
  return true;
}

bool NicHost::on_data(HostChannel& ch, const rndis::MessageView& m) noexcept {
  auto pkt = rndis::parse_packet(m);
  if (!pkt) {
    guest_error(ch, NicCounter::drop_malformed, "RNDIS packet: " + pkt.error().message());
    return false;
  }
  // The MTU plus the Ethernet header and an 802.1Q tag the guest kept in the frame.
  if (pkt->frame.size() > std::size_t{rndis_.mtu()} + 18) {
    shared_->add(NicCounter::drop_oversize);
    return true;
  }
  shared_->add(NicCounter::tx_frames);
  shared_->add(NicCounter::tx_bytes, pkt->frame.size());
  FrameMeta meta;
  meta.vlan = pkt->info.vlan;
  meta.checksum_offloaded = (pkt->info.checksum && *pkt->info.checksum != 0) || pkt->info.lso.has_value();
  if (!backend_ || !backend_->transmit(pkt->frame, meta, *this)) shared_->add(NicCounter::drop_backend);
  return true;
}

void NicHost::on_control(const rndis::MessageView& m) noexcept {
  shared_->add(NicCounter::rndis_requests);
  bool unsupported = false;
  const std::uint32_t n = rndis_.handle(m, reply_, version_, 1 + spec_.subchannels, unsupported);
  if (unsupported) shared_->add(NicCounter::rndis_unsupported);
  if (n != 0) deliver_control(std::span(reply_).first(n));
}

}  // namespace hvsim::netvsc
