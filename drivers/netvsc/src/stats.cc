// Statistics: names of the malformed kinds, snapshots and sums (netvsc/stats.h).
#include "netvsc/stats.h"

namespace netvsc {

const char* malformed_name(Malformed kind) noexcept {
  switch (kind) {
    case Malformed::ring_corrupt: return "ring_corrupt";
    case Malformed::oversized_packet: return "oversized_packet";
    case Malformed::unknown_packet_type: return "unknown_packet_type";
    case Malformed::nvsp_short: return "nvsp_short";
    case Malformed::nvsp_unexpected_type: return "nvsp_unexpected_type";
    case Malformed::pageset_id: return "pageset_id";
    case Malformed::range_count: return "range_count";
    case Malformed::range_bounds: return "range_bounds";
    case Malformed::rndis_framing: return "rndis_framing";
    case Malformed::rndis_packet: return "rndis_packet";
    case Malformed::rndis_control: return "rndis_control";
    case Malformed::rndis_unknown_type: return "rndis_unknown_type";
    case Malformed::rndis_unexpected_reply: return "rndis_unexpected_reply";
    case Malformed::completion_trans_id: return "completion_trans_id";
    case Malformed::completion_payload: return "completion_payload";
    case Malformed::indirection_table: return "indirection_table";
    case Malformed::rsc_fragment: return "rsc_fragment";
    case Malformed::kCount: break;
  }
  return "unknown";
}

QueueStatsSnapshot QueueStats::snapshot() const noexcept {
  constexpr auto r = std::memory_order_relaxed;
  QueueStatsSnapshot s;
  s.rx_packets = rx_packets.load(r);
  s.rx_bytes = rx_bytes.load(r);
  s.rx_errors = rx_errors.load(r);
  s.rx_dropped_too_small = rx_dropped_too_small.load(r);
  s.rx_dropped_control = rx_dropped_control.load(r);
  s.rx_completions = rx_completions.load(r);
  s.tx_packets = tx_packets.load(r);
  s.tx_bytes = tx_bytes.load(r);
  s.tx_errors = tx_errors.load(r);
  s.tx_ring_full = tx_ring_full.load(r);
  s.tx_no_resources = tx_no_resources.load(r);
  s.tx_aggregated = tx_aggregated.load(r);
  s.tx_gpa_direct = tx_gpa_direct.load(r);
  s.tx_completions = tx_completions.load(r);
  s.link_events = link_events.load(r);
  for (std::size_t k = 0; k < kMalformedKinds; ++k) s.malformed[k] = malformed[k].load(r);
  return s;
}

QueueStatsSnapshot& QueueStatsSnapshot::operator+=(const QueueStatsSnapshot& o) noexcept {
  rx_packets += o.rx_packets;
  rx_bytes += o.rx_bytes;
  rx_errors += o.rx_errors;
  rx_dropped_too_small += o.rx_dropped_too_small;
  rx_dropped_control += o.rx_dropped_control;
  rx_completions += o.rx_completions;
  tx_packets += o.tx_packets;
  tx_bytes += o.tx_bytes;
  tx_errors += o.tx_errors;
  tx_ring_full += o.tx_ring_full;
  tx_no_resources += o.tx_no_resources;
  tx_aggregated += o.tx_aggregated;
  tx_gpa_direct += o.tx_gpa_direct;
  tx_completions += o.tx_completions;
  signals += o.signals;
  link_events += o.link_events;
  for (std::size_t k = 0; k < kMalformedKinds; ++k) malformed[k] += o.malformed[k];
  return *this;
}

}  // namespace netvsc
