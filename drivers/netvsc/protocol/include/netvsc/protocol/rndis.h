// File: netvsc/protocol/rndis.h
//
// RNDIS, the Remote NDIS message set netvsc carries over NVSP (one message
// per SEND_RNDIS_PKT; control messages on channel type 1, packets on 0).
// Layouts from MS-RNDIS (the REMOTE_NDIS_*_MSG and *_CMPLT pages) and
// Linux's drivers/net/hyperv/hyperv_net.h (struct rndis_message and the
// structs of its union), cross-checked with DPDK's drivers/net/netvsc/rndis.h.
// Every message is
//
//   +0 u32 ndis_msg_type | +4 u32 msg_len (whole message) | +8 body...
//
// and every offset inside a body (data, OOB, per-packet info, information
// and status buffers) counts from +8, the body's start, never from the
// message start (MS-RNDIS: "from the start of the DataOffset field", "from
// the beginning of the RequestId field"; DPDK RNDIS_PACKET_MSG_OFFSET_ABS).
// Structs here are the bodies; framing is in rndis_message.h, the data path
// in rndis_packet.h, control messages in rndis_control.h.
//
// Usage:
//   if (header.ndis_msg_type == raw(netvsc::rndis::MessageType::query_complete)) ...
#pragma once

#include <cstddef>
#include <cstdint>

namespace netvsc::rndis {

// MS-RNDIS message types / include/linux/rndis.h RNDIS_MSG_*. Completions are
// the request type | 0x80000000.
inline constexpr std::uint32_t kCompletionBit = 0x80000000u;
enum class MessageType : std::uint32_t {
  packet = 0x00000001,
  initialize = 0x00000002,
  initialize_complete = 0x80000002,
  halt = 0x00000003,  // no completion
  query = 0x00000004,
  query_complete = 0x80000004,
  set = 0x00000005,
  set_complete = 0x80000005,
  reset = 0x00000006,
  reset_complete = 0x80000006,
  indicate_status = 0x00000007,  // device -> host only, no completion
  keepalive = 0x00000008,
  keepalive_complete = 0x80000008,
};
constexpr std::uint32_t raw(MessageType t) noexcept { return static_cast<std::uint32_t>(t); }

// RNDIS/NDIS status codes (include/linux/rndis.h RNDIS_STATUS_*; ntddndis.h).
// The completion status of a request, or the event of an INDICATE_STATUS.
namespace status {
inline constexpr std::uint32_t kSuccess = 0x00000000;
inline constexpr std::uint32_t kPending = 0x00000103;
inline constexpr std::uint32_t kBufferOverflow = 0x80000005;
inline constexpr std::uint32_t kFailure = 0xc0000001;
inline constexpr std::uint32_t kResources = 0xc000009a;
inline constexpr std::uint32_t kNotSupported = 0xc00000bb;
inline constexpr std::uint32_t kInvalidLength = 0xc0010014;
inline constexpr std::uint32_t kInvalidData = 0xc0010015;
inline constexpr std::uint32_t kBufferTooShort = 0xc0010016;
inline constexpr std::uint32_t kInvalidOid = 0xc0010017;
inline constexpr std::uint32_t kAdapterNotReady = 0xc0010011;
// Indications (INDICATE_STATUS.status).
inline constexpr std::uint32_t kMediaConnect = 0x4001000b;
inline constexpr std::uint32_t kMediaDisconnect = 0x4001000c;
inline constexpr std::uint32_t kMediaSpecificIndication = 0x40010012;
inline constexpr std::uint32_t kLinkSpeedChange = 0x40010013;  // buffer: u32 speed in 100 bps units
inline constexpr std::uint32_t kNetworkChange = 0x40010018;
inline constexpr std::uint32_t kTaskOffloadCurrentConfig = 0x40020006;
}  // namespace status

// RNDIS_MAJOR_VERSION / RNDIS_MINOR_VERSION: what the guest sends in INITIALIZE.
inline constexpr std::uint32_t kVersionMajor = 1;
inline constexpr std::uint32_t kVersionMinor = 0;
// The max_xfer_size Linux and DPDK ask for (rndis_filter_init_device; HN_RNDIS_XFER_SIZE).
inline constexpr std::uint32_t kGuestMaxTransferSize = 0x4000;
// RNDIS_DF_CONNECTIONLESS and NDIS_MEDIUM_802_3 (MS-RNDIS REMOTE_NDIS_INITIALIZE_CMPLT).
inline constexpr std::uint32_t kDeviceFlagConnectionless = 0x00000001;
inline constexpr std::uint32_t kMedium802_3 = 0x00000000;

// struct rndis_message minus the union: what every message starts with.
struct [[gnu::packed]] MessageHeader {
  std::uint32_t ndis_msg_type;
  std::uint32_t msg_len;
};
static_assert(offsetof(MessageHeader, ndis_msg_type) == 0);
static_assert(offsetof(MessageHeader, msg_len) == 4);
static_assert(sizeof(MessageHeader) == 8);
inline constexpr std::uint32_t kHeaderSize = sizeof(MessageHeader);  // RNDIS_HEADER_SIZE

// struct rndis_initialize_request (REMOTE_NDIS_INITIALIZE_MSG).
struct [[gnu::packed]] InitializeRequest {
  static constexpr MessageType kType = MessageType::initialize;
  std::uint32_t req_id;
  std::uint32_t major_ver;
  std::uint32_t minor_ver;
  std::uint32_t max_xfer_size;
};
static_assert(offsetof(InitializeRequest, req_id) == 0);
static_assert(offsetof(InitializeRequest, major_ver) == 4);
static_assert(offsetof(InitializeRequest, minor_ver) == 8);
static_assert(offsetof(InitializeRequest, max_xfer_size) == 12);
static_assert(sizeof(InitializeRequest) == 16);

// struct rndis_initialize_complete (REMOTE_NDIS_INITIALIZE_CMPLT). The guest takes
// max_pkt_per_msg, max_xfer_size and 1 << pkt_alignment_factor as its limits
// for packing several packets into one send-buffer section (DPDK hn_rndis_init).
struct [[gnu::packed]] InitializeComplete {
  static constexpr MessageType kType = MessageType::initialize_complete;
  std::uint32_t req_id;
  std::uint32_t status;
  std::uint32_t major_ver;
  std::uint32_t minor_ver;
  std::uint32_t dev_flags;
  std::uint32_t medium;
  std::uint32_t max_pkt_per_msg;
  std::uint32_t max_xfer_size;
  std::uint32_t pkt_alignment_factor;
  std::uint32_t af_list_offset;
  std::uint32_t af_list_size;
};
static_assert(offsetof(InitializeComplete, req_id) == 0);
static_assert(offsetof(InitializeComplete, status) == 4);
static_assert(offsetof(InitializeComplete, major_ver) == 8);
static_assert(offsetof(InitializeComplete, minor_ver) == 12);
static_assert(offsetof(InitializeComplete, dev_flags) == 16);
static_assert(offsetof(InitializeComplete, medium) == 20);
static_assert(offsetof(InitializeComplete, max_pkt_per_msg) == 24);
static_assert(offsetof(InitializeComplete, max_xfer_size) == 28);
static_assert(offsetof(InitializeComplete, pkt_alignment_factor) == 32);
static_assert(offsetof(InitializeComplete, af_list_offset) == 36);
static_assert(offsetof(InitializeComplete, af_list_size) == 40);
static_assert(sizeof(InitializeComplete) == 44);
// DPDK's RNDIS_INIT_COMP_SIZE_MIN: a completion may stop before af_list_size.
inline constexpr std::uint32_t kInitializeCompleteMinSize = kHeaderSize + offsetof(InitializeComplete, af_list_size);

// struct rndis_halt_request (REMOTE_NDIS_HALT_MSG). No completion.
struct [[gnu::packed]] HaltRequest {
  static constexpr MessageType kType = MessageType::halt;
  std::uint32_t req_id;
};
static_assert(offsetof(HaltRequest, req_id) == 0);
static_assert(sizeof(HaltRequest) == 4);

// struct rndis_query_request (REMOTE_NDIS_QUERY_MSG); SET has the same layout. The
// information buffer follows the struct: info_buf_offset = 20, from +8.
struct [[gnu::packed]] QueryRequest {
  static constexpr MessageType kType = MessageType::query;
  std::uint32_t req_id;
  std::uint32_t oid;
  std::uint32_t info_buflen;
  std::uint32_t info_buf_offset;
  std::uint32_t dev_vc_handle;
};
static_assert(offsetof(QueryRequest, req_id) == 0);
static_assert(offsetof(QueryRequest, oid) == 4);
static_assert(offsetof(QueryRequest, info_buflen) == 8);
static_assert(offsetof(QueryRequest, info_buf_offset) == 12);
static_assert(offsetof(QueryRequest, dev_vc_handle) == 16);
static_assert(sizeof(QueryRequest) == 20);

// struct rndis_set_request (REMOTE_NDIS_SET_MSG).
struct [[gnu::packed]] SetRequest {
  static constexpr MessageType kType = MessageType::set;
  std::uint32_t req_id;
  std::uint32_t oid;
  std::uint32_t info_buflen;
  std::uint32_t info_buf_offset;
  std::uint32_t dev_vc_handle;
};
static_assert(offsetof(SetRequest, req_id) == 0);
static_assert(offsetof(SetRequest, oid) == 4);
static_assert(offsetof(SetRequest, info_buflen) == 8);
static_assert(offsetof(SetRequest, info_buf_offset) == 12);
static_assert(offsetof(SetRequest, dev_vc_handle) == 16);
static_assert(sizeof(SetRequest) == 20);

// struct rndis_query_complete (REMOTE_NDIS_QUERY_CMPLT): info_buf_offset counts from
// +8 too, so a buffer right after the struct has offset 16.
struct [[gnu::packed]] QueryComplete {
  static constexpr MessageType kType = MessageType::query_complete;
  std::uint32_t req_id;
  std::uint32_t status;
  std::uint32_t info_buflen;
  std::uint32_t info_buf_offset;
};
static_assert(offsetof(QueryComplete, req_id) == 0);
static_assert(offsetof(QueryComplete, status) == 4);
static_assert(offsetof(QueryComplete, info_buflen) == 8);
static_assert(offsetof(QueryComplete, info_buf_offset) == 12);
static_assert(sizeof(QueryComplete) == 16);

// struct rndis_set_complete (REMOTE_NDIS_SET_CMPLT).
struct [[gnu::packed]] SetComplete {
  static constexpr MessageType kType = MessageType::set_complete;
  std::uint32_t req_id;
  std::uint32_t status;
};
static_assert(offsetof(SetComplete, req_id) == 0);
static_assert(offsetof(SetComplete, status) == 4);
static_assert(sizeof(SetComplete) == 8);

// struct rndis_reset_request (REMOTE_NDIS_RESET_MSG): no request id.
struct [[gnu::packed]] ResetRequest {
  static constexpr MessageType kType = MessageType::reset;
  std::uint32_t reserved;
};
static_assert(offsetof(ResetRequest, reserved) == 0);
static_assert(sizeof(ResetRequest) == 4);

// struct rndis_reset_complete (REMOTE_NDIS_RESET_CMPLT): the one completion without
// a request id.
struct [[gnu::packed]] ResetComplete {
  static constexpr MessageType kType = MessageType::reset_complete;
  std::uint32_t status;
  std::uint32_t addressing_reset;
};
static_assert(offsetof(ResetComplete, status) == 0);
static_assert(offsetof(ResetComplete, addressing_reset) == 4);
static_assert(sizeof(ResetComplete) == 8);

// struct rndis_indicate_status (REMOTE_NDIS_INDICATE_STATUS_MSG): status_buf_offset counts
// from +8, so a buffer right after the struct has offset 12.
struct [[gnu::packed]] IndicateStatus {
  static constexpr MessageType kType = MessageType::indicate_status;
  std::uint32_t status;
  std::uint32_t status_buflen;
  std::uint32_t status_buf_offset;
};
static_assert(offsetof(IndicateStatus, status) == 0);
static_assert(offsetof(IndicateStatus, status_buflen) == 4);
static_assert(offsetof(IndicateStatus, status_buf_offset) == 8);
static_assert(sizeof(IndicateStatus) == 12);

// struct rndis_keepalive_request (REMOTE_NDIS_KEEPALIVE_MSG).
struct [[gnu::packed]] KeepaliveRequest {
  static constexpr MessageType kType = MessageType::keepalive;
  std::uint32_t req_id;
};
static_assert(offsetof(KeepaliveRequest, req_id) == 0);
static_assert(sizeof(KeepaliveRequest) == 4);

// struct rndis_keepalive_complete (REMOTE_NDIS_KEEPALIVE_CMPLT).
struct [[gnu::packed]] KeepaliveComplete {
  static constexpr MessageType kType = MessageType::keepalive_complete;
  std::uint32_t req_id;
  std::uint32_t status;
};
static_assert(offsetof(KeepaliveComplete, req_id) == 0);
static_assert(offsetof(KeepaliveComplete, status) == 4);
static_assert(sizeof(KeepaliveComplete) == 8);

// struct rndis_packet (REMOTE_NDIS_PACKET_MSG). Offsets count
// from the start of this struct (message + 8); lengths in bytes. Linux and
// DPDK put the per-packet info right after it (per_pkt_info_offset = 36) and
// the frame right after that.
struct [[gnu::packed]] Packet {
  static constexpr MessageType kType = MessageType::packet;
  std::uint32_t data_offset;
  std::uint32_t data_len;
  std::uint32_t oob_data_offset;
  std::uint32_t oob_data_len;
  std::uint32_t num_oob_data_elements;
  std::uint32_t per_pkt_info_offset;
  std::uint32_t per_pkt_info_len;
  std::uint32_t vc_handle;
  std::uint32_t reserved;
};
static_assert(offsetof(Packet, data_offset) == 0);
static_assert(offsetof(Packet, data_len) == 4);
static_assert(offsetof(Packet, oob_data_offset) == 8);
static_assert(offsetof(Packet, oob_data_len) == 12);
static_assert(offsetof(Packet, num_oob_data_elements) == 16);
static_assert(offsetof(Packet, per_pkt_info_offset) == 20);
static_assert(offsetof(Packet, per_pkt_info_len) == 24);
static_assert(offsetof(Packet, vc_handle) == 28);
static_assert(offsetof(Packet, reserved) == 32);
static_assert(sizeof(Packet) == 36);
// The smallest data/OOB/PPI offset that does not point into the struct
// (DPDK RNDIS_PACKET_MSG_OFFSET_MIN), and the header Linux and DPDK build.
inline constexpr std::uint32_t kPacketOffsetMin = sizeof(Packet);
inline constexpr std::uint32_t kPacketHeaderSize = kHeaderSize + sizeof(Packet);  // 44

}  // namespace netvsc::rndis
