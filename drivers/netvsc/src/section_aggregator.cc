// Send-section aggregation layout (section_aggregator.h).
#include "section_aggregator.h"

#include <cstring>

#include "netvsc/protocol/rndis.h"
#include "netvsc/protocol/wire.h"

namespace netvsc::internal {

AggregationLimits aggregation_limits(std::uint32_t section_size, std::uint32_t max_pkt_per_msg,
                                     std::uint32_t max_xfer_size, std::uint32_t alignment_factor,
                                     bool enabled) noexcept {
  AggregationLimits one{section_size, 1, 8};
  // hn_rndis_init: "pktmaxcnt" 0 or 1, or no room for two minimal packets,
  // means no aggregation; an alignment beyond a page is nonsense from the host.
  if (!enabled || max_pkt_per_msg <= 1 || alignment_factor > 12) return one;
  if (max_xfer_size < 2 * rndis::kPacketHeaderSize) return one;
  AggregationLimits l;
  l.max_bytes = max_xfer_size < section_size ? max_xfer_size : section_size;
  l.max_packets = max_pkt_per_msg;
  l.alignment = 1u << alignment_factor;
  // RNDIS messages are 4-aligned at least (MS-RNDIS 2.2.x); DPDK's default is 8.
  if (l.alignment < 4) l.alignment = 4;
  return l;
}

bool SectionAggregator::fits(std::uint32_t msg_len) const noexcept {
  if (!active() || packets_ >= limits_.max_packets || msg_len == 0) return false;
  const std::uint64_t at = next_offset();
  return at + msg_len <= limits_.max_bytes;
}

std::span<std::byte> SectionAggregator::append(std::uint32_t msg_len) noexcept {
  if (!fits(msg_len)) return {};
  const std::uint32_t at = next_offset();
  if (packets_ != 0 && at != used_) {
    // Pad the previous message: its msg_len covers the padding, zeroed.
    std::memset(section_.data() + used_, 0, at - used_);
    const std::uint32_t padded = at - last_;
    wire::store(section_, last_ + 4, padded);  // rndis MessageHeader.msg_len
  }
  last_ = at;
  used_ = at + msg_len;
  ++packets_;
  return section_.subspan(at, msg_len);
}

}  // namespace netvsc::internal
