// Opening a port: the NVSP and RNDIS handshake in the order Linux's
// netvsc_device_add / rndis_filter_device_add run it, with DPDK's
// choices where they differ and say so. Every step checks the host's reply
// and throws PortError naming the step and what was wrong.
#include <algorithm>
#include <cstring>
#include <string>

#include "netvsc/protocol/ndis_offload.h"
#include "netvsc/protocol/ndis_rss.h"
#include "netvsc/protocol/nvsp_codec.h"
#include "netvsc/protocol/rndis_control.h"
#include "netvsc/protocol/wire.h"
#include "port_core.h"

namespace netvsc {
namespace {

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

[[noreturn]] void fail(const std::string& step, const vmbus::Error& e) {
  std::string why = e.code == vmbus::Errc::empty ? "no reply before the control timeout" : e.message();
  throw PortError("netvsc open: " + step + ": " + why);
}
[[noreturn]] void fail(const std::string& step, const ParseError& e) {
  throw PortError("netvsc open: " + step + ": the host's reply is malformed: " + e.message());
}
[[noreturn]] void fail(const std::string& step, const std::string& why) {
  throw PortError("netvsc open: " + step + ": " + why);
}

template <typename Body>
Body expect(const vmbus::Result<PortCore::NvspReply>& reply, const std::string& step) {
  if (!reply) fail(step, reply.error());
  auto body = nvsp::parse<Body>(reply->payload());
  if (!body) fail(step, body.error());
  return *body;
}

std::uint32_t load_u32(std::span<const std::byte> info, const std::string& step) {
  if (info.size() < 4) fail(step, "information buffer of " + std::to_string(info.size()) + " bytes, need 4");
  return wire::load<std::uint32_t>(info);
}

std::uint8_t csum_param(bool tx, bool rx) noexcept {
  if (tx && rx) return ndis::kOffloadParamTxRxEnabled;
  if (tx) return ndis::kOffloadParamTxEnabledRxDisabled;
  if (rx) return ndis::kOffloadParamRxEnabledTxDisabled;
  return ndis::kOffloadParamTxRxDisabled;
}

}  // namespace

PortCore::PortCore(PortResources r, PortConfig c) : config(std::move(c)), resources(std::move(r)) {
  if (resources.primary == nullptr) throw PortError("netvsc open: no primary channel");
  if (resources.recv_buffer.empty() || resources.recv_buffer.size() > 0xffffffffu) {
    throw PortError("netvsc open: the receive buffer (uio map 3, recv:<gpadl>) is missing or over 4 GiB");
  }
  if (resources.send_buffer.empty() || resources.send_buffer.size() > 0xffffffffu) {
    throw PortError("netvsc open: the send buffer (uio map 4, send:<gpadl>) is missing or over 4 GiB");
  }
  if (!resources.allocate_dma) throw PortError("netvsc open: no way to allocate DMA memory");
  if (config.versions.empty()) throw PortError("netvsc open: PortConfig::versions is empty");
  if (config.queues == 0) config.queues = 1;
  queues_.push_back(std::make_unique<internal::Queue>(*this, 0, *resources.primary));
}

PortCore::~PortCore() { close(); }

void PortCore::open() {
  if (config.mtu < kMinMtu || config.mtu > kMaxMtu) {
    throw PortError("netvsc open: MTU " + std::to_string(config.mtu) + " is outside " + std::to_string(kMinMtu) +
                    ".." + std::to_string(kMaxMtu));
  }
  try {
    control_dma_ = resources.allocate_dma(kControlMessageMax);
  } catch (const std::exception& e) {
    fail("allocating the RNDIS control page", e.what());
  }
  negotiate_version();
  // NVSP 1 has no SEND_NDIS_CONFIG to carry the MTU: Ethernet's 1500 only
  // (netvsc_probe: max_mtu = ETH_DATA_LEN before NVSP 2).
  if (!nvsp::at_least(info.nvsp_version, nvsp::Version::v2) && config.mtu > kMaxMtuV1) {
    throw PortError("netvsc open: MTU " + std::to_string(config.mtu) + " needs NVSP 2 or newer; the host accepted " +
                    hex(nvsp::raw(info.nvsp_version)) + ", which allows at most " +
                    std::to_string(kMaxMtuV1));
  }
  send_ndis_config_and_version();
  connect_receive_buffer();
  connect_send_buffer();
  rndis_initialize();
  query_device();
  configure_offloads();
  std::uint32_t wanted = config.queues;
  if (!nvsp::at_least(info.nvsp_version, nvsp::Version::v5) || !resources.open_subchannel) wanted = 1;
  if (wanted > 1) {
    // RSS capabilities say how many receive queues the host has (DPDK:
    // max_queues = min(RSS rings, max_channels)).
    std::array<std::byte, ndis::kRssCapabilitiesSize> q{};
    auto n = ndis::write_rss_capabilities_query(q);
    auto caps_info = rndis_query(ndis::Oid::gen_receive_scale_capabilities, std::span(q).first(n ? *n : 0));
    if (caps_info) {
      auto caps = ndis::parse_rss_capabilities(*caps_info);
      if (!caps) fail("RSS capabilities", caps.error());
      info.host_rss_queues = caps->num_recv_que;
    } else if (caps_info.error().code == vmbus::Errc::empty || caps_info.error().code == vmbus::Errc::rescinded) {
      fail("RSS capabilities", caps_info.error());
    }
    wanted = std::min<std::uint32_t>({wanted, info.host_rss_queues, vmbus::Device::kMaxChannels});
    if (wanted == 0) wanted = 1;
  }
  open_subchannels(wanted);
  info.queues = static_cast<std::uint16_t>(queues_.size());
  if (queues_.size() > 1) configure_rss();
  build_queues();
  std::uint32_t filter = config.packet_filter;
  if (auto s = rndis_set(ndis::Oid::gen_current_packet_filter, wire::bytes_of(filter)); !s) {
    fail("setting the packet filter " + hex(filter), s.error());
  }
}

// INIT {v, v} for each allowed version, newest first, until the host says
// success (netvsc_connect_vsp, DPDK hn_nvs_init).
void PortCore::negotiate_version() {
  for (nvsp::Version v : config.versions) {
    const std::string step = "NVSP INIT " + hex(nvsp::raw(v));
    auto done = expect<nvsp::InitComplete>(nvsp_request(nvsp::encode(nvsp::Init{nvsp::raw(v), nvsp::raw(v)}), true),
                                           step);
    if (done.status == nvsp::raw(nvsp::Status::success)) {
      info.nvsp_version = v;
      return;
    }
  }
  fail("NVSP INIT", "the host accepted none of the " + std::to_string(config.versions.size()) + " versions offered");
}

void PortCore::send_ndis_config_and_version() {
  const nvsp::Version v = info.nvsp_version;
  if (nvsp::at_least(v, nvsp::Version::v2)) {
    // Linux's capabilities without RSC: this driver does not reassemble
    // RSC fragments, so it never announces it (netvsc.c sets it for 6.1).
    info.ndis_capabilities = nvsp::linux_capabilities(v) & ~nvsp::kCapRsc;
    auto r = nvsp_request(nvsp::encode(nvsp::SendNdisConfig{config.mtu + 14, 0, info.ndis_capabilities}), false);
    if (!r) fail("NVSP SEND_NDIS_CONFIG", r.error());
  }
  info.ndis_version = nvsp::ndis_version_for(v);
  auto r = nvsp_request(nvsp::encode(nvsp::ndis_version_message(v)), false);
  if (!r) fail("NVSP SEND_NDIS_VER", r.error());
}

void PortCore::connect_receive_buffer() {
  const std::string step = "NVSP SEND_RECV_BUF (gpadl " + hex(resources.recv_gpadl) + ")";
  auto done = expect<nvsp::SendReceiveBufferComplete>(
      nvsp_request(nvsp::encode(nvsp::SendReceiveBuffer{resources.recv_gpadl, nvsp::kReceiveBufferId}), true), step);
  if (done.status != nvsp::raw(nvsp::Status::success)) fail(step, "host status " + std::to_string(done.status));
  if (auto s = nvsp::check_receive_buffer(done, static_cast<std::uint32_t>(resources.recv_buffer.size())); !s) {
    fail(step, s.error());
  }
  info.recv_section_size = done.sections[0].sub_alloc_size;
  info.recv_section_count = done.sections[0].num_sub_allocs;
}

void PortCore::connect_send_buffer() {
  const std::string step = "NVSP SEND_SEND_BUF (gpadl " + hex(resources.send_gpadl) + ")";
  auto done = expect<nvsp::SendSendBufferComplete>(
      nvsp_request(nvsp::encode(nvsp::SendSendBuffer{resources.send_gpadl, nvsp::kSendBufferIdLinux}), true), step);
  if (done.status != nvsp::raw(nvsp::Status::success)) fail(step, "host status " + std::to_string(done.status));
  if (auto s = nvsp::check_send_buffer(done, static_cast<std::uint32_t>(resources.send_buffer.size())); !s) {
    fail(step, s.error());
  }
  send_section_size = done.section_size;
  info.send_section_size = done.section_size;
  info.send_section_count = static_cast<std::uint32_t>(resources.send_buffer.size() / done.section_size);
}

void PortCore::rndis_initialize() {
  const std::uint32_t id = next_rndis_id();
  std::array<std::byte, 64> buf{};
  auto n = rndis::write_initialize(id, buf);
  if (!n) fail("RNDIS INITIALIZE", n.error());
  auto reply = rndis_request(std::span(buf).first(*n), id, true);
  if (!reply) fail("RNDIS INITIALIZE", reply.error());
  auto framed = rndis::frame(*reply);
  if (!framed) fail("RNDIS INITIALIZE", framed.error());
  auto done = rndis::parse_initialize_complete(*framed);
  if (!done) fail("RNDIS INITIALIZE", done.error());
  if (done->status != rndis::status::kSuccess) fail("RNDIS INITIALIZE", "host status " + hex(done->status));
  info.rndis_max_packets_per_message = done->max_pkt_per_msg;
  info.rndis_max_transfer_size = done->max_xfer_size;
  info.rndis_alignment = done->pkt_alignment_factor < 32 ? 1u << done->pkt_alignment_factor : 0;
  agg_limits = internal::aggregation_limits(send_section_size, done->max_pkt_per_msg, done->max_xfer_size,
                                            done->pkt_alignment_factor, config.tx_aggregation);
  info.tx_aggregation_packets = agg_limits.max_packets > 1 ? agg_limits.max_packets : 0;
  info.tx_aggregation_bytes = agg_limits.max_bytes;
}

void PortCore::query_device() {
  auto mtu = rndis_query(ndis::Oid::gen_maximum_frame_size, {});
  if (!mtu) fail("RNDIS query OID_GEN_MAXIMUM_FRAME_SIZE", mtu.error());
  link_mtu.store(load_u32(*mtu, "OID_GEN_MAXIMUM_FRAME_SIZE"), std::memory_order_relaxed);
  // The MTU in effect: what was asked, lowered to the host's maximum
  // (rndis_filter_device_add: if the host's is smaller, net->mtu = mtu).
  info.mtu = std::min(config.mtu, link_mtu.load(std::memory_order_relaxed));
  if (info.mtu < kMinMtu) fail("OID_GEN_MAXIMUM_FRAME_SIZE", "the host's maximum frame size " + std::to_string(info.mtu) +
                               " is below the minimum MTU " + std::to_string(kMinMtu));

  auto perm = rndis_query(ndis::Oid::ieee802_3_permanent_address, {});
  if (!perm) fail("RNDIS query OID_802_3_PERMANENT_ADDRESS", perm.error());
  if (perm->size() < 6) fail("OID_802_3_PERMANENT_ADDRESS", "fewer than 6 bytes");
  std::memcpy(info.permanent_mac.data(), perm->data(), 6);
  info.current_mac = info.permanent_mac;
  if (auto cur = rndis_query(ndis::Oid::ieee802_3_current_address, {}); cur && cur->size() >= 6) {
    std::memcpy(info.current_mac.data(), cur->data(), 6);
  } else if (!cur && (cur.error().code == vmbus::Errc::empty || cur.error().code == vmbus::Errc::rescinded)) {
    fail("RNDIS query OID_802_3_CURRENT_ADDRESS", cur.error());
  }

  auto media = rndis_query(ndis::Oid::gen_media_connect_status, {});
  if (!media) fail("RNDIS query OID_GEN_MEDIA_CONNECT_STATUS", media.error());
  link_up.store(load_u32(*media, "OID_GEN_MEDIA_CONNECT_STATUS") == ndis::kMediaStateConnected,
                std::memory_order_relaxed);

  // A host that does not know the speed is not fatal (0 = unknown).
  if (auto speed = rndis_query(ndis::Oid::gen_link_speed, {}); speed && speed->size() >= 4) {
    link_speed_bps.store(std::uint64_t{wire::load<std::uint32_t>(*speed)} * 100, std::memory_order_relaxed);
  } else if (!speed && (speed.error().code == vmbus::Errc::empty || speed.error().code == vmbus::Errc::rescinded)) {
    fail("RNDIS query OID_GEN_LINK_SPEED", speed.error());
  }
}

// OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, then OID_TCP_OFFLOAD_PARAMETERS
// with what both the config and the host allow (rndis_netdev_set_hwcaps).
void PortCore::configure_offloads() {
  const nvsp::Version v = info.nvsp_version;
  std::array<std::byte, sizeof(ndis::Offload)> q{};
  auto qn = ndis::write_offload_query(v, q);
  if (!qn) fail("offload query", qn.error());
  ndis::Offload caps{};
  auto reply = rndis_query(ndis::Oid::tcp_offload_hardware_capabilities, std::span(q).first(*qn));
  if (reply) {
    auto parsed = ndis::parse_offload(*reply);
    if (!parsed) fail("OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES", parsed.error());
    caps = *parsed;
  } else if (reply.error().code == vmbus::Errc::empty || reply.error().code == vmbus::Errc::rescinded) {
    fail("RNDIS query OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES", reply.error());
  }
  const std::uint32_t l4v4 = ndis::kCsumCapTcp4 | ndis::kCsumCapUdp4;
  const std::uint32_t l4v6 = ndis::kCsumCapTcp6 | ndis::kCsumCapUdp6;
  const bool tx4 = config.offloads.tx_checksum && (caps.csum.ip4_txcsum & l4v4) == l4v4;
  const bool rx4 = config.offloads.rx_checksum && (caps.csum.ip4_rxcsum & l4v4) == l4v4;
  const bool tx6 = config.offloads.tx_checksum && (caps.csum.ip6_txcsum & l4v6) == l4v6;
  const bool rx6 = config.offloads.rx_checksum && (caps.csum.ip6_rxcsum & l4v6) == l4v6;
  info.tx_checksum = tx4;
  info.rx_checksum = rx4;
  info.lso_v4 = config.offloads.lso && caps.lsov2.ip4_maxsz != 0 && (caps.lsov2.ip4_encap & ndis::kEncap8023) != 0;
  info.lso_v6 = config.offloads.lso && caps.lsov2.ip6_maxsz != 0 && (caps.lsov2.ip6_encap & ndis::kEncap8023) != 0;
  info.lso_max_size = info.lso_v4 ? caps.lsov2.ip4_maxsz : (info.lso_v6 ? caps.lsov2.ip6_maxsz : 0);

  ndis::OffloadParameters p{};
  p.ip_v4_csum = csum_param(tx4 && (caps.csum.ip4_txcsum & ndis::kCsumCapIp4) != 0,
                            rx4 && (caps.csum.ip4_rxcsum & ndis::kCsumCapIp4) != 0);
  p.tcp_ip_v4_csum = csum_param(tx4, rx4);
  p.udp_ip_v4_csum = csum_param(tx4, rx4);
  p.tcp_ip_v6_csum = csum_param(tx6, rx6);
  p.udp_ip_v6_csum = csum_param(tx6, rx6);
  p.lso_v2_ipv4 = info.lso_v4 ? ndis::kOffloadParamLsoEnabled : ndis::kOffloadParamLsoDisabled;
  p.lso_v2_ipv6 = info.lso_v6 ? ndis::kOffloadParamLsoEnabled : ndis::kOffloadParamLsoDisabled;
  std::array<std::byte, sizeof(ndis::OffloadParameters)> buf{};
  auto n = ndis::write_offload_parameters(p, v, buf);
  if (!n) fail("offload parameters", n.error());
  if (auto s = rndis_set(ndis::Oid::tcp_offload_parameters, std::span(buf).first(*n)); !s) {
    fail("RNDIS set OID_TCP_OFFLOAD_PARAMETERS", s.error());
  }
}

// NVSP SUBCHANNEL {allocate, n}; the host then offers n channels with
// subchannel ids 1..n (netvsc_dev_add -> rndis_set_subchannel; DPDK
// hn_subchan_configure). Queue i is subchannel i.
void PortCore::open_subchannels(std::uint32_t wanted) {
  if (wanted <= 1) return;
  const std::string step = "NVSP SUBCHANNEL allocate " + std::to_string(wanted - 1);
  auto done = expect<nvsp::SubchannelComplete>(
      nvsp_request(nvsp::encode(nvsp::SubchannelRequest{nvsp::kSubchannelAllocate, wanted - 1}), true), step);
  if (done.status != nvsp::raw(nvsp::Status::success)) fail(step, "host status " + std::to_string(done.status));
  // A host granting more than asked gets only what was asked for used.
  const std::uint32_t granted = std::min(done.num_subchannels, wanted - 1);
  info.subchannels_granted = done.num_subchannels;
  for (std::uint32_t i = 1; i <= granted; ++i) {
    vmbus::Channel* ch = nullptr;
    try {
      ch = &resources.open_subchannel(static_cast<std::uint16_t>(i), config.subchannel_timeout);
    } catch (const std::exception& e) {
      fail("opening subchannel " + std::to_string(i), e.what());
    }
    queues_.push_back(std::make_unique<internal::Queue>(*this, static_cast<std::uint16_t>(i), *ch));
  }
}

// OID_GEN_RECEIVE_SCALE_PARAMETERS: Toeplitz over IPv4/IPv6 with TCP
// ports, the key, and the indirection table (rndis_set_rss_param_msg).
void PortCore::configure_rss() {
  const std::uint32_t n = static_cast<std::uint32_t>(queues_.size());
  std::vector<std::uint32_t> table = config.rss_indirection;
  if (table.empty()) {
    auto rr = rss::IndirectionTable::round_robin(n);
    table.assign(rr.entries().begin(), rr.entries().end());
  }
  for (std::uint32_t e : table) {
    if (e >= n) fail("RSS", "indirection entry " + std::to_string(e) + " names no queue (" + std::to_string(n) + " open)");
  }
  std::array<std::byte, ndis::rss_parameters_size(ndis::kRssTableMaxEntries, ndis::kRssKeyMaxSize)> buf{};
  auto len = ndis::write_rss_parameters(0, ndis::kHashInfoLinux, config.rss_key, table, buf);
  if (!len) fail("RSS parameters", len.error());
  if (auto s = rndis_set(ndis::Oid::gen_receive_scale_parameters, std::span(buf).first(*len)); !s) {
    fail("RNDIS set OID_GEN_RECEIVE_SCALE_PARAMETERS", s.error());
  }
}

void PortCore::build_queues() {
  const std::uint32_t n = static_cast<std::uint32_t>(queues_.size());
  std::uint32_t descriptors = config.tx_descriptors;
  if (descriptors == 0) descriptors = 1;
  if (descriptors > internal::TxTracker::kMaxSlots) descriptors = internal::TxTracker::kMaxSlots;
  const std::size_t per_queue = std::size_t{descriptors} * kTxHeaderSlot;
  try {
    header_dma_ = resources.allocate_dma(per_queue * n);
  } catch (const std::exception& e) {
    fail("allocating RNDIS header memory for " + std::to_string(n) + " queues", e.what());
  }
  for (std::uint32_t q = 0; q < n; ++q) {
    queues_[q]->set_up_tx(descriptors, internal::section_slice(info.send_section_count, n, q),
                          header_dma_.memory().subspan(q * per_queue, per_queue), q * per_queue);
  }
}

void PortCore::on_status(internal::Queue& q, const rndis::StatusIndication& s) noexcept {
  LinkEvent event{};
  switch (s.status) {
    case rndis::status::kMediaConnect:
      link_up.store(true, std::memory_order_relaxed);
      event.kind = LinkEventKind::connected;
      break;
    case rndis::status::kMediaDisconnect:
      link_up.store(false, std::memory_order_relaxed);
      event.kind = LinkEventKind::disconnected;
      break;
    case rndis::status::kLinkSpeedChange: {
      auto speed = rndis::link_speed(s);
      if (!speed) {
        q.stats().count(Malformed::rndis_control);
        return;
      }
      link_speed_bps.store(std::uint64_t{*speed} * 100, std::memory_order_relaxed);
      event.kind = LinkEventKind::speed_changed;
      break;
    }
    default:
      return;  // NETWORK_CHANGE and the rest: nothing for a poll-mode port to do
  }
  QueueStats::add(q.stats().link_events);
  event.state = LinkState{link_up.load(std::memory_order_relaxed), link_speed_bps.load(std::memory_order_relaxed),
                          link_mtu.load(std::memory_order_relaxed)};
  event.queue = q.index();
  if (config.on_link_change) config.on_link_change(event);
}

void PortCore::on_send_table(const nvsp::SendTable& table) noexcept {
  for (std::size_t i = 0; i < table.entries.size(); ++i) {
    send_table_[i].store(table.entries[i], std::memory_order_relaxed);
  }
}

}  // namespace netvsc
