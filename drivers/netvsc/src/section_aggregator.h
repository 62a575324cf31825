// File: src/section_aggregator.h
//
// Packing several REMOTE_NDIS_PACKET_MSGs into one send-buffer section
// (MS-RNDIS multi-packet messages; DPDK hn_try_txagg, Linux
// netvsc_send's msd batching). The layout the host walks with msg_len:
//
//   [msg 0, msg_len padded to the alignment][msg 1, padded]...[msg k, exact]
//
// Each message starts aligned: when another message is appended, the
// previous one's msg_len grows by the padding and the padding is zeroed
// ("Zero-out the padding, as required by the RNDIS spec", hn_try_txagg), so
// the last message never carries padding. The limits come from the host's
// INITIALIZE_CMPLT: at most max_pkt_per_msg messages and
// min(section size, max_xfer_size) bytes, alignment 1 << pkt_alignment_factor.
//
// Pure layout over caller memory: no allocation, no I/O.
//
// Usage:
//   SectionAggregator agg;
//   agg.start(section_bytes, limits);
//   std::span<std::byte> at = agg.append(msg_len);  // empty: does not fit, flush first
//   build_message_into(at);
//   send(section_index, agg.used());                // SEND_RNDIS_PKT section size
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace netvsc::internal {

struct AggregationLimits {
  std::uint32_t max_bytes = 0;    // min(section size, RNDIS max_xfer_size)
  std::uint32_t max_packets = 1;  // RNDIS max_pkt_per_msg; 1 turns aggregation off
  std::uint32_t alignment = 8;    // a power of two, >= 1
};

// The limits for a host's INITIALIZE_CMPLT values and the section size, or
// one packet per section when they make no sense (alignment factor past
// 4 KiB, a transfer size smaller than one RNDIS packet header) or
// aggregation is off.
AggregationLimits aggregation_limits(std::uint32_t section_size, std::uint32_t max_pkt_per_msg,
                                     std::uint32_t max_xfer_size, std::uint32_t alignment_factor,
                                     bool enabled) noexcept;

class SectionAggregator {
 public:
  // Starts an empty aggregate over `section`.
  void start(std::span<std::byte> section, AggregationLimits limits) noexcept {
    section_ = section;
    limits_ = limits;
    if (limits_.max_bytes > section.size()) limits_.max_bytes = static_cast<std::uint32_t>(section.size());
    used_ = 0;
    packets_ = 0;
    last_ = 0;
  }
  bool active() const noexcept { return !section_.empty(); }
  void reset() noexcept { section_ = {}, used_ = 0, packets_ = 0, last_ = 0; }

  // Whether a message of `msg_len` bytes would fit after the ones so far.
  bool fits(std::uint32_t msg_len) const noexcept;
  // Room for a message of `msg_len` bytes at the next aligned offset (the
  // previous message padded as the file comment says), or an empty span if
  // it does not fit. The caller writes exactly msg_len bytes there.
  std::span<std::byte> append(std::uint32_t msg_len) noexcept;

  std::uint32_t used() const noexcept { return used_; }  // bytes to send: no trailing padding
  std::uint32_t packets() const noexcept { return packets_; }
  bool full() const noexcept { return packets_ >= limits_.max_packets || used_ >= limits_.max_bytes; }

 private:
  std::uint32_t next_offset() const noexcept {
    return packets_ == 0 ? 0 : (used_ + limits_.alignment - 1) & ~(limits_.alignment - 1);
  }

  std::span<std::byte> section_;
  AggregationLimits limits_;
  std::uint32_t used_ = 0;
  std::uint32_t packets_ = 0;
  std::uint32_t last_ = 0;  // offset of the last message
};

}  // namespace netvsc::internal
