// File: netvsc/protocol/nvsp.h
//
// NVSP, the Network VSP protocol: the messages a synthetic NIC's guest (VSC)
// and host (VSP) exchange inband on the VMBus channel, versions 1 to 6.1.
// Layouts are struct nvsp_message and its unions in Linux's
// drivers/net/hyperv/hyperv_net.h (cross-checked with DPDK's
// drivers/net/netvsc/hn_nvs.h and OpenVMM's netvsp/src/protocol.rs). Every
// struct here is the part after the 4-byte header `u32 msg_type`; each names
// its own type in `kType`. Encoding and parsing live in nvsp_codec.h.
//
// Message size. struct nvsp_message is a u32 header plus a union of all
// bodies; since the v6 PacketDirect bodies (nvsp_6_pd_api_comp, 36 bytes)
// joined the union, sizeof is 40, and Linux sends every request as
// sizeof(struct nvsp_message) bytes whatever the body (netvsc.c:
// vmbus_sendpacket(..., sizeof(struct nvsp_message), ...)). Before v6 the
// union's largest member was send_recv_buf_complete (24 bytes): 28 = 0x1c,
// which the host's own protocol still calls NVSP_PACKET_SIZE_V1, with 0x28
// for 6.1 (OpenVMM protocol.rs: PACKET_SIZE_V1/V61). Hyper-V does not answer
// shorter requests: FreeBSD's if_hnreg.h pads every request to
// HN_NVS_REQSIZE_MIN = 32 because with fewer bytes (e.g. a 12-byte INIT)
// "Hypervisor would never reply"; 32 is 28 rounded up to VMBus's 8-byte
// packet granularity. Sending 40 bytes always satisfies every host and matches
// Linux and DPDK (hn_nvs.h pads each request struct to 40). The one message
// Linux sends shorter is the receive completion {108, status}, 8 bytes, as a
// VMBus completion packet (send_recv_completions), which gets no reply.
//
// Usage:
//   netvsc::nvsp::Message m = netvsc::nvsp::encode(netvsc::nvsp::Init{raw(v), raw(v)});
//   tx.write(vmbus::packet::inband(m.bytes(), id, /*completion_requested=*/true));
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace netvsc::nvsp {

// NVSP_PROTOCOL_VERSION_* (hyperv_net.h): (major << 16) | minor, so 6.1 is
// 0x60001; version 1 is "0.2" and version 2 is "3.2".
enum class Version : std::uint32_t {
  v1 = 0x00002,
  v2 = 0x30002,
  v4 = 0x40000,
  v5 = 0x50000,
  v6 = 0x60000,
  v61 = 0x60001,
};
// The order a guest offers them in (netvsc_connect_vsp, DPDK hn_nvs_version[]):
// newest first, one INIT per version until the host accepts.
inline constexpr std::array<Version, 6> kVersionsNewestFirst{Version::v61, Version::v6, Version::v5,
                                                             Version::v4,  Version::v2, Version::v1};
inline constexpr std::uint32_t kInvalidProtocolVersion = 0xffffffffu;  // NVSP_INVALID_PROTOCOL_VERSION

constexpr std::uint32_t raw(Version v) noexcept { return static_cast<std::uint32_t>(v); }
constexpr bool at_least(Version v, Version floor) noexcept { return raw(v) >= raw(floor); }

// NDIS versions the guest announces in SEND_NDIS_VER: 6.1 up to NVSP 4,
// 6.30 after (netvsc_connect_vsp; DPDK NDIS_VERSION_6_1/6_30).
inline constexpr std::uint32_t kNdisVersion6_1 = 0x00060001;
inline constexpr std::uint32_t kNdisVersion6_20 = 0x00060014;
inline constexpr std::uint32_t kNdisVersion6_30 = 0x0006001e;
constexpr std::uint32_t ndis_version_for(Version v) noexcept {
  return at_least(v, Version::v5) ? kNdisVersion6_30 : kNdisVersion6_1;
}

// Message types (the anonymous enum in hyperv_net.h). Each version's block
// starts where the previous one ended.
enum class MessageType : std::uint32_t {
  none = 0,
  init = 1,
  init_complete = 2,
  // Version 1.
  send_ndis_version = 100,
  send_receive_buffer = 101,
  send_receive_buffer_complete = 102,
  revoke_receive_buffer = 103,
  send_send_buffer = 104,
  send_send_buffer_complete = 105,
  revoke_send_buffer = 106,
  send_rndis_packet = 107,
  send_rndis_packet_complete = 108,
  // Version 2 (chimney offload and VMQ messages are obsolete; listed to name them).
  send_chimney_delegated_buffer = 109,
  send_chimney_delegated_buffer_complete = 110,
  revoke_chimney_delegated_buffer = 111,
  resume_chimney_rx_indication = 112,
  terminate_chimney = 113,
  terminate_chimney_complete = 114,
  indicate_chimney_event = 115,
  send_chimney_packet = 116,
  send_chimney_packet_complete = 117,
  post_chimney_recv_request = 118,
  post_chimney_recv_request_complete = 119,
  alloc_receive_buffer = 120,
  alloc_receive_buffer_complete = 121,
  free_receive_buffer = 122,
  send_vmq_rndis_packet = 123,
  send_vmq_rndis_packet_complete = 124,
  send_ndis_config = 125,
  alloc_chimney_handle = 126,
  alloc_chimney_handle_complete = 127,
  // Version 4.
  send_vf_association = 128,
  switch_data_path = 129,
  uplink_connect_state_deprecated = 130,
  // Version 5.
  oid_query_ex = 131,
  oid_query_ex_complete = 132,
  subchannel = 133,  // request and completion share the type
  send_indirection_table = 134,
  // Version 6 (PacketDirect; not used by Linux or DPDK).
  pd_api = 135,
  pd_post_batch = 136,
};

// NVSP_STAT_* (the status field of every *_complete body).
enum class Status : std::uint32_t {
  none = 0,
  success = 1,
  failure = 2,
  protocol_too_new = 3,
  protocol_too_old = 4,
  invalid_rndis_packet = 5,
  busy = 6,
  protocol_unsupported = 7,
};

// Sizes (see the file comment).
inline constexpr std::uint32_t kHeaderSize = 4;        // struct nvsp_message_header
inline constexpr std::uint32_t kMessageSize = 40;      // sizeof(struct nvsp_message)
inline constexpr std::uint32_t kPacketSizeV1 = 0x1c;   // NVSP_PACKET_SIZE_V1: the union before v6
inline constexpr std::uint32_t kPacketSizeV61 = 0x28;  // NVSP_PACKET_SIZE_V61
// Requests shorter than this get no reply from Hyper-V (FreeBSD HN_NVS_REQSIZE_MIN).
inline constexpr std::uint32_t kHostMinimumRequestSize = 32;

// Buffer ids and sizes (hyperv_net.h NETVSC_*; DPDK hn_nvs.h NVS_*_SIG).
inline constexpr std::uint16_t kReceiveBufferId = 0xcafe;  // also the transfer-page pageset id
inline constexpr std::uint16_t kSendBufferIdLinux = 0;     // NETVSC_SEND_BUFFER_ID
inline constexpr std::uint16_t kSendBufferIdDpdk = 0xface;  // NVS_CHIM_SIG; hosts accept either
inline constexpr std::uint32_t kReceiveBufferDefault = 16u << 20;
inline constexpr std::uint32_t kReceiveBufferMax = 31u << 20;        // NETVSC_RECEIVE_BUFFER_SIZE
inline constexpr std::uint32_t kReceiveBufferMaxLegacy = 15u << 20;  // NVSP <= 2
inline constexpr std::uint32_t kSendBufferDefault = 1u << 20;
inline constexpr std::uint32_t kSendBufferMax = 15u << 20;
inline constexpr std::uint32_t kSendSectionSize = 6144;  // what hosts answer; the VSP chooses
inline constexpr std::uint32_t kRecvSectionSize = 1728;
// send_buf_section_index meaning "no send-buffer section: the data is in GPA ranges".
inline constexpr std::uint32_t kSendSectionIndexNone = 0xffffffffu;
// Most ranges in one transfer-page packet: 375, or 562 with RSC (NVSP_RSC_MAX).
inline constexpr std::uint32_t kMaxTransferPageRanges = 562;
// VRSS_SEND_TAB_SIZE: entries in the host's send indirection table.
inline constexpr std::uint32_t kSendIndirectionTableEntries = 16;

// nvsp_1_message_send_rndis_packet.channel_type (NVS_RNDIS_MTYPE_*).
enum class ChannelType : std::uint32_t { data = 0, control = 1 };
// enum nvsp_subchannel_operation.
inline constexpr std::uint32_t kSubchannelAllocate = 1;
// enum nvsp_vm_datapath.
enum class DataPath : std::uint32_t { synthetic = 0, vf = 1 };

// The wire value of each enum above.
constexpr std::uint32_t raw(MessageType t) noexcept { return static_cast<std::uint32_t>(t); }
constexpr std::uint32_t raw(Status s) noexcept { return static_cast<std::uint32_t>(s); }
constexpr std::uint32_t raw(ChannelType c) noexcept { return static_cast<std::uint32_t>(c); }
constexpr std::uint32_t raw(DataPath d) noexcept { return static_cast<std::uint32_t>(d); }

// struct nvsp_2_vsc_capability bits (hyperv_net.h; DPDK NVS_NDIS_CONF_*).
inline constexpr std::uint64_t kCapVmq = 1ull << 0;
inline constexpr std::uint64_t kCapChimney = 1ull << 1;
inline constexpr std::uint64_t kCapSriov = 1ull << 2;
inline constexpr std::uint64_t kCapIeee8021q = 1ull << 3;
inline constexpr std::uint64_t kCapCorrelationId = 1ull << 4;
inline constexpr std::uint64_t kCapTeaming = 1ull << 5;  // "needed to receive link speed updates"
inline constexpr std::uint64_t kCapVirtualSubnetId = 1ull << 6;
inline constexpr std::uint64_t kCapRsc = 1ull << 7;
inline constexpr std::uint64_t kCapTimestamp = 1ull << 8;
inline constexpr std::uint64_t kCapReliableCorrelationId = 1ull << 9;
inline constexpr std::uint64_t kCapAllowRscDisabledStatus = 1ull << 10;

// The capabilities Linux announces (negotiate_nvsp_ver): 802.1Q and
// AllowRscDisabledStatus always, SR-IOV and teaming from v5, RSC from 6.1.
constexpr std::uint64_t linux_capabilities(Version v) noexcept {
  std::uint64_t caps = kCapIeee8021q | kCapAllowRscDisabledStatus;
  if (at_least(v, Version::v5)) caps |= kCapSriov | kCapTeaming;
  if (at_least(v, Version::v61)) caps |= kCapRsc;
  return caps;
}

// --- Bodies. Offsets are within the body; add 4 for the message. ---

// struct nvsp_message_init. Linux and DPDK send min == max.
struct [[gnu::packed]] Init {
  static constexpr MessageType kType = MessageType::init;
  std::uint32_t min_protocol_ver;
  std::uint32_t max_protocol_ver;
};
static_assert(offsetof(Init, min_protocol_ver) == 0);
static_assert(offsetof(Init, max_protocol_ver) == 4);
static_assert(sizeof(Init) == 8);

// struct nvsp_message_init_complete (the host's completion to INIT).
struct [[gnu::packed]] InitComplete {
  static constexpr MessageType kType = MessageType::init_complete;
  std::uint32_t negotiated_protocol_ver;  // deprecated; hosts may leave it 0
  std::uint32_t max_mdl_chain_len;
  std::uint32_t status;  // Status
};
static_assert(offsetof(InitComplete, negotiated_protocol_ver) == 0);
static_assert(offsetof(InitComplete, max_mdl_chain_len) == 4);
static_assert(offsetof(InitComplete, status) == 8);
static_assert(sizeof(InitComplete) == 12);

// struct nvsp_1_message_send_ndis_version. No reply.
struct [[gnu::packed]] SendNdisVersion {
  static constexpr MessageType kType = MessageType::send_ndis_version;
  std::uint32_t ndis_major_ver;
  std::uint32_t ndis_minor_ver;
};
static_assert(offsetof(SendNdisVersion, ndis_major_ver) == 0);
static_assert(offsetof(SendNdisVersion, ndis_minor_ver) == 4);
static_assert(sizeof(SendNdisVersion) == 8);

constexpr SendNdisVersion ndis_version_message(Version v) noexcept {
  const std::uint32_t ndis = ndis_version_for(v);
  return {ndis >> 16, ndis & 0xffffu};
}

// struct nvsp_1_message_send_receive_buffer (packed: 6 bytes).
struct [[gnu::packed]] SendReceiveBuffer {
  static constexpr MessageType kType = MessageType::send_receive_buffer;
  std::uint32_t gpadl_handle;
  std::uint16_t id;  // kReceiveBufferId
};
static_assert(offsetof(SendReceiveBuffer, gpadl_handle) == 0);
static_assert(offsetof(SendReceiveBuffer, id) == 4);
static_assert(sizeof(SendReceiveBuffer) == 6);

// struct nvsp_1_receive_buffer_section.
struct [[gnu::packed]] ReceiveBufferSection {
  std::uint32_t offset;
  std::uint32_t sub_alloc_size;  // the receive section size (1728 on Hyper-V)
  std::uint32_t num_sub_allocs;
  std::uint32_t end_offset;
};
static_assert(offsetof(ReceiveBufferSection, offset) == 0);
static_assert(offsetof(ReceiveBufferSection, sub_alloc_size) == 4);
static_assert(offsetof(ReceiveBufferSection, num_sub_allocs) == 8);
static_assert(offsetof(ReceiveBufferSection, end_offset) == 12);
static_assert(sizeof(ReceiveBufferSection) == 16);

// struct nvsp_1_message_send_receive_buffer_complete. Every VSP sends exactly
// one section (Linux and DPDK reject anything else).
struct [[gnu::packed]] SendReceiveBufferComplete {
  static constexpr MessageType kType = MessageType::send_receive_buffer_complete;
  std::uint32_t status;
  std::uint32_t num_sections;
  ReceiveBufferSection sections[1];
};
static_assert(offsetof(SendReceiveBufferComplete, status) == 0);
static_assert(offsetof(SendReceiveBufferComplete, num_sections) == 4);
static_assert(offsetof(SendReceiveBufferComplete, sections) == 8);
static_assert(sizeof(SendReceiveBufferComplete) == 24);  // the v1..v5 union maximum: 4 + 24 = 0x1c

// struct nvsp_1_message_revoke_receive_buffer.
struct [[gnu::packed]] RevokeReceiveBuffer {
  static constexpr MessageType kType = MessageType::revoke_receive_buffer;
  std::uint16_t id;
};
static_assert(offsetof(RevokeReceiveBuffer, id) == 0);
static_assert(sizeof(RevokeReceiveBuffer) == 2);

// struct nvsp_1_message_send_send_buffer.
struct [[gnu::packed]] SendSendBuffer {
  static constexpr MessageType kType = MessageType::send_send_buffer;
  std::uint32_t gpadl_handle;
  std::uint16_t id;  // 0 from Linux, 0xface from DPDK
};
static_assert(offsetof(SendSendBuffer, gpadl_handle) == 0);
static_assert(offsetof(SendSendBuffer, id) == 4);
static_assert(sizeof(SendSendBuffer) == 6);

// struct nvsp_1_message_send_send_buffer_complete. The guest picks the
// buffer size, the host the section size.
struct [[gnu::packed]] SendSendBufferComplete {
  static constexpr MessageType kType = MessageType::send_send_buffer_complete;
  std::uint32_t status;
  std::uint32_t section_size;
};
static_assert(offsetof(SendSendBufferComplete, status) == 0);
static_assert(offsetof(SendSendBufferComplete, section_size) == 4);
static_assert(sizeof(SendSendBufferComplete) == 8);

// struct nvsp_1_message_revoke_send_buffer.
struct [[gnu::packed]] RevokeSendBuffer {
  static constexpr MessageType kType = MessageType::revoke_send_buffer;
  std::uint16_t id;
};
static_assert(offsetof(RevokeSendBuffer, id) == 0);
static_assert(sizeof(RevokeSendBuffer) == 2);

// struct nvsp_1_message_send_rndis_packet: one RNDIS message travels with
// it, either in send-buffer section `send_buf_section_index` (the "chimney",
// sent inband) or in GPA ranges of the same packet (type 9) with the index
// kSendSectionIndexNone and size 0. The host sends it on receive with a
// transfer-page packet (type 7), one RNDIS message per range.
struct [[gnu::packed]] SendRndisPacket {
  static constexpr MessageType kType = MessageType::send_rndis_packet;
  std::uint32_t channel_type;  // ChannelType
  std::uint32_t send_buf_section_index;
  std::uint32_t send_buf_section_size;  // bytes used in the section
};
static_assert(offsetof(SendRndisPacket, channel_type) == 0);
static_assert(offsetof(SendRndisPacket, send_buf_section_index) == 4);
static_assert(offsetof(SendRndisPacket, send_buf_section_size) == 8);
static_assert(sizeof(SendRndisPacket) == 12);

// struct nvsp_1_message_send_rndis_packet_complete: the payload of the VMBus
// completion to SEND_RNDIS_PKT, in both directions.
struct [[gnu::packed]] SendRndisPacketComplete {
  static constexpr MessageType kType = MessageType::send_rndis_packet_complete;
  std::uint32_t status;
};
static_assert(offsetof(SendRndisPacketComplete, status) == 0);
static_assert(sizeof(SendRndisPacketComplete) == 4);

// struct nvsp_2_send_ndis_config. No reply.
struct [[gnu::packed]] SendNdisConfig {
  static constexpr MessageType kType = MessageType::send_ndis_config;
  std::uint32_t mtu;  // the MTU plus the 14-byte Ethernet header
  std::uint32_t reserved;
  std::uint64_t capability;  // kCap* bits
};
static_assert(offsetof(SendNdisConfig, mtu) == 0);
static_assert(offsetof(SendNdisConfig, reserved) == 4);
static_assert(offsetof(SendNdisConfig, capability) == 8);
static_assert(sizeof(SendNdisConfig) == 16);

// struct nvsp_4_send_vf_association (host -> guest notification).
struct [[gnu::packed]] SendVfAssociation {
  static constexpr MessageType kType = MessageType::send_vf_association;
  std::uint32_t allocated;  // 1: a VF with `serial` is there to team with
  std::uint32_t serial;
};
static_assert(offsetof(SendVfAssociation, allocated) == 0);
static_assert(offsetof(SendVfAssociation, serial) == 4);
static_assert(sizeof(SendVfAssociation) == 8);

// struct nvsp_4_sw_datapath.
struct [[gnu::packed]] SwitchDataPath {
  static constexpr MessageType kType = MessageType::switch_data_path;
  std::uint32_t active_datapath;  // DataPath
};
static_assert(offsetof(SwitchDataPath, active_datapath) == 0);
static_assert(sizeof(SwitchDataPath) == 4);

// struct nvsp_5_subchannel_request.
struct [[gnu::packed]] SubchannelRequest {
  static constexpr MessageType kType = MessageType::subchannel;
  std::uint32_t op;  // kSubchannelAllocate
  std::uint32_t num_subchannels;
};
static_assert(offsetof(SubchannelRequest, op) == 0);
static_assert(offsetof(SubchannelRequest, num_subchannels) == 4);
static_assert(sizeof(SubchannelRequest) == 8);

// struct nvsp_5_subchannel_complete (same type, 133, as the request).
struct [[gnu::packed]] SubchannelComplete {
  static constexpr MessageType kType = MessageType::subchannel;
  std::uint32_t status;
  std::uint32_t num_subchannels;  // how many the host actually allocated
};
static_assert(offsetof(SubchannelComplete, status) == 0);
static_assert(offsetof(SubchannelComplete, num_subchannels) == 4);
static_assert(sizeof(SubchannelComplete) == 8);

// struct nvsp_5_send_indirect_table: `count` u32 channel numbers at `offset`
// bytes from the start of the nvsp_message (see parse_send_indirection_table
// for the host bug about that offset).
struct [[gnu::packed]] SendIndirectionTable {
  static constexpr MessageType kType = MessageType::send_indirection_table;
  std::uint32_t count;
  std::uint32_t offset;
};
static_assert(offsetof(SendIndirectionTable, count) == 0);
static_assert(offsetof(SendIndirectionTable, offset) == 4);
static_assert(sizeof(SendIndirectionTable) == 8);

// The largest body defines the message size (see the file comment): the v6
// union is 36 bytes, so 4 + 36 = 40.
static_assert(kHeaderSize + sizeof(SendReceiveBufferComplete) == kPacketSizeV1);
static_assert(kMessageSize == kPacketSizeV61);

}  // namespace netvsc::nvsp
