// NicHost, NVSP: the channel's own protocol (Linux netvsc_connect_vsp and
// netvsc_init_buf, DPDK hn_nvs_attach, OpenVMM netvsp's handling of them).
#include <algorithm>
#include <array>

#include "netvsc/protocol/nvsp_codec.h"
#include "nic.h"
#include "vmbus/packet/builders.h"

namespace hvsim::netvsc {

namespace nvsp = ::netvsc::nvsp;

namespace {

constexpr std::uint32_t kReply = ring_bytes_for(0, nvsp::kMessageSize);

bool known_version(std::uint32_t v) noexcept {
  return std::any_of(nvsp::kVersionsNewestFirst.begin(), nvsp::kVersionsNewestFirst.end(),
                     [v](nvsp::Version k) { return nvsp::raw(k) == v; });
}

}  // namespace

std::uint32_t NicHost::slot_size() const noexcept {
  if (spec_.nic.recv_section_size != 0) return spec_.nic.recv_section_size;
  // Hyper-V's 1728-byte sections hold a 1514-byte frame with its RNDIS
  // header and PPIs; a jumbo MTU needs larger ones (header 44, 4 PPIs of 16,
  // the frame with a VLAN tag).
  const std::uint32_t need = (44 + 4 * 16 + spec_.nic.mtu + 18 + 7) / 8 * 8;
  return std::max<std::uint32_t>(nvsp::kRecvSectionSize, need);
}

void NicHost::complete(HostChannel& ch, std::uint64_t trans_id, std::span<const std::byte> message) noexcept {
  (void)ch.send(vmbus::packet::completion(trans_id, message));
}

PacketResult NicHost::on_nvsp(HostChannel& ch, const vmbus::IncomingPacket& p) {
  // Hyper-V never answers a request under 32 bytes (FreeBSD HN_NVS_REQSIZE_MIN).
  if (p.payload.size() < nvsp::kHostMinimumRequestSize) {
    guest_error(ch, NicCounter::drop_short_request,
                "an NVSP request of " + std::to_string(p.payload.size()) + " bytes: under 32, Hyper-V never replies");
    return PacketResult::done();
  }
  const nvsp::MessageType type = *nvsp::peek_type(p.payload);
  const bool primary = ch.spec().subchannel_id == 0;
  auto room = [&](std::uint32_t need) { return ch.room_for(need) == Room::ok; };
  auto malformed = [&](const ::netvsc::ParseError& e) {
    guest_error(ch, NicCounter::drop_malformed, "malformed NVSP message: " + e.message());
    return PacketResult::done();
  };

  switch (type) {
    case nvsp::MessageType::init: {
      if (!room(kReply)) return PacketResult::blocked(kReply);
      auto init = nvsp::parse<nvsp::Init>(p.payload);
      if (!init) return malformed(init.error());
      // The newest version both sides know, within the guest's [min, max]
      // and the configured maximum (Linux and DPDK send min == max).
      std::uint32_t chosen = 0;
      for (nvsp::Version v : nvsp::kVersionsNewestFirst) {
        const std::uint32_t r = nvsp::raw(v);
        if (r <= spec_.nic.max_nvsp_version && r >= init->min_protocol_ver && r <= init->max_protocol_ver) {
          chosen = r;
          break;
        }
      }
      const bool ok = chosen != 0 && known_version(chosen);
      if (ok) version_ = chosen;
      const nvsp::InitComplete done{ok ? chosen : 0, 0, nvsp::raw(ok ? nvsp::Status::success : nvsp::Status::failure)};
      complete(ch, p.trans_id, nvsp::encode(done).bytes());
      return PacketResult::done();
    }
    case nvsp::MessageType::send_ndis_config: {
      auto c = nvsp::parse<nvsp::SendNdisConfig>(p.payload);
      if (!c) return malformed(c.error());
      guest_mtu_ = c->mtu;  // recorded: the host's MTU is its config's (OID_GEN_MAXIMUM_FRAME_SIZE)
      guest_caps_ = c->capability;
      return PacketResult::done();
    }
    case nvsp::MessageType::send_ndis_version: {
      auto v = nvsp::parse<nvsp::SendNdisVersion>(p.payload);
      if (!v) return malformed(v.error());
      ndis_version_ = v->ndis_major_ver << 16 | (v->ndis_minor_ver & 0xffffu);
      return PacketResult::done();
    }
    case nvsp::MessageType::send_receive_buffer: {
      if (!room(kReply)) return PacketResult::blocked(kReply);
      auto b = nvsp::parse<nvsp::SendReceiveBuffer>(p.payload);
      if (!b) return malformed(b.error());
      const GpadlBuffer& buffer = ch.recv_buffer();
      const bool ok = primary && version_ != 0 && !buffer.bytes.empty() && b->gpadl_handle == buffer.gpadl &&
                      b->id == nvsp::kReceiveBufferId && !rx_.connected();
      nvsp::SendReceiveBufferComplete done{};
      done.status = nvsp::raw(ok ? nvsp::Status::success : nvsp::Status::failure);
      if (ok) {
        rx_.connect(buffer.bytes, slot_size(), std::max<std::uint32_t>(RndisDevice::kMaxReply, 44 + 4 * 16 + spec_.nic.mtu + 18));
        shared_->set_slots(0, rx_.slot_count());
        done.num_sections = 1;
        done.sections[0] = {0, rx_.slot_size(), rx_.slot_count(), rx_.slot_size() * rx_.slot_count()};
      } else {
        guest_error(ch, NicCounter::drop_malformed, "SEND_RECV_BUF refused: gpadl " + std::to_string(b->gpadl_handle) +
                                                         " id " + std::to_string(b->id) + " (the device's is " +
                                                         std::to_string(buffer.gpadl) + ", id 0xcafe, once, after INIT)");
      }
      complete(ch, p.trans_id, nvsp::encode(done).bytes());
      return PacketResult::done();
    }
    case nvsp::MessageType::revoke_receive_buffer: {
      auto r = nvsp::parse<nvsp::RevokeReceiveBuffer>(p.payload);
      if (!r) return malformed(r.error());
      if (r->id == nvsp::kReceiveBufferId) rx_.disconnect();
      shared_->set_slots(0, 0);
      return PacketResult::done();
    }
    case nvsp::MessageType::send_send_buffer: {
      if (!room(kReply)) return PacketResult::blocked(kReply);
      auto b = nvsp::parse<nvsp::SendSendBuffer>(p.payload);
      if (!b) return malformed(b.error());
      const GpadlBuffer& buffer = ch.send_buffer();
      // Linux names it 0, DPDK 0xface: a host accepts either.
      const bool ok = primary && version_ != 0 && !buffer.bytes.empty() && b->gpadl_handle == buffer.gpadl &&
                      (b->id == nvsp::kSendBufferIdLinux || b->id == nvsp::kSendBufferIdDpdk) && !send_connected_;
      if (ok) {
        send_connected_ = true;
        send_sections_ = static_cast<std::uint32_t>(buffer.bytes.size() / send_section_size_);
      } else {
        guest_error(ch, NicCounter::drop_malformed, "SEND_SEND_BUF refused: gpadl " + std::to_string(b->gpadl_handle) +
                                                         " (the device's is " + std::to_string(buffer.gpadl) + ")");
      }
      const nvsp::SendSendBufferComplete done{nvsp::raw(ok ? nvsp::Status::success : nvsp::Status::failure),
                                              ok ? send_section_size_ : 0};
      complete(ch, p.trans_id, nvsp::encode(done).bytes());
      return PacketResult::done();
    }
    case nvsp::MessageType::revoke_send_buffer: {
      auto r = nvsp::parse<nvsp::RevokeSendBuffer>(p.payload);
      if (!r) return malformed(r.error());
      send_connected_ = false;
      send_sections_ = 0;
      return PacketResult::done();
    }
    case nvsp::MessageType::send_rndis_packet: {
      if (!room(kReply)) return PacketResult::blocked(kReply);
      auto s = nvsp::parse<nvsp::SendRndisPacket>(p.payload);
      if (!s) return malformed(s.error());
      return on_section_send(ch, p, s->channel_type, s->send_buf_section_index, s->send_buf_section_size);
    }
    case nvsp::MessageType::subchannel: {
      const std::uint32_t need = kReply + ring_bytes_for(0, nvsp::kSendIndirectionTableMessageSize);
      if (!room(need)) return PacketResult::blocked(need);
      auto r = nvsp::parse<nvsp::SubchannelRequest>(p.payload);
      if (!r) return malformed(r.error());
      const bool ok = primary && version_ >= nvsp::raw(nvsp::Version::v5) && r->op == nvsp::kSubchannelAllocate;
      const std::uint32_t n = ok ? std::min(r->num_subchannels, subchannels_granted() - subchannels_offered()) : 0;
      const nvsp::SubchannelComplete done{nvsp::raw(ok ? nvsp::Status::success : nvsp::Status::failure), n};
      complete(ch, p.trans_id, nvsp::encode(done).bytes());
      if (!ok) return PacketResult::done();
      // The reply is published before the offers are made, as on Hyper-V
      // (netvsc_sc_open runs on offers that follow the completion).
      ch.publish();
      subchannels_allocated_ += offer_subchannels(n);
      send_indirection_table(ch);
      return PacketResult::done();
    }
    case nvsp::MessageType::switch_data_path: {
      if (!room(kReply)) return PacketResult::blocked(kReply);
      auto s = nvsp::parse<nvsp::SwitchDataPath>(p.payload);
      if (!s) return malformed(s.error());
      // No VF here: the data path stays synthetic; Linux waits for the completion.
      if (p.completion_requested()) complete(ch, p.trans_id, nvsp::encode(*s).bytes());
      return PacketResult::done();
    }
    default:
      guest_error(ch, NicCounter::drop_malformed, "NVSP message type " + std::to_string(nvsp::raw(type)) + " is not handled");
      return PacketResult::done();
  }
}

// OpenVMM's layout (offset 12, 16 entries), sent inband on the primary once
// subchannels are allocated (NVSP >= 5): bucket i -> channel i % channels.
void NicHost::send_indirection_table(HostChannel& ch) noexcept {
  if (version_ < nvsp::raw(nvsp::Version::v5)) return;
  nvsp::SendTable table;
  for (std::uint32_t i = 0; i < table.entries.size(); ++i) table.entries[i] = i % (1 + subchannels_allocated_);
  std::array<std::byte, nvsp::kSendIndirectionTableMessageSize> bytes{};
  auto n = nvsp::encode_send_indirection_table(table, bytes);
  if (!n) return;
  (void)ch.send(vmbus::packet::inband(std::span(bytes).first(*n), 0));
  sent_table_ = true;
}

}  // namespace hvsim::netvsc
