// File: src/rx_ranges.h
//
// Checks of a transfer-page packet (VMBus type 7) before the guest touches
// the receive buffer it names, as Linux's netvsc_receive and DPDK's
// hn_nvs_handle_rxbuf do, without their overflow:
//   - the SDK's TransferPagePacket::parse: the header holds range_cnt ranges;
//   - pageset id == 0xCAFE (NETVSC_RECEIVE_BUFFER_ID);
//   - 1 <= range_cnt <= 562 (NVSP_RSC_MAX);
//   - each range non-empty with byte_offset + byte_count <= the buffer size,
//     summed in 64 bits (DPDK's `ofs + len > rxbuf_sz` is unsigned int and
//     wraps for ofs near 4 GiB).
// The packet-level checks decide whether any range is used; a bad range is
// skipped on its own (Linux: "continue" with NVSP_STAT_FAIL). Either way the
// packet is still completed, so the host gets its sections back.
//
// Usage:
//   auto xfer = check_transfer_page(packet);
//   if (!xfer.packet) { stats.count(xfer.error); complete(packet.trans_id, failure); return; }
//   for (i...) if (auto r = range_bytes(*xfer.packet, i, recv_buffer)) deliver(*r);
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "netvsc/stats.h"
#include "vmbus/packet/incoming_packet.h"
#include "vmbus/packet/transfer_pages.h"

namespace netvsc::internal {

struct TransferPageCheck {
  std::optional<vmbus::TransferPagePacket> packet;  // set when the packet-level checks passed
  Malformed error = Malformed::range_count;         // why not, otherwise
};

TransferPageCheck check_transfer_page(const vmbus::IncomingPacket& packet) noexcept;

// Range i's bytes inside `recv_buffer`, or nullopt (Malformed::range_bounds)
// if it is empty or reaches past the buffer.
std::optional<std::span<const std::byte>> range_bytes(const vmbus::TransferPagePacket& packet, std::uint32_t i,
                                                      std::span<const std::byte> recv_buffer) noexcept;

}  // namespace netvsc::internal
