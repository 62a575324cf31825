// File: kvp/protocol/ic.h
//
// The Hyper-V IC ("integration component") framework every util service
// speaks (KVP, heartbeat, shutdown, time sync, VSS, file copy): the layouts
// and constants of include/linux/hyperv.h (struct vmbuspipe_hdr, struct
// ic_version, struct icmsg_hdr, struct icmsg_negotiate, ICMSGTYPE_*,
// ICMSGHDRFLAG_*) and the HV_* status codes of include/uapi/linux/hyperv.h.
//
// Each IC message is one VMBus inband packet (type 6) whose payload is
//   +0  vmbuspipe_hdr {u32 flags, u32 msgsize}                     8 bytes
//   +8  icmsg_hdr (below)                                         20 bytes
//   +28 the message: icmsg_negotiate, hv_kvp_msg, ...        icmsgsize bytes
// ICMSG_HDR = 28 is where the message starts. The guest answers in place:
// it rewrites the request buffer, sets icflags = TRANSACTION | RESPONSE and
// sends the same number of bytes back, inband, flags 0, with the request's
// trans_id (hv_kvp.c kvp_respond_to_host, hv_kvp_onchannelcallback).
// Parsing and answering are in ic_message.h, negotiation in negotiate.h.
//
// Usage:
//   auto msg = kvp::ic::parse_ic_message(packet.payload);           // ic_message.h
//   if (msg && msg->header.icmsgtype == raw(kvp::ic::MessageType::kvp_exchange)) ...
#pragma once

#include <cstddef>
#include <cstdint>

namespace kvp::ic {

// ICMSGTYPE_* (include/linux/hyperv.h). 6 is unused by Linux (OpenVMM's
// hyperv_ic_protocol calls it RDV).
enum class MessageType : std::uint16_t {
  negotiate = 0,
  heartbeat = 1,
  kvp_exchange = 2,
  shutdown = 3,
  timesync = 4,
  vss = 5,
  fcopy = 7,
};
constexpr std::uint16_t raw(MessageType t) noexcept { return static_cast<std::uint16_t>(t); }

// ICMSGHDRFLAG_* (icmsg_hdr.icflags). The host sends requests with
// TRANSACTION | REQUEST (OpenVMM hyperv_ic common.rs); Linux answers with
// TRANSACTION | RESPONSE.
inline constexpr std::uint8_t kFlagTransaction = 1;
inline constexpr std::uint8_t kFlagRequest = 2;
inline constexpr std::uint8_t kFlagResponse = 4;
inline constexpr std::uint8_t kFlagsRequest = kFlagTransaction | kFlagRequest;
inline constexpr std::uint8_t kFlagsResponse = kFlagTransaction | kFlagResponse;

// vmbuspipe_hdr.flags of a data message: PIPE_PACKET_TYPE_DATA in OpenVMM's
// vmbus_async pipe, which fills msgsize with the bytes that follow the pipe
// header. Linux reads neither field and echoes both unchanged.
inline constexpr std::uint32_t kPipePacketTypeData = 1;

// HV_* status codes (include/uapi/linux/hyperv.h), the HRESULTs a guest puts
// in icmsg_hdr.status.
inline constexpr std::uint32_t kHvSOk = 0x00000000;
inline constexpr std::uint32_t kHvEFail = 0x80004005;
inline constexpr std::uint32_t kHvSCont = 0x80070103;  // KVP: end of enumeration, key not found
inline constexpr std::uint32_t kHvErrorNotSupported = 0x80070032;
inline constexpr std::uint32_t kHvErrorMachineLocked = 0x800704F7;
inline constexpr std::uint32_t kHvErrorDeviceNotConnected = 0x8007048F;
inline constexpr std::uint32_t kHvInvalidArg = 0x80070057;
inline constexpr std::uint32_t kHvGuidNotFound = 0x80041002;
inline constexpr std::uint32_t kHvErrorAlreadyExists = 0x80070050;
inline constexpr std::uint32_t kHvErrorDiskFull = 0x80070070;

// struct vmbuspipe_hdr.
struct [[gnu::packed]] PipeHeader {
  std::uint32_t flags;
  std::uint32_t msgsize;
};
static_assert(offsetof(PipeHeader, flags) == 0);
static_assert(offsetof(PipeHeader, msgsize) == 4);
static_assert(sizeof(PipeHeader) == 8);

// struct ic_version.
struct [[gnu::packed]] Version {
  std::uint16_t major;
  std::uint16_t minor;
  friend bool operator==(const Version&, const Version&) = default;
};
static_assert(offsetof(Version, major) == 0);
static_assert(offsetof(Version, minor) == 2);
static_assert(sizeof(Version) == 4);

// The `int` form the kernel's version tables use: (major << 16) | minor.
constexpr std::uint32_t packed_version(Version v) noexcept { return (std::uint32_t{v.major} << 16) | v.minor; }

// struct icmsg_hdr.
struct [[gnu::packed]] MessageHeader {
  Version icverframe;
  std::uint16_t icmsgtype;
  Version icvermsg;
  std::uint16_t icmsgsize;
  std::uint32_t status;
  std::uint8_t ictransaction_id;
  std::uint8_t icflags;
  std::uint8_t reserved[2];
};
static_assert(offsetof(MessageHeader, icverframe) == 0);
static_assert(offsetof(MessageHeader, icmsgtype) == 4);
static_assert(offsetof(MessageHeader, icvermsg) == 6);
static_assert(offsetof(MessageHeader, icmsgsize) == 10);
static_assert(offsetof(MessageHeader, status) == 12);
static_assert(offsetof(MessageHeader, ictransaction_id) == 16);
static_assert(offsetof(MessageHeader, icflags) == 17);
static_assert(offsetof(MessageHeader, reserved) == 18);
static_assert(sizeof(MessageHeader) == 20);

// ICMSG_HDR: where the message starts in the payload.
inline constexpr std::size_t kPipeHeaderSize = sizeof(PipeHeader);
inline constexpr std::size_t kIcMsgHdr = sizeof(PipeHeader) + sizeof(MessageHeader);
static_assert(kIcMsgHdr == 28);
// Offsets of the icmsg_hdr fields a guest rewrites, within the payload.
inline constexpr std::size_t kIcMsgSizeOffset = kPipeHeaderSize + offsetof(MessageHeader, icmsgsize);
inline constexpr std::size_t kStatusOffset = kPipeHeaderSize + offsetof(MessageHeader, status);
inline constexpr std::size_t kIcFlagsOffset = kPipeHeaderSize + offsetof(MessageHeader, icflags);

// The largest payload a Linux guest takes: util_probe (hv_util.c) allocates
// a 4 * HV_HYP_PAGE_SIZE receive buffer, and hv_kvp_onchannelcallback reads
// with that length (a longer packet fails with -ENOBUFS).
inline constexpr std::size_t kMaxPacketSize = 4 * 4096;

// struct icmsg_negotiate without its flexible array icversion_data[]:
// framework versions first, then service ("message") versions.
struct [[gnu::packed]] NegotiateHeader {
  std::uint16_t icframe_vercnt;
  std::uint16_t icmsg_vercnt;
  std::uint32_t reserved;
};
static_assert(offsetof(NegotiateHeader, icframe_vercnt) == 0);
static_assert(offsetof(NegotiateHeader, icmsg_vercnt) == 2);
static_assert(offsetof(NegotiateHeader, reserved) == 4);
static_assert(sizeof(NegotiateHeader) == 8);

// IC_VERSION_NEGOTIATION_MAX_VER_COUNT: the most versions of either kind a
// guest accepts (vmbus_prep_negotiate_resp).
inline constexpr std::uint16_t kMaxVersionCount = 100;

// ICMSG_NEGOTIATE_PKT_SIZE: the payload a negotiate message with these
// counts needs.
constexpr std::size_t negotiate_packet_size(std::size_t framework_count, std::size_t service_count) noexcept {
  return kIcMsgHdr + sizeof(NegotiateHeader) + (framework_count + service_count) * sizeof(Version);
}

// The icmsgsize Linux puts in every negotiate reply (vmbus_prep_negotiate_resp):
// the header and two versions.
inline constexpr std::uint16_t kNegotiateReplyMsgSize = 0x10;
static_assert(kNegotiateReplyMsgSize == sizeof(NegotiateHeader) + 2 * sizeof(Version));

}  // namespace kvp::ic
