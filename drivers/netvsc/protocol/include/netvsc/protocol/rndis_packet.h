// File: netvsc/protocol/rndis_packet.h
//
// REMOTE_NDIS_PACKET_MSG, the data path: a validating parser (the guest on
// receive, the host on transmit) and a builder that lays out a packet message
// with per-packet info in a caller's buffer, without allocation.
//
// The parser trusts nothing but the byte count it is given. It checks, each
// with its own (Field, Violation) (parse_error.h):
//   - the framing: 8 header bytes, msg_len >= 44 and within the bytes given;
//   - data: offset past the 36-byte rndis_packet, offset and length within
//     msg_len, length non-zero (DPDK hn_rndis_rx_data; Linux
//     rndis_filter_receive_data checks the same bounds);
//   - OOB data (unused by netvsc) and the PPI area: when their length is
//     non-zero, offset past the struct, a multiple of 4 (MS-RNDIS; DPDK
//     RNDIS_PACKET_MSG_OFFSET_ALIGNMASK), offset and length within msg_len;
//   - every PPI record: 12 header bytes present, size >= 12, a multiple of 4
//     (DPDK RNDIS_PKTINFO_SIZE_ALIGNMASK) and within what is left of the
//     area, ppi_offset in [12, size), and 4 value bytes for a known type.
// Sums are done in 64 bits; an offset + length past 2^32 - 1 is reported as
// an overflow rather than left to wrap. The data offset is not required to be
// a multiple of 4: MS-RNDIS says it is, but neither Linux nor DPDK checks,
// and a guest must not drop a host's packets over it.
//
// Usage (guest receive):
//   auto pkt = netvsc::rndis::parse_packet(range_bytes);
//   if (!pkt) { count_error(pkt.error()); return nvsp::Status::failure; }
//   copy_out(pkt->frame);
//   if (pkt->info.hash_value) mbuf.hash = *pkt->info.hash_value;
//
// Usage (guest transmit into a send-buffer section):
//   netvsc::rndis::PacketBuilder b(section);
//   b.add(netvsc::ppi::Type::hash_value, queue_id);
//   b.add(netvsc::ppi::Type::ieee_8021q, netvsc::ppi::vlan_info_from_tci(tci));
//   auto used = b.finish(frame);  // copies the frame after the header
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "netvsc/protocol/parse_error.h"
#include "netvsc/protocol/ppi.h"
#include "netvsc/protocol/rndis.h"
#include "netvsc/protocol/rndis_message.h"
#include "vmbus/result.h"

namespace netvsc::rndis {

// A validated REMOTE_NDIS_PACKET_MSG: windows into the bytes given.
struct PacketView {
  std::span<const std::byte> frame;            // data_len bytes: the Ethernet frame
  std::span<const std::byte> per_packet_info;  // the PPI area (empty if none)
  std::span<const std::byte> oob;              // the OOB area (empty if none)
  ppi::PacketInfo info;                        // the known PPIs, decoded during validation
  std::uint32_t msg_len = 0;

  ppi::RecordRange records() const noexcept { return ppi::RecordRange(per_packet_info); }
};

// Parses the REMOTE_NDIS_PACKET_MSG at the start of `bytes` (see the file
// comment for every check). Errors: those of frame(), rndis_msg_type/
// unexpected_value, rndis_msg_len/too_short, and the data, OOB, PPI and
// record errors listed above.
ParseResult<PacketView> parse_packet(std::span<const std::byte> bytes) noexcept;
// The same for a message already framed.
ParseResult<PacketView> parse_packet(const MessageView& message) noexcept;

// Builds a REMOTE_NDIS_PACKET_MSG the way Linux's netvsc_xmit and DPDK's
// hn_encap do: header, rndis_packet, the PPI records in the order added
// (per_pkt_info_offset 36), then the frame (data_offset = 36 + PPI bytes).
class PacketBuilder {
 public:
  // `out` receives the message; it needs header_size() bytes for finish(len)
  // and header_size() + frame bytes for finish(frame).
  explicit PacketBuilder(std::span<std::byte> out) noexcept : out_(out) {}

  // Appends a record with a 4-byte value (every PPI netvsc uses). Error:
  // buffer_too_small (detail = the header size it needs).
  vmbus::Status add(ppi::Type type, std::uint32_t value) noexcept;
  // Appends any record; the value is zero-padded to a multiple of 4.
  // Errors: buffer_too_small, invalid_argument (type has bit 31 set).
  vmbus::Status add_record(std::uint32_t type, bool internal, std::span<const std::byte> value) noexcept;

  // Bytes of header and PPIs so far: where the frame starts in the message.
  std::uint32_t header_size() const noexcept { return kPacketHeaderSize + ppi_len_; }

  // Writes the header for a frame of `frame_len` bytes that the caller sends
  // separately (GPA ranges after this header, or bytes it copies to
  // header_size()). Returns header_size(). Errors: buffer_too_small,
  // invalid_argument (frame_len 0), packet_too_large (msg_len overflow).
  vmbus::Result<std::uint32_t> finish(std::uint32_t frame_len) noexcept;
  // Writes the header and copies `frame` after it (the send-buffer path).
  // Returns msg_len, the bytes used. Errors: as above.
  vmbus::Result<std::uint32_t> finish(std::span<const std::byte> frame) noexcept;

 private:
  std::span<std::byte> out_;
  std::uint32_t ppi_len_ = 0;
};

}  // namespace netvsc::rndis
