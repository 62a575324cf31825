// The scripted netvsc host of the driver tests (fake_host.h).
#include "fake_host.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <stdexcept>

#include "netvsc/protocol/ndis_offload.h"
#include "netvsc/protocol/ndis_rss.h"
#include "netvsc/protocol/nvsp_codec.h"
#include "netvsc/protocol/rndis_control.h"
#include "netvsc/protocol/rndis_packet.h"
#include "netvsc/protocol/wire.h"
#include "vmbus/packet/builders.h"
#include "vmbus/packet/gpa_direct.h"
#include "vmbus/packet/transfer_pages.h"
#include "vmbus/ring/ring_memory.h"

namespace netvsc::test {

PageMemory::PageMemory(std::size_t bytes) : size(bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("mmap");
  data = static_cast<std::byte*>(p);
}
PageMemory::~PageMemory() { ::munmap(data, size); }

HostChannel::HostChannel(std::uint32_t relid, std::uint32_t ring_data_size)
    : to_host(std::make_unique<PageMemory>(4096 + ring_data_size)),
      to_guest(std::make_unique<PageMemory>(4096 + ring_data_size)) {
  auto a = vmbus::RingMemory::from(to_host->bytes());
  auto b = vmbus::RingMemory::from(to_guest->bytes());
  if (!a || !b) throw std::runtime_error("ring memory");
  a->initialize();
  b->initialize();
  vmbus::ChannelConfig config;
  config.relid = relid;
  auto ch = vmbus::Channel::attach(to_host->bytes(), to_guest->bytes(), signaller, config);
  if (!ch) throw std::runtime_error("Channel::attach: " + ch.error().message());
  guest = std::move(*ch);
  auto rx = vmbus::IncomingRing::attach(*a);
  auto tx = vmbus::OutgoingRing::attach(*b);
  if (!rx || !tx) throw std::runtime_error("host ring attach");
  host_rx.emplace(*rx);
  host_tx.emplace(*tx);
}

std::vector<std::byte> make_frame(std::size_t len, std::uint8_t seed) {
  std::vector<std::byte> f(len);
  for (std::size_t i = 0; i < len; ++i) f[i] = static_cast<std::byte>(seed + i * 7);
  return f;
}

FakeHost::FakeHost(HostOptions options)
    : opt_(options), recv_(std::make_unique<PageMemory>(options.recv_buffer_size)),
      send_(std::make_unique<PageMemory>(options.send_buffer_size)) {
  add_channel();
}

FakeHost::~FakeHost() { stop(); }

void FakeHost::add_channel() {
  std::lock_guard lock(mu_);
  channels_.push_back(
      std::make_unique<HostChannel>(static_cast<std::uint32_t>(14 + channels_.size()), opt_.ring_data_size));
}

HostChannel& FakeHost::channel(std::uint32_t i) {
  std::lock_guard lock(mu_);
  return *channels_.at(i);
}
std::size_t FakeHost::channel_count() {
  std::lock_guard lock(mu_);
  return channels_.size();
}

PortResources FakeHost::resources() {
  PortResources r;
  r.primary = channel(0).guest.get();
  r.recv_buffer = recv_->bytes();
  r.recv_gpadl = 0x1001;
  r.send_buffer = send_->bytes();
  r.send_gpadl = 0x1002;
  r.allocate_dma = [](std::size_t bytes) {
    const std::size_t size = (bytes + 4095) & ~std::size_t{4095};
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap");
    auto mapped = std::make_shared<const vmbus::MappedRegion>(p, size);
    std::vector<std::uint64_t> pfns(size / 4096);
    // GPA = the address, as hvsim registers memory (dma_region.h).
    for (std::size_t i = 0; i < pfns.size(); ++i) pfns[i] = reinterpret_cast<std::uintptr_t>(p) / 4096 + i;
    return vmbus::DmaRegion(mapped, std::move(pfns), vmbus::DmaAddressing::registered);
  };
  r.open_subchannel = [this](std::uint16_t id, std::chrono::milliseconds timeout) -> vmbus::Channel& {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (channel_count() <= id) {
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no subchannel offer");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return *channel(id).guest;
  };
  return r;
}

void FakeHost::start() {
  running_ = true;
  thread_ = std::thread([this] {
    while (running_.load()) {
      if (poll() == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
}

void FakeHost::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

int FakeHost::poll() {
  int handled = 0;
  for (std::uint32_t i = 0; i < channel_count(); ++i) {
    HostChannel& c = channel(i);
    for (;;) {
      auto p = c.host_rx->read(buffer_);
      if (!p) break;
      ++handled;
      handle(i, *p);
    }
    (void)c.host_rx->commit();
  }
  return handled;
}

void FakeHost::send_raw(std::uint32_t ch, const vmbus::OutgoingPacket& packet) {
  HostChannel& c = channel(ch);
  auto s = c.host_tx->write(packet);
  if (!s) throw std::runtime_error("host write: " + s.error().message());
  (void)c.host_tx->commit();
}

void FakeHost::complete(std::uint32_t ch, std::uint64_t trans_id, std::span<const std::byte> payload) {
  send_raw(ch, vmbus::packet::completion(trans_id, payload));
}

void FakeHost::complete_send(std::uint32_t ch, std::uint64_t trans_id, std::uint32_t status) {
  if (!opt_.complete_sends && status == nvsp::raw(nvsp::Status::success)) {
    held_.emplace_back(ch, trans_id);
    return;
  }
  complete(ch, trans_id, nvsp::encode(nvsp::SendRndisPacketComplete{status}).bytes());
}

void FakeHost::complete_held() {
  for (auto [ch, id] : held_) {
    complete(ch, id, nvsp::encode(nvsp::SendRndisPacketComplete{nvsp::raw(nvsp::Status::success)}).bytes());
  }
  held_.clear();
}

void FakeHost::handle(std::uint32_t ch, const vmbus::IncomingPacket& p) {
  switch (p.type) {
    case vmbus::PacketType::data_inband:
      handle_inband(ch, p);
      return;
    case vmbus::PacketType::data_using_gpa_direct:
      handle_gpa(ch, p);
      return;
    case vmbus::PacketType::completion: {
      // The guest's receive completion: {108, status}, same trans_id.
      auto done = nvsp::parse<nvsp::SendRndisPacketComplete>(p.payload);
      EXPECT_TRUE(done.ok()) << "receive completion payload";
      EXPECT_EQ(outstanding_rx.erase(p.trans_id), 1u) << "completion for unknown receive " << p.trans_id;
      if (done) rx_completion_status[p.trans_id] = done->status;
      return;
    }
    default:
      ADD_FAILURE() << "guest sent packet type " << static_cast<int>(p.type);
  }
}

void FakeHost::handle_inband(std::uint32_t ch, const vmbus::IncomingPacket& p) {
  EXPECT_GE(p.payload.size(), nvsp::kHostMinimumRequestSize) << "Hyper-V ignores short NVSP requests";
  auto type = nvsp::peek_type(p.payload);
  ASSERT_TRUE(type.ok());
  using T = nvsp::MessageType;
  switch (*type) {
    case T::init: {
      auto m = nvsp::parse<nvsp::Init>(p.payload);
      versions_offered.push_back(m->max_protocol_ver);
      const bool ok = m->max_protocol_ver <= opt_.max_version;
      if (ok) negotiated = m->max_protocol_ver;
      complete(ch, p.trans_id,
               nvsp::encode(nvsp::InitComplete{0, 0, nvsp::raw(ok ? nvsp::Status::success : nvsp::Status::failure)})
                   .bytes());
      return;
    }
    case T::send_ndis_config: {
      auto m = nvsp::parse<nvsp::SendNdisConfig>(p.payload);
      ndis_config_mtu = m->mtu;
      ndis_config_caps = m->capability;
      return;
    }
    case T::send_ndis_version:
      return;
    case T::send_receive_buffer: {
      auto m = nvsp::parse<nvsp::SendReceiveBuffer>(p.payload);
      EXPECT_EQ(m->id, nvsp::kReceiveBufferId);
      const std::uint32_t count = static_cast<std::uint32_t>(opt_.recv_buffer_size / opt_.recv_section_size);
      nvsp::SendReceiveBufferComplete done{nvsp::raw(nvsp::Status::success), opt_.recv_num_sections.value_or(1),
                                           {{0, opt_.recv_section_size, count, count * opt_.recv_section_size}}};
      complete(ch, p.trans_id, nvsp::encode(done).bytes());
      return;
    }
    case T::send_send_buffer:
      complete(ch, p.trans_id,
               nvsp::encode(nvsp::SendSendBufferComplete{nvsp::raw(nvsp::Status::success), opt_.send_section_size})
                   .bytes());
      return;
    case T::subchannel: {
      auto m = nvsp::parse<nvsp::SubchannelRequest>(p.payload);
      subchannels_requested = m->num_subchannels;
      const std::uint32_t n = std::min(m->num_subchannels, opt_.subchannels_offered);
      // The offers come after the completion, as on Hyper-V.
      complete(ch, p.trans_id, nvsp::encode(nvsp::SubchannelComplete{nvsp::raw(nvsp::Status::success), n}).bytes());
      for (std::uint32_t i = 0; i < n; ++i) add_channel();
      return;
    }
    case T::revoke_receive_buffer:
      recv_revoked = true;
      return;
    case T::revoke_send_buffer:
      send_revoked = true;
      return;
    case T::send_rndis_packet: {
      // Data copied into a send-buffer section, possibly several messages.
      auto m = nvsp::parse<nvsp::SendRndisPacket>(p.payload);
      EXPECT_EQ(m->channel_type, nvsp::raw(nvsp::ChannelType::data));
      const std::size_t off = std::size_t{m->send_buf_section_index} * opt_.send_section_size;
      EXPECT_LE(m->send_buf_section_size, opt_.send_section_size);
      EXPECT_LE(off + m->send_buf_section_size, send_->size);
      std::uint32_t status = nvsp::raw(nvsp::Status::success);
      for (rndis::MessageCursor c(send_->bytes().subspan(off, m->send_buf_section_size)); !c.done();) {
        auto msg = c.next();
        if (!msg) {
          ADD_FAILURE() << "section framing: " << msg.error().message();
          status = nvsp::raw(nvsp::Status::invalid_rndis_packet);
          break;
        }
        auto pkt = rndis::parse_packet(*msg);
        if (!pkt) {
          ADD_FAILURE() << "section packet: " << pkt.error().message();
          status = nvsp::raw(nvsp::Status::invalid_rndis_packet);
          break;
        }
        frames.push_back({ch, {pkt->frame.begin(), pkt->frame.end()}, pkt->info, false, m->send_buf_section_index});
      }
      complete_send(ch, p.trans_id, status);
      return;
    }
    default:
      ADD_FAILURE() << "unexpected NVSP type " << nvsp::raw(*type);
  }
}

void FakeHost::handle_gpa(std::uint32_t ch, const vmbus::IncomingPacket& p) {
  auto gpa = vmbus::GpaDirectPacket::parse(p);
  ASSERT_TRUE(gpa.ok());
  auto m = nvsp::parse<nvsp::SendRndisPacket>(p.payload);
  ASSERT_TRUE(m.ok());
  // GPA = VA (FakeHost::resources().allocate_dma).
  std::vector<std::byte> bytes;
  std::uint32_t first_len = 0;
  bool first = true;
  for (vmbus::GpaRange r : *gpa) {
    std::uint32_t left = r.len;
    std::uint32_t off = r.offset;
    for (std::uint32_t i = 0; i < r.page_count() && left != 0; ++i) {
      const std::uint32_t n = std::min<std::uint32_t>(left, 4096 - off);
      const auto* src = reinterpret_cast<const std::byte*>(r.pfn(i) * 4096 + off);
      bytes.insert(bytes.end(), src, src + n);
      left -= n;
      off = 0;
    }
    if (first) first_len = r.len;
    first = false;
  }
  if (m->channel_type == nvsp::raw(nvsp::ChannelType::control)) {
    complete(ch, p.trans_id,
             nvsp::encode(nvsp::SendRndisPacketComplete{nvsp::raw(nvsp::Status::success)}).bytes());
    handle_control(ch, bytes);
    return;
  }
  auto pkt = rndis::parse_packet(bytes);
  if (!pkt) {
    ADD_FAILURE() << "GPA packet: " << pkt.error().message();
    complete_send(ch, p.trans_id, nvsp::raw(nvsp::Status::failure));
    return;
  }
  // The host completes a packet whose RNDIS header is split over ranges
  // with failure (the May 2025 netvsc fix).
  const std::size_t header = bytes.size() - pkt->frame.size();
  if (first_len < header) {
    ++split_header_failures;
    complete_send(ch, p.trans_id, nvsp::raw(nvsp::Status::failure));
    return;
  }
  frames.push_back({ch, {pkt->frame.begin(), pkt->frame.end()}, pkt->info, true, 0});
  complete_send(ch, p.trans_id, nvsp::raw(nvsp::Status::success));
}

void FakeHost::handle_control(std::uint32_t ch, std::span<const std::byte> message) {
  auto m = rndis::frame(message);
  ASSERT_TRUE(m.ok()) << m.error().message();
  std::array<std::byte, 1024> out{};
  auto reply = [&](vmbus::Result<std::uint32_t> n) {
    ASSERT_TRUE(n.ok());
    reply_rndis(ch, std::span(out).first(*n));
  };
  switch (static_cast<rndis::MessageType>(m->type)) {
    case rndis::MessageType::initialize: {
      auto req = rndis::parse_body<rndis::InitializeRequest>(*m);
      reply(rndis::write_initialize_complete(
          rndis::initialize_complete(req->req_id, rndis::status::kSuccess, opt_.max_pkt_per_msg, opt_.max_xfer_size,
                                     opt_.alignment_factor),
          out));
      return;
    }
    case rndis::MessageType::halt:
      halted = true;
      return;
    case rndis::MessageType::query: {
      auto q = rndis::parse_query_request(*m);
      ASSERT_TRUE(q.ok());
      std::array<std::byte, 256> info{};
      std::size_t len = 0;
      auto u32 = [&](std::uint32_t v) { wire::store(std::span(info), 0, v), len = 4; };
      std::uint32_t status = rndis::status::kSuccess;
      switch (q->oid) {
        case ndis::Oid::gen_maximum_frame_size: u32(opt_.mtu); break;
        case ndis::Oid::gen_link_speed: u32(opt_.link_speed_100bps); break;
        case ndis::Oid::gen_media_connect_status:
          u32(opt_.link_up ? ndis::kMediaStateConnected : ndis::kMediaStateDisconnected);
          break;
        case ndis::Oid::ieee802_3_permanent_address:
        case ndis::Oid::ieee802_3_current_address:
          std::memcpy(info.data(), opt_.mac.data(), 6);
          len = 6;
          break;
        case ndis::Oid::tcp_offload_hardware_capabilities: {
          ndis::Offload o{};
          o.header = {ndis::kObjectTypeOffload, ndis::kOffloadRevision3, ndis::kOffloadSize};
          o.csum.ip4_txenc = o.csum.ip4_rxenc = o.csum.ip6_txenc = o.csum.ip6_rxenc = ndis::kEncap8023;
          o.csum.ip4_txcsum = o.csum.ip4_rxcsum = ndis::kCsumCapIp4 | ndis::kCsumCapTcp4 | ndis::kCsumCapUdp4;
          o.csum.ip6_txcsum = o.csum.ip6_rxcsum = ndis::kCsumCapTcp6 | ndis::kCsumCapUdp6;
          o.lsov2.ip4_encap = o.lsov2.ip6_encap = ndis::kEncap8023;
          o.lsov2.ip4_maxsz = o.lsov2.ip6_maxsz = 62780;
          o.lsov2.ip4_minsg = o.lsov2.ip6_minsg = 2;
          std::memcpy(info.data(), &o, sizeof o);
          len = sizeof o;
          break;
        }
        case ndis::Oid::gen_receive_scale_capabilities: {
          ndis::RssCapabilities c{};
          c.header = {ndis::kObjectTypeRssCapabilities, ndis::kRssCapabilitiesRevision2, ndis::kRssCapabilitiesSize};
          c.num_recv_que = opt_.rss_queues;
          c.num_indirect_tabent = 128;
          std::memcpy(info.data(), &c, sizeof c);
          len = sizeof c;
          break;
        }
        default:
          status = rndis::status::kNotSupported;
      }
      reply(rndis::write_query_complete(q->req_id, status, std::span(info).first(len), out));
      return;
    }
    case rndis::MessageType::set: {
      auto s = rndis::parse_set_request(*m);
      ASSERT_TRUE(s.ok());
      std::uint32_t status = rndis::status::kSuccess;
      switch (s->oid) {
        case ndis::Oid::gen_current_packet_filter:
          packet_filter = wire::load<std::uint32_t>(s->info);
          break;
        case ndis::Oid::tcp_offload_parameters:
          offload_set = ndis::parse_offload_parameters(s->info).ok();
          break;
        case ndis::Oid::gen_receive_scale_parameters: {
          auto rss = ndis::parse_rss_parameters(s->info);
          rss_set = rss.ok();
          if (rss) rss_table.assign(rss->table().begin(), rss->table().end());
          break;
        }
        default:
          status = rndis::status::kNotSupported;
      }
      reply(rndis::write_set_complete(s->req_id, status, out));
      return;
    }
    default:
      ADD_FAILURE() << "unexpected RNDIS control type " << m->type;
  }
}

std::uint32_t FakeHost::next_section() {
  const std::uint32_t count = static_cast<std::uint32_t>(opt_.recv_buffer_size / opt_.recv_section_size);
  return section_cursor_++ % count;
}

std::uint32_t FakeHost::put_in_section(std::uint32_t section, std::span<const std::byte> bytes) {
  const std::size_t off = std::size_t{section} * opt_.recv_section_size;
  std::memcpy(recv_->data + off, bytes.data(), bytes.size());
  return static_cast<std::uint32_t>(off);
}

std::uint64_t FakeHost::send_transfer_page(std::uint32_t ch, std::uint16_t pageset,
                                           const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ranges,
                                           bool nvsp_ok) {
  std::vector<std::byte> header(sizeof(vmbus::TransferPagePrefix) + ranges.size() * sizeof(vmbus::TransferPageRange));
  const vmbus::TransferPagePrefix prefix{pageset, 0, 0, static_cast<std::uint32_t>(ranges.size())};
  std::memcpy(header.data(), &prefix, sizeof prefix);
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const vmbus::TransferPageRange r{ranges[i].first, ranges[i].second};
    std::memcpy(header.data() + sizeof prefix + i * sizeof r, &r, sizeof r);
  }
  const nvsp::Message msg =
      nvsp_ok ? nvsp::encode(nvsp::SendRndisPacket{0, nvsp::kSendSectionIndexNone, 0})
              : nvsp::encode(nvsp::SendNdisVersion{6, 30});
  vmbus::OutgoingPacket p;
  p.type = vmbus::PacketType::data_using_transfer_pages;
  p.flags = vmbus::kPacketFlagCompletionRequested;
  p.trans_id = next_trans_id_++;
  p.header = header;
  p.add_payload(msg.bytes());
  send_raw(ch, p);
  outstanding_rx.insert(p.trans_id);
  return p.trans_id;
}

void FakeHost::reply_rndis(std::uint32_t ch, std::span<const std::byte> message) {
  const std::uint32_t section = next_section();
  const std::uint32_t off = put_in_section(section, message);
  send_transfer_page(ch, nvsp::kReceiveBufferId, {{static_cast<std::uint32_t>(message.size()), off}});
}

std::uint64_t FakeHost::send_frames(std::uint32_t ch, const std::vector<std::vector<std::byte>>& list,
                                    std::optional<ppi::PacketInfo> info) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
  for (const auto& f : list) {
    std::array<std::byte, 1728 * 8> msg{};
    rndis::PacketBuilder b(msg);
    if (info && info->checksum) {
      EXPECT_TRUE(b.add(ppi::Type::tcpip_checksum, *info->checksum).ok());
    }
    if (info && info->vlan) {
      EXPECT_TRUE(b.add(ppi::Type::ieee_8021q, *info->vlan).ok());
    }
    if (info && info->hash_value) {
      EXPECT_TRUE(b.add(ppi::Type::hash_value, *info->hash_value).ok());
    }
    auto n = b.finish(f);
    EXPECT_TRUE(n.ok());
    const std::uint32_t count = static_cast<std::uint32_t>(opt_.recv_buffer_size / opt_.recv_section_size);
    const std::uint32_t sections_needed = (*n + opt_.recv_section_size - 1) / opt_.recv_section_size;
    std::uint32_t section = section_cursor_ % count;
    if (section + sections_needed > count) section = 0;  // a message never wraps the buffer
    section_cursor_ = section + sections_needed;
    ranges.emplace_back(*n, put_in_section(section, std::span(msg).first(*n)));
  }
  return send_transfer_page(ch, nvsp::kReceiveBufferId, ranges);
}

void FakeHost::send_indication(std::uint32_t ch, std::uint32_t status, std::span<const std::byte> buffer) {
  std::array<std::byte, 256> out{};
  auto n = rndis::write_indicate_status(status, buffer, out);
  ASSERT_TRUE(n.ok());
  reply_rndis(ch, std::span(out).first(*n));
}

}  // namespace netvsc::test
