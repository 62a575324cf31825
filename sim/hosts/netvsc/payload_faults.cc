// The bytes each NIC payload fault changes (payload_faults.h).
#include "payload_faults.h"

#include <cstring>

#include "netvsc/protocol/nvsp.h"
#include "netvsc/protocol/rndis.h"
#include "vmbus/packet/transfer_pages.h"

namespace hvsim::netvsc {

namespace nvsp = ::netvsc::nvsp;
namespace rndis = ::netvsc::rndis;

namespace {

// 2 GiB: past any receive buffer (31 MiB at most, netvsc.md "Handshake" 4).
constexpr std::uint32_t kOffsetPastAnyBuffer = 0x80000000u;

template <typename T>
void store(std::span<std::byte> bytes, std::size_t at, T value) noexcept {
  if (at + sizeof value <= bytes.size()) std::memcpy(bytes.data() + at, &value, sizeof value);
}

template <typename T>
T load(std::span<const std::byte> bytes, std::size_t at) noexcept {
  T value{};
  if (at + sizeof value <= bytes.size()) std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

}  // namespace

void apply_transfer_page_fault(FaultKind kind, std::span<std::byte> header) noexcept {
  constexpr std::size_t first_range = sizeof(vmbus::TransferPagePrefix);
  switch (kind) {
    case FaultKind::corrupt_pageset_id:  // netvsc_receive: "Invalid xfer page set id"
      store<std::uint16_t>(header, offsetof(vmbus::TransferPagePrefix, xfer_pageset_id),
                           static_cast<std::uint16_t>(nvsp::kReceiveBufferId + 1));
      break;
    case FaultKind::corrupt_range_count:  // the ranges stay in the header, uncounted
      store<std::uint32_t>(header, offsetof(vmbus::TransferPagePrefix, range_cnt), 0);
      break;
    case FaultKind::corrupt_range_bounds:  // netvsc_receive: "Packet offset:%u + len:%u too big"
      store<std::uint32_t>(header, first_range + offsetof(vmbus::TransferPageRange, byte_offset), kOffsetPastAnyBuffer);
      break;
    default:
      break;
  }
}

void apply_received_frame_fault(FaultKind kind, std::span<std::byte> message) noexcept {
  switch (kind) {
    case FaultKind::corrupt_rndis_length:  // rndis_filter_receive: "buflen < msg_len"
      store<std::uint32_t>(message, offsetof(rndis::MessageHeader, msg_len),
                           static_cast<std::uint32_t>(message.size() + 8));
      break;
    case FaultKind::corrupt_rndis_packet: {
      // rndis_filter_receive_data: data_offset + data_len past msg_len
      // ("invalid rndis message"). Offsets count from message + 8.
      const auto msg_len = load<std::uint32_t>(message, offsetof(rndis::MessageHeader, msg_len));
      store<std::uint32_t>(message, rndis::kHeaderSize + offsetof(rndis::Packet, data_offset), msg_len);
      break;
    }
    default:
      break;
  }
}

// The complement: a trans_id a guest never hands out in that form (Linux's
// request ids are small, DPDK's are pointers, ours keep the top byte 0).
std::uint64_t apply_completion_fault(std::uint64_t trans_id) noexcept { return ~trans_id; }

}  // namespace hvsim::netvsc
