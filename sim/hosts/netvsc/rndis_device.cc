// RndisDevice: RNDIS control messages and the NIC's OIDs.
#include "rndis_device.h"

#include <cstring>

#include "netvsc/protocol/ndis_oids.h"
#include "netvsc/protocol/ndis_rss.h"
#include "netvsc/protocol/rndis_control.h"
#include "netvsc/protocol/wire.h"

namespace hvsim::netvsc {
namespace {

namespace rndis = ::netvsc::rndis;
namespace ndis = ::netvsc::ndis;
namespace nvsp = ::netvsc::nvsp;
namespace st = ::netvsc::rndis::status;
using ::netvsc::ndis::Oid;

// What the host answers to INITIALIZE (OpenVMM netvsp: 8 packets per
// message; DPDK adopts max_pkt_per_msg, max_xfer_size and 1 << alignment as
// its send-aggregation limits): 8 packets, 16 KiB, 8-byte alignment.
constexpr std::uint32_t kMaxPacketsPerMessage = 8;
constexpr std::uint32_t kMaxTransferSize = 0x4000;
constexpr std::uint32_t kAlignmentFactor = 3;
constexpr std::uint32_t kVendorDriverVersion = 0x00010000;

std::uint32_t written(const vmbus::Result<std::uint32_t>& n) noexcept { return n ? *n : 0; }

template <typename T>
std::span<const std::byte> bytes_of(const T& v) noexcept {
  return {reinterpret_cast<const std::byte*>(&v), sizeof v};
}

}  // namespace

RndisDevice::RndisDevice(const NicConfig& config, Rss& rss) noexcept
    : link_up(config.link_up), link_speed_mbps(config.link_speed_mbps), rss_(rss), mtu_(config.mtu) {
  permanent_ = config.mac.value_or(std::array<std::uint8_t, 6>{0x00, 0x15, 0x5d, 0, 0, 1});
  current_ = permanent_;
}

std::uint32_t RndisDevice::handle(const rndis::MessageView& m, std::span<std::byte> reply, std::uint32_t nvsp_version,
                                  std::uint32_t queues, bool& unsupported) noexcept {
  unsupported = false;
  switch (static_cast<rndis::MessageType>(m.type)) {
    case rndis::MessageType::initialize: {
      auto req = rndis::parse_body<rndis::InitializeRequest>(m);
      if (!req) return 0;
      // MS-RNDIS: the device answers with its own version; 1.0 is all anyone speaks.
      initialized_ = true;
      return written(rndis::write_initialize_complete(
          rndis::initialize_complete(req->req_id, st::kSuccess, kMaxPacketsPerMessage, kMaxTransferSize, kAlignmentFactor),
          reply));
    }
    case rndis::MessageType::halt:
      initialized_ = false;  // no completion (MS-RNDIS REMOTE_NDIS_HALT_MSG)
      return 0;
    case rndis::MessageType::reset:
      if (!rndis::parse_body<rndis::ResetRequest>(m)) return 0;
      filter_ = 0;
      multicast_count_ = 0;
      return written(rndis::write_reset_complete(st::kSuccess, 1, reply));
    case rndis::MessageType::keepalive: {
      auto req = rndis::parse_body<rndis::KeepaliveRequest>(m);
      return req ? written(rndis::write_keepalive_complete(req->req_id, st::kSuccess, reply)) : 0;
    }
    case rndis::MessageType::query: {
      auto req = rndis::parse_query_request(m);
      if (!req) {
        // A request id is there if the fixed part is: answer INVALID_DATA.
        auto fixed = rndis::parse_body<rndis::QueryRequest>(m);
        return fixed ? written(rndis::write_query_complete(fixed->req_id, st::kInvalidData, {}, reply)) : 0;
      }
      return query(req->req_id, ndis::raw(req->oid), req->info, reply, nvsp_version, queues, unsupported);
    }
    case rndis::MessageType::set: {
      auto req = rndis::parse_set_request(m);
      if (!req) {
        auto fixed = rndis::parse_body<rndis::SetRequest>(m);
        return fixed ? written(rndis::write_set_complete(fixed->req_id, st::kInvalidData, reply)) : 0;
      }
      return set(req->req_id, ndis::raw(req->oid), req->info, reply, unsupported);
    }
    default:
      return 0;
  }
}

std::uint32_t RndisDevice::query(std::uint32_t id, std::uint32_t oid, std::span<const std::byte> info,
                                 std::span<std::byte> reply, std::uint32_t nvsp_version, std::uint32_t queues,
                                 bool& unsupported) noexcept {
  auto answer = [&](std::span<const std::byte> value) {
    return written(rndis::write_query_complete(id, st::kSuccess, value, reply));
  };
  auto u32 = [&](std::uint32_t v) { return answer(bytes_of(v)); };
  switch (static_cast<Oid>(oid)) {
    case Oid::gen_maximum_frame_size: return u32(mtu_);  // without the Ethernet header (rndis_filter_query_device_mtu)
    case Oid::gen_link_speed: {
      const std::uint64_t units = link_speed_mbps * 10'000;  // 100 bps units
      return u32(units > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(units));
    }
    case Oid::gen_media_connect_status: return u32(link_up ? ndis::kMediaStateConnected : ndis::kMediaStateDisconnected);
    case Oid::ieee802_3_permanent_address: return answer(bytes_of(permanent_));
    case Oid::ieee802_3_current_address: return answer(bytes_of(current_));
    case Oid::gen_current_packet_filter: return u32(filter_);
    case Oid::gen_vendor_driver_version: return u32(kVendorDriverVersion);
    case Oid::gen_mac_options:
      return u32(ndis::kMacOptionCopyLookaheadData | ndis::kMacOptionTransfersNotPend | ndis::kMacOptionNoLoopback |
                 ndis::kMacOptionFullDuplex);
    case Oid::ieee802_3_maximum_list_size: return u32(kMaxMulticast);
    case Oid::ieee802_3_multicast_list:
      return answer(std::as_bytes(std::span(multicast_).first(multicast_count_)));
    case Oid::tcp_offload_hardware_capabilities: {
      // The size and revision of the guest's NDIS version (rndis_query_hwcaps
      // accepts any from 6.0 up): IPv4/IPv6 TCP and UDP checksums both ways,
      // no LSO (hvsim does not segment) and no RSC.
      ndis::Offload caps{};
      const ndis::ObjectHeader h = ndis::offload_query_header(static_cast<nvsp::Version>(nvsp_version));
      caps.header = {ndis::kObjectTypeOffload, h.revision, h.size};
      const std::uint32_t v4 = ndis::kCsumCapIp4 | ndis::kCsumCapTcp4 | ndis::kCsumCapUdp4;
      const std::uint32_t v6 = ndis::kCsumCapTcp6 | ndis::kCsumCapUdp6;
      caps.csum = {ndis::kEncap8023, v4, ndis::kEncap8023, v4, ndis::kEncap8023, v6, ndis::kEncap8023, v6};
      (void)info;
      return answer(bytes_of(caps).first(h.size));
    }
    case Oid::gen_receive_scale_capabilities: {
      // Linux and DPDK cap their queues at num_recv_que (rndis_filter_device_add; hn_rndis_query_rsscaps).
      ndis::RssCapabilities caps{};
      caps.header = {ndis::kObjectTypeRssCapabilities, ndis::kRssCapabilitiesRevision2, ndis::kRssCapabilitiesSize};
      caps.cap_flag = ndis::kRssCapHashTypeTcpIpv4 | ndis::kRssCapHashTypeTcpIpv6;
      caps.num_int_msg = queues;
      caps.num_recv_que = queues;
      caps.num_indirect_tabent = ndis::kRssTableMaxEntries;
      return answer(bytes_of(caps));
    }
    default:
      unsupported = true;
      return written(rndis::write_query_complete(id, st::kNotSupported, {}, reply));
  }
}

std::uint32_t RndisDevice::set(std::uint32_t id, std::uint32_t oid, std::span<const std::byte> info,
                               std::span<std::byte> reply, bool& unsupported) noexcept {
  std::uint32_t status = st::kSuccess;
  switch (static_cast<Oid>(oid)) {
    case Oid::gen_current_packet_filter:
      if (info.size() < 4) status = st::kInvalidLength;
      else filter_ = ::netvsc::wire::load<std::uint32_t>(info);
      break;
    case Oid::tcp_offload_parameters:
      if (auto p = ndis::parse_offload_parameters(info)) offload_ = *p;
      else status = st::kInvalidData;
      break;
    case Oid::gen_receive_scale_parameters:
      if (auto p = ndis::parse_rss_parameters(info)) {
        // A table entry names a channel: at most 64 (VRSS_CHANNEL_MAX).
        for (std::uint32_t q : p->table()) {
          if (q >= 64) status = st::kInvalidData;
        }
        if (status == st::kSuccess) rss_.set(*p);
      } else {
        status = st::kInvalidData;
      }
      break;
    case Oid::ieee802_3_multicast_list:
      if (info.size() % 6 != 0 || info.size() / 6 > kMaxMulticast) {
        status = st::kInvalidLength;  // NDIS_STATUS_MULTICAST_FULL in spirit
      } else {
        multicast_count_ = static_cast<std::uint32_t>(info.size() / 6);
        std::memcpy(multicast_.data(), info.data(), info.size());
      }
      break;
    case Oid::gen_rndis_config_parameter:
      status = set_config_parameter(info);
      break;
    default:
      unsupported = true;
      status = st::kNotSupported;
      break;
  }
  return written(rndis::write_set_complete(id, status, reply));
}

// Linux changes the MAC with {"NetworkAddress", 12 hex digits} in UTF-16LE
// (rndis_filter_set_device_mac). Other parameters are accepted and ignored.
std::uint32_t RndisDevice::set_config_parameter(std::span<const std::byte> info) noexcept {
  if (info.size() < sizeof(ndis::ConfigParameterInfo)) return st::kInvalidLength;
  const auto p = ::netvsc::wire::load<ndis::ConfigParameterInfo>(info);
  if (!::netvsc::wire::fits(p.parameter_name_offset, p.parameter_name_length, info.size()) ||
      !::netvsc::wire::fits(p.parameter_value_offset, p.parameter_value_length, info.size())) {
    return st::kInvalidData;
  }
  auto ascii = [&](std::uint32_t offset, std::uint32_t length, char* out, std::size_t max) -> std::size_t {
    const std::size_t n = length / 2;
    if (n > max) return max + 1;
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = ::netvsc::wire::load<std::uint16_t>(info, offset + 2 * i);
      out[i] = c < 0x80 ? static_cast<char>(c) : '?';
    }
    return n;
  };
  char name[32], value[32];
  const std::size_t name_len = ascii(p.parameter_name_offset, p.parameter_name_length, name, sizeof name);
  if (name_len != 14 || std::memcmp(name, "NetworkAddress", 14) != 0) return st::kSuccess;
  if (p.parameter_type != ndis::kConfigParamTypeString) return st::kInvalidData;
  if (ascii(p.parameter_value_offset, p.parameter_value_length, value, sizeof value) != 12) return st::kInvalidData;
  std::array<std::uint8_t, 6> mac{};
  for (std::size_t i = 0; i < 12; ++i) {
    const char c = value[i];
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return st::kInvalidData;
    mac[i / 2] = static_cast<std::uint8_t>(mac[i / 2] << 4 | d);
  }
  if ((mac[0] & 1u) != 0) return st::kInvalidData;  // a multicast address cannot be the NIC's
  current_ = mac;
  return st::kSuccess;
}

bool RndisDevice::accepts(std::span<const std::byte> frame) const noexcept {
  if (frame.size() < 14) return false;
  if ((filter_ & ndis::kPacketTypePromiscuous) != 0) return true;
  const auto* dst = reinterpret_cast<const std::uint8_t*>(frame.data());
  if ((dst[0] & 1u) == 0) {
    return (filter_ & ndis::kPacketTypeDirected) != 0 && std::memcmp(dst, current_.data(), 6) == 0;
  }
  static constexpr std::uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  if (std::memcmp(dst, kBroadcast, 6) == 0) return (filter_ & ndis::kPacketTypeBroadcast) != 0;
  if ((filter_ & ndis::kPacketTypeAllMulticast) != 0) return true;
  if ((filter_ & ndis::kPacketTypeMulticast) == 0) return false;
  for (std::uint32_t i = 0; i < multicast_count_; ++i) {
    if (std::memcmp(dst, multicast_[i].data(), 6) == 0) return true;
  }
  return false;
}

}  // namespace hvsim::netvsc
