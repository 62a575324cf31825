// File: sim/hosts/netvsc/payload_faults.h
//
// The NIC host's payload faults (hvsim/faults.h, "Payload faults"): what the
// VSP writes stays well framed for VMBus, but the NVSP/RNDIS it carries is
// wrong in exactly one field, so a guest's checks of that field are tested
// one at a time (Linux netvsc_receive / rndis_filter_receive_data /
// netvsc_send_completion; netvsc.md "RX"). Each helper asks the channel
// for the faults it applies (HostChannel::take_payload_fault, which counts
// and logs a firing) and changes the bytes about to be written; with none
// armed it costs one relaxed load.
//
// The host's own bookkeeping is never corrupted: a receive slot belongs to
// the batch whose trans_id names it, whatever its header says, so the
// guest's completion of a corrupt transfer-page packet frees its slots.
//
// Usage:
//   corrupt_transfer_page(ch, header);              // prefix + ranges, before send
//   corrupt_received_frame(ch, slot_bytes);         // a PACKET_MSG just placed
//   trans_id = completion_trans_id(ch, trans_id);   // SEND_RNDIS_PKT_COMPLETE
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "hvsim/host_channel.h"

namespace hvsim::netvsc {

inline constexpr std::array kTransferPageFaults = {FaultKind::corrupt_pageset_id, FaultKind::corrupt_range_count,
                                                   FaultKind::corrupt_range_bounds};
inline constexpr std::array kReceivedFrameFaults = {FaultKind::corrupt_rndis_length, FaultKind::corrupt_rndis_packet};
inline constexpr std::array kCompletionFaults = {FaultKind::corrupt_completion_id};

// `header`: vmtransfer_page_packet_header's prefix (vmbus::TransferPagePrefix)
// then its ranges, of a packet announcing received frames.
void apply_transfer_page_fault(FaultKind kind, std::span<std::byte> header) noexcept;
// `message`: a REMOTE_NDIS_PACKET_MSG exactly as long as its range.
void apply_received_frame_fault(FaultKind kind, std::span<std::byte> message) noexcept;
std::uint64_t apply_completion_fault(std::uint64_t trans_id) noexcept;

inline void corrupt_transfer_page(HostChannel& ch, std::span<std::byte> header) noexcept {
  if (const auto kind = ch.take_payload_fault(kTransferPageFaults)) apply_transfer_page_fault(*kind, header);
}

inline void corrupt_received_frame(HostChannel& ch, std::span<std::byte> message) noexcept {
  if (const auto kind = ch.take_payload_fault(kReceivedFrameFaults)) apply_received_frame_fault(*kind, message);
}

inline std::uint64_t completion_trans_id(HostChannel& ch, std::uint64_t trans_id) noexcept {
  return ch.take_payload_fault(kCompletionFaults) ? apply_completion_fault(trans_id) : trans_id;
}

}  // namespace hvsim::netvsc
