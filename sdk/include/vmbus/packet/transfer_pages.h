// File: vmbus/packet/transfer_pages.h
//
// Transfer-page packets (type 7): the host tells the guest that data sits in
// a buffer the guest shared earlier (netvsc's receive buffer, pageset id
// 0xCAFE), as ranges of {byte_count, byte_offset} into it. Layout, struct
// vmtransfer_page_packet_header (include/linux/hyperv.h):
//   +0 descriptor | +16 u16 xfer_pageset_id | +18 u8 sender_owns_set |
//   +19 u8 reserved | +20 u32 range_cnt | +24 {u32 byte_count, u32 byte_offset}[]
//
// Usage:
//   auto xfer = vmbus::TransferPagePacket::parse(packet);  // an IncomingPacket
//   if (!xfer || !xfer->check_within(recv_buffer_size)) return corrupt;
//   for (std::uint32_t i = 0; i < xfer->range_count(); ++i) deliver(xfer->range(i));
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "vmbus/packet/incoming_packet.h"
#include "vmbus/result.h"

namespace vmbus {

// struct vmtransfer_page_range.
struct [[gnu::packed]] TransferPageRange {
  std::uint32_t byte_count;
  std::uint32_t byte_offset;
};
static_assert(offsetof(TransferPageRange, byte_count) == 0);
static_assert(offsetof(TransferPageRange, byte_offset) == 4);
static_assert(sizeof(TransferPageRange) == 8);

// struct vmtransfer_page_packet_header after the descriptor.
struct [[gnu::packed]] TransferPagePrefix {
  std::uint16_t xfer_pageset_id;
  std::uint8_t sender_owns_set;
  std::uint8_t reserved;
  std::uint32_t range_cnt;
};
static_assert(offsetof(TransferPagePrefix, xfer_pageset_id) == 0);  // +16 in the packet
static_assert(offsetof(TransferPagePrefix, sender_owns_set) == 2);  // +18
static_assert(offsetof(TransferPagePrefix, reserved) == 3);         // +19
static_assert(offsetof(TransferPagePrefix, range_cnt) == 4);        // +20
static_assert(sizeof(TransferPagePrefix) == 8);                     // ranges at +24

class TransferPagePacket {
 public:
  // Checks the type is 7 and the header holds range_cnt ranges (netvsc's
  // "offset8 * 8 < sizeof(header) + count * sizeof(range)" check). Error:
  // malformed_packet, detail = the header bytes needed (or the wrong type).
  static Result<TransferPagePacket> parse(const IncomingPacket& packet) noexcept;

  std::uint16_t pageset_id() const noexcept { return prefix_.xfer_pageset_id; }
  bool sender_owns_set() const noexcept { return prefix_.sender_owns_set != 0; }
  std::uint32_t range_count() const noexcept { return prefix_.range_cnt; }
  TransferPageRange range(std::uint32_t i) const noexcept {
    TransferPageRange r;
    std::memcpy(&r, ranges_.data() + std::size_t{i} * sizeof r, sizeof r);
    return r;
  }

  // Every range non-empty and inside a buffer of `buffer_size` bytes (what
  // DPDK's hn_nvs_handle_rxbuf checks before touching the receive buffer).
  // Error: malformed_packet, detail = the index of the first bad range.
  Status check_within(std::uint64_t buffer_size) const noexcept;

 private:
  TransferPagePacket(TransferPagePrefix prefix, std::span<const std::byte> ranges) : prefix_(prefix), ranges_(ranges) {}
  TransferPagePrefix prefix_;
  std::span<const std::byte> ranges_;
};

}  // namespace vmbus
