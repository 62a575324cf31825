// File: netvsc/protocol/parse_error.h
//
// What a netvsc parser says when the peer's bytes break the protocol: the
// field that is wrong, how it is wrong, and the offending value. Every length
// or offset check in this library fails with its own (field, violation) pair,
// so a test or a log line names the exact rule the peer broke.
//
// All of these are corruption in the SDK's sense (vmbus/result.h): the peer
// broke the protocol. `to_error()` maps one onto a vmbus::Error
// (Errc::malformed_packet) for code that reports through the SDK's type.
//
// Usage:
//   netvsc::ParseResult<netvsc::rndis::PacketView> p = netvsc::rndis::parse_packet(msg);
//   if (!p) {
//     log(p.error().message());  // "rndis_packet.data_length: out of bounds (value 4096)"
//     return nvsp::Status::failure;
//   }
#pragma once

#include <cstdint>
#include <string>

#include "vmbus/result.h"

namespace netvsc {

// The field a parser rejected. Names follow the kernel's structs
// (hyperv_net.h, include/linux/rndis.h).
enum class Field : std::uint8_t {
  // NVSP (struct nvsp_message).
  nvsp_msg_type,           // hdr.msg_type: missing, or not the type expected
  nvsp_body,               // the type's struct is cut short; value = bytes needed
  recv_buf_num_sections,   // send_recv_buf_complete.num_sections != 1
  recv_buf_section_offset, // sections[0].offset != 0
  recv_buf_sub_alloc_size, // sections[0].sub_alloc_size
  recv_buf_num_sub_allocs, // sections[0].num_sub_allocs (with the size, past the buffer)
  send_buf_section_size,   // send_send_buf_complete.section_size
  send_table_count,        // send_table.count != VRSS_SEND_TAB_SIZE
  send_table_offset,       // send_table.offset
  // RNDIS framing (struct rndis_message).
  rndis_header,            // fewer than 8 bytes: no {ndis_msg_type, msg_len}
  rndis_msg_type,          // not the message type expected
  rndis_msg_len,           // under 8: below_minimum; short of the type's struct: too_short;
                           // past the bytes given: out_of_bounds
  // RNDIS_PACKET_MSG (struct rndis_packet).
  rndis_data_offset,
  rndis_data_length,
  rndis_oob_offset,
  rndis_oob_length,
  rndis_ppi_offset,
  rndis_ppi_length,
  // Per-packet info (struct rndis_per_packet_info).
  ppi_header,              // fewer than 12 bytes left in the PPI area
  ppi_size,
  ppi_offset,
  ppi_data,                // a known type with less than its 4-byte value
  // RNDIS control messages: information / status buffers.
  rndis_info_offset,
  rndis_info_length,
  // NDIS objects (struct ndis_object_header and what follows it).
  ndis_object_type,        // also too_short: fewer than the 4 header bytes
  ndis_object_revision,
  ndis_object_size,
  rss_table_offset,
  rss_table_size,
  rss_key_offset,
  rss_key_size,
};

// How the field is wrong.
enum class Violation : std::uint8_t {
  too_short,         // the bytes end before the field or struct does
  unexpected_value,  // a type, count or signature other than the one allowed
  below_minimum,     // smaller than the protocol allows (e.g. an offset into the header)
  misaligned,        // not a multiple of 4 where the protocol requires it
  overflow,          // offset + length does not fit in 32 bits: the peer relied on wrap-around
  out_of_bounds,     // reaches past the message, area or buffer that contains it
};

struct ParseError {
  Field field;
  Violation violation;
  std::uint64_t value = 0;  // the offending value (or bytes needed for too_short)

  // "rndis_packet.data_offset" and the like.
  const char* field_name() const noexcept;
  const char* violation_name() const noexcept;
  // "<field>: <violation> (value N)". Allocates: not for the data path.
  std::string message() const;
  // The SDK's view of it: corruption, detail = the offending value.
  vmbus::Error to_error() const noexcept { return {vmbus::Errc::malformed_packet, value}; }
  friend bool operator==(const ParseError&, const ParseError&) = default;
};

// A parsed value or the ParseError naming what was wrong: vmbus::Result's
// shape with this layer's error.
template <typename T>
using ParseResult = vmbus::BasicResult<T, ParseError>;

// Success or a ParseError, with no value (validation-only checks).
using ParseStatus = vmbus::BasicStatus<ParseError>;

}  // namespace netvsc
