// A netvsc guest for the NIC host tests, written with the protocol library
// and the raw endpoint client: NVSP over the primary channel's rings, RNDIS
// control messages GPA-direct from a registered DMA region (as DPDK sends
// them), data from send-buffer sections or GPA ranges, receives from
// transfer-page packets (each completed with the 8-byte {108, status} Linux
// sends), subchannels through their ring files.
//
// Usage:
//   NicGuest g(*this);                       // a SimFixture whose config has "eth0"
//   ASSERT_TRUE(g.handshake());              // INIT .. buffers, RNDIS INIT, packet filter
//   g.send_frame_section(frame);
//   auto rx = g.receive_frames(1);
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "netvsc/protocol/ndis_oids.h"
#include "netvsc/protocol/ndis_rss.h"
#include "netvsc/protocol/nvsp_codec.h"
#include "netvsc/protocol/rndis_control.h"
#include "netvsc/protocol/rndis_packet.h"
#include "netvsc/protocol/toeplitz.h"
#include "sim_fixture.h"
#include "vmbus/packet/gpa_direct.h"
#include "vmbus/packet/transfer_pages.h"

namespace hvsim::test {

namespace nvsp = ::netvsc::nvsp;
namespace rndis = ::netvsc::rndis;
namespace ndis = ::netvsc::ndis;
namespace ppi = ::netvsc::ppi;
using nlohmann::json;

// SimFixture with what NicGuest uses made public; no Simulator until start().
class NicFixture : public SimFixture {
 public:
  using SimFixture::device_dir;
  using SimFixture::open_client;
  using SimFixture::sim;

 protected:
  void SetUp() override {}
};

// A patient timeout: a 2-core machine under a sanitizer is slow, never wrong.
constexpr std::chrono::milliseconds kNicPatience{20'000};

// eth0 bound to uio_hv_generic at offer, with `nic` settings and `subchannels`.
inline SimConfig nic_config(const json& nic = json(), std::uint32_t subchannels = 0) {
  SimConfig c;
  c.subchannel_ring_delay_ms = 0;
  json dev = {{"name", "eth0"},
              {"class", "network"},
              {"instance", "000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20"},
              {"driver", "uio_hv_generic"},
              {"subchannels", subchannels}};
  if (!nic.is_null()) dev["nic"] = nic;
  c.devices.push_back(parse_device(dev, "test"));
  return c;
}

// A packet copied out of the ring.
struct Got {
  vmbus::PacketType type{};
  std::uint16_t flags = 0;
  std::uint64_t trans_id = 0;
  std::vector<std::byte> header;
  std::vector<std::byte> payload;
  std::uint32_t queue = 0;  // the channel it came on (subchannel id)
};

// One RNDIS message from a transfer-page range.
struct RxMessage {
  std::vector<std::byte> bytes;
  std::uint32_t queue = 0;
  std::uint32_t offset = 0;  // in the receive buffer
  std::uint64_t trans_id = 0;
};

// A subchannel's rings from its ring file (channels/<relid>/ring).
class SubRing {
 public:
  explicit SubRing(const stdfs::path& ring) {
    fd_ = UniqueFd(::open(ring.c_str(), O_RDWR | O_CLOEXEC));
    struct stat st {};
    ::fstat(fd_.get(), &st);
    size_ = static_cast<std::size_t>(st.st_size);
    data_ = static_cast<std::byte*>(::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0));
    const std::span<std::byte> all(data_, size_);
    txm_.emplace(*vmbus::RingMemory::from(all.first(size_ / 2)));
    rxm_.emplace(*vmbus::RingMemory::from(all.subspan(size_ / 2)));
    tx_.emplace(*vmbus::OutgoingRing::attach(*txm_));
    rx_.emplace(*vmbus::IncomingRing::attach(*rxm_));
  }
  ~SubRing() { ::munmap(data_, size_); }
  SubRing(const SubRing&) = delete;
  SubRing& operator=(const SubRing&) = delete;
  vmbus::OutgoingRing& tx() { return *tx_; }
  vmbus::IncomingRing& rx() { return *rx_; }

 private:
  UniqueFd fd_;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::optional<vmbus::RingMemory> txm_, rxm_;
  std::optional<vmbus::OutgoingRing> tx_;
  std::optional<vmbus::IncomingRing> rx_;
};

class NicGuest {
 public:
  static constexpr std::uint64_t kDmaGpa = 0x100000000ull;
  static constexpr std::size_t kDmaSize = 1u << 20;

  explicit NicGuest(NicFixture& f, std::string_view device = "eth0") : f_(f), name_(device) {
    const DeviceStatus d = f.sim().device(device);
    EXPECT_TRUE(d.uio.has_value()) << "eth0 is not bound to uio_hv_generic";
    c_ = f.open_client(*d.uio);
    relid_ = d.spec.relid;
    monitor_ = d.spec.monitor_id;
    for (const auto& m : c_->maps()) {
      if (m.name.rfind("recv:", 0) == 0) recv_ = m, recv_gpadl_ = static_cast<std::uint32_t>(std::stoul(m.name.substr(5)));
      if (m.name.rfind("send:", 0) == 0) send_ = m, send_gpadl_ = static_cast<std::uint32_t>(std::stoul(m.name.substr(5)));
    }
    // DMA memory the host reaches by GPA (endpoint RegisterMemory).
    dma_fd_ = UniqueFd(::memfd_create("nic-guest-dma", MFD_CLOEXEC));
    EXPECT_EQ(::ftruncate(dma_fd_.get(), kDmaSize), 0);
    dma_ = static_cast<std::byte*>(::mmap(nullptr, kDmaSize, PROT_READ | PROT_WRITE, MAP_SHARED, dma_fd_.get(), 0));
    EXPECT_EQ(c_->register_memory(kDmaGpa, kDmaSize, ::dup(dma_fd_.get())), 0);
    buffer_.resize(1 << 16);
  }
  ~NicGuest() {
    subs_.clear();
    if (dma_ != nullptr) ::munmap(dma_, kDmaSize);
  }

  EndpointClient& client() { return *c_; }
  std::uint32_t recv_gpadl() const { return recv_gpadl_; }
  std::uint32_t send_gpadl() const { return send_gpadl_; }
  std::byte* recv_buffer() const { return recv_.data; }
  std::byte* send_buffer() const { return send_.data; }
  std::byte* dma() const { return dma_; }
  std::uint32_t section_size = 0;  // from SEND_SEND_BUF's completion
  std::uint32_t slot_size = 0;
  std::uint32_t slot_count = 0;

  // --- Rings ---
  void send_packet(const vmbus::OutgoingPacket& p, std::uint32_t queue = 0) {
    if (queue == 0) {
      ASSERT_TRUE(c_->tx().write(p).ok());
      if (c_->tx().commit()) c_->signal(relid_, monitor_);
    } else {
      ASSERT_TRUE(subs_.at(queue)->tx().write(p).ok());
      if (subs_.at(queue)->tx().commit()) c_->signal(sub_relids_.at(queue), sub_monitors_.at(queue));
    }
  }
  std::uint64_t send_nvsp(std::span<const std::byte> message, bool completion = true) {
    const std::uint64_t id = next_id_++;
    send_packet(vmbus::packet::inband(message, id, completion));
    return id;
  }
  // The next packet on any open channel, within `timeout`.
  std::optional<Got> read(std::chrono::milliseconds timeout = kNicPatience) {
    std::optional<Got> got;
    wait_for([&] {
      got = try_read();
      return got.has_value();
    }, timeout);
    return got;
  }
  std::optional<Got> try_read() {
    for (std::uint32_t q = 0; q <= subs_.size(); ++q) {
      vmbus::IncomingRing& ring = q == 0 ? c_->rx() : subs_.at(q)->rx();
      auto p = ring.read(buffer_);
      if (!p) continue;
      Got g{p->type, p->flags, p->trans_id, {p->header.begin(), p->header.end()}, {p->payload.begin(), p->payload.end()}, q};
      if (ring.commit()) c_->signal(q == 0 ? relid_ : sub_relids_.at(q), q == 0 ? monitor_ : sub_monitors_.at(q));
      return g;
    }
    return std::nullopt;
  }
  // Reads until a completion of `id` arrives; transfer pages on the way are kept in pending_.
  std::optional<Got> completion_of(std::uint64_t id) {
    for (;;) {
      auto g = read();
      if (!g) return std::nullopt;
      if (g->type == vmbus::PacketType::completion && g->trans_id == id) return g;
      other_.push_back(std::move(*g));
    }
  }

  // --- NVSP ---
  std::optional<nvsp::InitComplete> init(std::uint32_t version) {
    auto id = send_nvsp(nvsp::encode(nvsp::Init{version, version}).bytes());
    auto g = completion_of(id);
    if (!g) return std::nullopt;
    auto done = nvsp::parse<nvsp::InitComplete>(g->payload);
    EXPECT_TRUE(done.ok());
    EXPECT_EQ(g->payload.size(), 40u);  // padded (DPDK rejects shorter)
    if (!done) return std::nullopt;
    return *done;
  }
  std::optional<nvsp::SendReceiveBufferComplete> connect_recv(std::optional<std::uint32_t> gpadl = std::nullopt) {
    auto id = send_nvsp(nvsp::encode(nvsp::SendReceiveBuffer{gpadl.value_or(recv_gpadl_), nvsp::kReceiveBufferId}).bytes());
    auto g = completion_of(id);
    if (!g) return std::nullopt;
    auto done = nvsp::parse<nvsp::SendReceiveBufferComplete>(g->payload);
    if (!done) return std::nullopt;
    if (done->status == 1) {
      slot_size = done->sections[0].sub_alloc_size;
      slot_count = done->sections[0].num_sub_allocs;
    }
    return *done;
  }
  std::optional<nvsp::SendSendBufferComplete> connect_send(std::uint16_t id16 = nvsp::kSendBufferIdLinux) {
    auto id = send_nvsp(nvsp::encode(nvsp::SendSendBuffer{send_gpadl_, id16}).bytes());
    auto g = completion_of(id);
    if (!g) return std::nullopt;
    auto done = nvsp::parse<nvsp::SendSendBufferComplete>(g->payload);
    if (!done) return std::nullopt;
    if (done->status == 1) section_size = done->section_size;
    return *done;
  }
  // INIT 6.1 (or `version`), NDIS config and version, both buffers, RNDIS
  // INITIALIZE and a packet filter (Linux's at open).
  bool handshake(std::uint32_t version = nvsp::raw(nvsp::Version::v61),
                 std::uint32_t filter = ndis::kPacketFilterLinuxOpen) {
    auto i = init(version);
    if (!i || i->status != 1) return false;
    version_ = version;
    send_nvsp(nvsp::encode(nvsp::SendNdisConfig{1500 + 14, 0, nvsp::linux_capabilities(static_cast<nvsp::Version>(version))}).bytes(), false);
    send_nvsp(nvsp::encode(nvsp::ndis_version_message(static_cast<nvsp::Version>(version))).bytes(), false);
    auto r = connect_recv();
    if (!r || r->status != 1) return false;
    auto s = connect_send();
    if (!s || s->status != 1) return false;
    std::array<std::byte, 64> m{};
    auto n = rndis::write_initialize(77, m);
    auto reply = control(std::span(m).first(*n));
    if (!reply) return false;
    auto done = rndis::parse_initialize_complete(*rndis::frame(*reply));
    if (!done || done->status != 0) return false;
    return set_u32(ndis::Oid::gen_current_packet_filter, filter) == 0;
  }

  // --- RNDIS control, GPA-direct from the DMA region, channel type 1 ---
  // Returns the reply's bytes (the transfer page is completed).
  std::optional<std::vector<std::byte>> control(std::span<const std::byte> message, bool expect_reply = true) {
    std::memcpy(dma_, message.data(), message.size());
    vmbus::GpaDirectHeader ranges;
    EXPECT_TRUE(ranges.add_buffer(kDmaGpa, static_cast<std::uint32_t>(message.size())).ok());
    const auto nv = nvsp::encode(nvsp::SendRndisPacket{1, nvsp::kSendSectionIndexNone, 0});
    const std::uint64_t id = next_id_++;
    send_packet(vmbus::packet::gpa_direct(ranges, nv.bytes(), id));
    auto done = completion_of(id);
    if (!done) return std::nullopt;
    auto status = nvsp::parse<nvsp::SendRndisPacketComplete>(done->payload);
    EXPECT_TRUE(status.ok() && status->status == 1);
    if (!expect_reply) return std::vector<std::byte>{};
    // Data frames that arrive meanwhile (a source backend) are not the reply.
    for (;;) {
      auto msgs = receive_messages(1);
      if (msgs.empty()) return std::nullopt;
      auto framed = rndis::frame(msgs[0].bytes);
      if (framed && framed->type == rndis::raw(rndis::MessageType::packet)) continue;
      return msgs[0].bytes;
    }
  }
  std::optional<rndis::InfoReply> query(ndis::Oid oid, std::span<const std::byte> info = {}) {
    std::array<std::byte, 1024> m{};
    auto n = rndis::write_query(++req_id_, oid, info, m);
    auto reply = control(std::span(m).first(*n));
    if (!reply) return std::nullopt;
    last_reply_ = *reply;
    auto framed = rndis::frame(last_reply_);
    if (!framed) return std::nullopt;
    auto q = rndis::parse_query_complete(*framed);
    if (!q) return std::nullopt;
    EXPECT_EQ(q->req_id, req_id_);
    return *q;
  }
  std::optional<std::uint32_t> query_u32(ndis::Oid oid) {
    auto q = query(oid);
    if (!q || q->status != 0 || q->info.size() != 4) return std::nullopt;
    return ::netvsc::wire::load<std::uint32_t>(q->info);
  }
  // The SET_CMPLT status, or 0xdead on no reply.
  std::uint32_t set(ndis::Oid oid, std::span<const std::byte> info) {
    std::array<std::byte, 2048> m{};
    auto n = rndis::write_set(++req_id_, oid, info, m);
    auto reply = control(std::span(m).first(*n));
    if (!reply) return 0xdead;
    auto framed = rndis::frame(*reply);
    auto s = rndis::parse_body<rndis::SetComplete>(*framed);
    if (!s) return 0xdead;
    EXPECT_EQ(s->req_id, req_id_);
    return s->status;
  }
  std::uint32_t set_u32(ndis::Oid oid, std::uint32_t v) { return set(oid, ::netvsc::wire::bytes_of(v)); }

  // --- Receive ---
  // Reads transfer-page packets until `count` RNDIS messages arrived;
  // completes each packet (8 bytes, as Linux) unless `complete` is false.
  std::vector<RxMessage> receive_messages(std::size_t count, bool complete = true,
                                          std::chrono::milliseconds timeout = kNicPatience) {
    std::vector<RxMessage> out;
    // Transfer pages seen while waiting for a completion first.
    for (auto it = other_.begin(); it != other_.end() && out.size() < count;) {
      if (it->type == vmbus::PacketType::data_using_transfer_pages) {
        take(*it, out, complete);
        it = other_.erase(it);
      } else {
        ++it;
      }
    }
    while (out.size() < count) {
      auto g = read(timeout);
      if (!g) break;
      if (g->type == vmbus::PacketType::data_using_transfer_pages) take(*g, out, complete);
      else other_.push_back(std::move(*g));
    }
    return out;
  }
  void complete_transfer(std::uint64_t trans_id, std::uint32_t queue = 0) {
    const auto m = nvsp::encode_unpadded(nvsp::SendRndisPacketComplete{1});
    send_packet(vmbus::packet::completion(trans_id, m.bytes()), queue);
  }
  std::vector<std::uint64_t> uncompleted;  // transfer pages read with complete = false
  std::vector<std::uint32_t> uncompleted_queue;

  // --- Transmit ---
  // One RNDIS packet message for `frame` with optional PPIs, into `out`.
  static std::uint32_t build_packet(std::span<std::byte> out, std::span<const std::byte> frame,
                                    std::optional<std::uint32_t> vlan = std::nullopt) {
    rndis::PacketBuilder b(out);
    if (vlan) {
      EXPECT_TRUE(b.add(ppi::Type::ieee_8021q, *vlan).ok());
    }
    auto n = b.finish(frame);
    EXPECT_TRUE(n.ok());
    return n ? *n : 0;
  }
  // Frames packed into send-buffer section `section`; returns the completion status.
  std::uint32_t send_section(std::uint32_t section, const std::vector<std::vector<std::byte>>& frames, std::uint32_t queue = 0) {
    std::byte* base = send_.data + std::size_t{section} * section_size;
    std::uint32_t used = 0;
    for (const auto& f : frames) {
      const std::uint32_t n = build_packet({base + used, section_size - used}, f);
      used += (n + 7) / 8 * 8;  // packed, 8-byte aligned (1 << pkt_alignment_factor)
      // msg_len stays the message's own length; the cursor walks msg_len, so pad
      // the previous message by recording the aligned size as its msg_len.
      std::uint32_t aligned = (n + 7) / 8 * 8;
      std::memcpy(base + used - aligned + 4, &aligned, 4);
    }
    return send_rndis_inband(section, used, queue);
  }
  std::uint32_t send_rndis_inband(std::uint32_t section, std::uint32_t used, std::uint32_t queue = 0) {
    const std::uint64_t id = next_id_++;
    send_packet(vmbus::packet::inband(nvsp::encode(nvsp::SendRndisPacket{0, section, used}).bytes(), id, true), queue);
    auto done = completion_on(id);
    if (!done) return 0xdead;
    auto s = nvsp::parse<nvsp::SendRndisPacketComplete>(done->payload);
    EXPECT_EQ(done->queue, queue);  // on the channel the send came in on
    EXPECT_EQ(done->payload.size(), 40u);
    return s ? s->status : 0xdead;
  }
  // A frame GPA-direct: the RNDIS header in the DMA region at `header_at`
  // (one range unless it crosses a page), the frame at `frame_at`, a range per page.
  std::uint32_t send_gpa(std::span<const std::byte> frame, std::size_t header_at = 0, std::size_t frame_at = 0x10000,
                         std::uint32_t queue = 0) {
    rndis::PacketBuilder b({dma_ + header_at, 4096});
    auto header = b.finish(static_cast<std::uint32_t>(frame.size()));
    EXPECT_TRUE(header.ok());
    std::memcpy(dma_ + frame_at, frame.data(), frame.size());
    vmbus::GpaDirectHeader ranges;
    EXPECT_TRUE(ranges.add_buffer(kDmaGpa + header_at, *header).ok());
    EXPECT_TRUE(ranges.add_buffer(kDmaGpa + frame_at, static_cast<std::uint32_t>(frame.size())).ok());
    const auto nv = nvsp::encode(nvsp::SendRndisPacket{0, nvsp::kSendSectionIndexNone, 0});
    const std::uint64_t id = next_id_++;
    send_packet(vmbus::packet::gpa_direct(ranges, nv.bytes(), id), queue);
    auto done = completion_on(id);
    if (!done) return 0xdead;
    auto s = nvsp::parse<nvsp::SendRndisPacketComplete>(done->payload);
    return s ? s->status : 0xdead;
  }
  std::optional<Got> completion_on(std::uint64_t id) { return completion_of(id); }

  // --- Subchannels ---
  // SUBCHANNEL allocate `n`; returns the granted count, opens their rings.
  std::optional<std::uint32_t> allocate_subchannels(std::uint32_t n) {
    auto id = send_nvsp(nvsp::encode(nvsp::SubchannelRequest{nvsp::kSubchannelAllocate, n}).bytes());
    auto g = completion_of(id);
    if (!g) return std::nullopt;
    auto done = nvsp::parse<nvsp::SubchannelComplete>(g->payload);
    if (!done || done->status != 1) return std::nullopt;
    const std::uint32_t granted = done->num_subchannels;
    EXPECT_TRUE(wait_for([&] { return f_.sim().device(name_).channels.size() == granted + 1; }, kNicPatience));
    for (const ChannelStatus& c : f_.sim().device(name_).channels) {
      if (c.spec.subchannel_id == 0) continue;
      const stdfs::path ring = f_.device_dir(name_) / "channels" / std::to_string(c.spec.relid) / "ring";
      EXPECT_TRUE(wait_for([&] { return present(ring); }, kNicPatience));
      // The host serves it once on_open ran: its state says open.
      EXPECT_TRUE(wait_for([&] {
        for (const ChannelStatus& s : f_.sim().device(name_).channels) {
          if (s.spec.relid == c.spec.relid) return s.state == ChannelState::open;
        }
        return false;
      }, kNicPatience));
      subs_[c.spec.subchannel_id] = std::make_unique<SubRing>(ring);
      sub_relids_[c.spec.subchannel_id] = c.spec.relid;
      sub_monitors_[c.spec.subchannel_id] = c.spec.monitor_id;
    }
    return granted;
  }
  // Packets that arrived while waiting for something else (indirection table...).
  std::vector<Got>& others() { return other_; }

  json nic_stats() {
    json r = f_.sim().handle_control({{"command", "stats"}, {"args", {name_}}});
    return r["result"]["devices"][0].value("nic_counters", json());
  }

 private:
  void take(const Got& g, std::vector<RxMessage>& out, bool complete) {
    vmbus::IncomingPacket p{g.type, g.flags, g.trans_id, g.header, g.payload};
    auto x = vmbus::TransferPagePacket::parse(p);
    EXPECT_TRUE(x.ok());
    if (!x) return;
    EXPECT_EQ(x->pageset_id(), nvsp::kReceiveBufferId);
    EXPECT_TRUE(x->check_within(recv_.size).ok());
    for (std::uint32_t i = 0; i < x->range_count(); ++i) {
      const auto r = x->range(i);
      RxMessage m;
      m.bytes.assign(recv_.data + r.byte_offset, recv_.data + r.byte_offset + r.byte_count);
      m.queue = g.queue;
      m.offset = r.byte_offset;
      m.trans_id = g.trans_id;
      out.push_back(std::move(m));
    }
    if (complete) {
      complete_transfer(g.trans_id, g.queue);
    } else {
      uncompleted.push_back(g.trans_id);
      uncompleted_queue.push_back(g.queue);
    }
  }

  NicFixture& f_;
  std::string name_;
  std::unique_ptr<EndpointClient> c_;
  std::uint32_t relid_ = 0;
  std::optional<std::uint8_t> monitor_;
  EndpointClient::Map recv_, send_;
  std::uint32_t recv_gpadl_ = 0, send_gpadl_ = 0;
  UniqueFd dma_fd_;
  std::byte* dma_ = nullptr;
  std::vector<std::byte> buffer_;
  std::uint64_t next_id_ = 1;
  std::uint32_t req_id_ = 100;
  std::uint32_t version_ = 0;
  std::vector<Got> other_;
  std::vector<std::byte> last_reply_;
  std::map<std::uint32_t, std::unique_ptr<SubRing>> subs_;
  std::map<std::uint32_t, std::uint32_t> sub_relids_;
  std::map<std::uint32_t, std::optional<std::uint8_t>> sub_monitors_;
};

// A test frame: Ethernet to `dst`, IPv4 TCP from 10.1.0.1:sport to 10.2.0.2:dport,
// `size` bytes in all, the rest a pattern seeded by `seed`.
inline std::vector<std::byte> tcp_frame(std::size_t size, const std::array<std::uint8_t, 6>& dst, std::uint16_t sport,
                                        std::uint16_t dport = 80, std::uint8_t seed = 0) {
  std::vector<std::byte> f(size);
  for (std::size_t i = 0; i < size; ++i) f[i] = std::byte(static_cast<std::uint8_t>(i * 7 + seed));
  const std::uint8_t head[] = {dst[0], dst[1], dst[2], dst[3], dst[4], dst[5], 0x02, 0, 0, 0, 0, 9, 0x08, 0x00,
                               0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 1, 0, 1, 10, 2, 0, 2,
                               static_cast<std::uint8_t>(sport >> 8), static_cast<std::uint8_t>(sport),
                               static_cast<std::uint8_t>(dport >> 8), static_cast<std::uint8_t>(dport)};
  for (std::size_t i = 0; i < sizeof head && i < size; ++i) f[i] = std::byte(head[i]);
  return f;
}

inline constexpr std::array<std::uint8_t, 6> kNicMac{0x00, 0x0d, 0x3a, 0x6b, 0x8c, 0x2f};  // from the instance

}  // namespace hvsim::test
