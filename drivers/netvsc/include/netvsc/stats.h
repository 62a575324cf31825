// File: netvsc/stats.h
//
// Per-queue and per-port statistics of a netvsc port, readable from any
// thread while the bursts run, without locks:
//   - every counter is a lock-free std::atomic<uint64_t> written by exactly
//     one thread (the queue's), with a relaxed load + store (no locked
//     instruction per packet), as vmbus::ChannelCounters does;
//   - a reader takes snapshot(): whole values, only approximately
//     simultaneous with each other.
// Malformed host messages are counted by kind (Malformed), each kind naming
// the check that failed; every such message was dropped, and a receive it
// named was still completed (the host gets its buffer back).
//
// Usage:
//   netvsc::PortStats s = port->stats();
//   std::printf("rx %llu tx %llu malformed %llu\n", (unsigned long long)s.total.rx_packets,
//               (unsigned long long)s.total.tx_packets, (unsigned long long)s.total.malformed_total());
//   for (std::size_t k = 0; k < netvsc::kMalformedKinds; ++k)
//     if (s.total.malformed[k]) std::printf("%s %llu\n", netvsc::malformed_name(netvsc::Malformed(k)), ...);
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace netvsc {

// The check a host message failed. Everything read from the host is checked.
enum class Malformed : std::uint8_t {
  ring_corrupt,            // the channel's ring reported corruption (vmbus Errc corrupt_*)
  oversized_packet,        // a VMBus packet larger than the queue's receive copy buffer
  unknown_packet_type,     // a VMBus packet type netvsc never receives (not 6, 7, 0xb)
  nvsp_short,              // an NVSP payload shorter than its header or its body
  nvsp_unexpected_type,    // an NVSP message type not expected here
  pageset_id,              // transfer-page pageset id != 0xCAFE
  range_count,             // 0 ranges, or more than NVSP_RSC_MAX (562)
  range_bounds,            // a range empty or past the receive buffer (offset + length, 64-bit)
  rndis_framing,           // RNDIS header or msg_len (frame(), rndis_message.h)
  rndis_packet,            // REMOTE_NDIS_PACKET_MSG offsets/lengths/PPIs (parse_packet)
  rndis_control,           // a completion or indication that failed its parser
  rndis_unknown_type,      // an RNDIS message type the guest never receives
  rndis_unexpected_reply,  // an RNDIS completion no request waits for (late, or a wrong req_id)
  completion_trans_id,     // a VMBus completion naming no outstanding send
  completion_payload,      // a send completion that is not {108, status}
  indirection_table,       // SEND_INDIRECTION_TABLE that failed parse_send_indirection_table
  rsc_fragment,            // an RSC fragment (never negotiated): dropped
  kCount,
};
inline constexpr std::size_t kMalformedKinds = static_cast<std::size_t>(Malformed::kCount);
const char* malformed_name(Malformed kind) noexcept;

// Plain values, for printing and JSON.
struct QueueStatsSnapshot {
  std::uint64_t rx_packets = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_errors = 0;            // RNDIS packets dropped as malformed
  std::uint64_t rx_dropped_too_small = 0; // frames longer than the caller's RxPacket::buffer
  std::uint64_t rx_dropped_control = 0;   // data dropped while a control request waited (DPDK __hn_nvs_execute)
  std::uint64_t rx_completions = 0;       // transfer-page packets completed (receive sections returned)
  std::uint64_t tx_packets = 0;           // frames accepted by tx_burst
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_errors = 0;            // frames refused (bad TxPacket) or completed with a failure status
  std::uint64_t tx_ring_full = 0;         // bursts cut short by a full ring
  std::uint64_t tx_no_resources = 0;      // bursts cut short: no send section or descriptor free
  std::uint64_t tx_aggregated = 0;        // frames that shared a send-buffer section with another
  std::uint64_t tx_gpa_direct = 0;        // frames sent in place from a DmaRegion
  std::uint64_t tx_completions = 0;       // send completions matched to a descriptor
  std::uint64_t signals = 0;              // signals to the host on this queue's channel
  std::uint64_t link_events = 0;          // INDICATE_STATUS processed on this queue
  std::array<std::uint64_t, kMalformedKinds> malformed{};

  std::uint64_t malformed_total() const noexcept {
    std::uint64_t n = 0;
    for (std::uint64_t v : malformed) n += v;
    return n;
  }
  QueueStatsSnapshot& operator+=(const QueueStatsSnapshot& o) noexcept;
};

// The live counters of one queue; written only by the thread that runs the
// queue (see netvsc/port.h, Threads).
struct alignas(64) QueueStats {
  using Counter = std::atomic<std::uint64_t>;
  Counter rx_packets{0}, rx_bytes{0}, rx_errors{0}, rx_dropped_too_small{0}, rx_dropped_control{0},
      rx_completions{0};
  Counter tx_packets{0}, tx_bytes{0}, tx_errors{0}, tx_ring_full{0}, tx_no_resources{0}, tx_aggregated{0},
      tx_gpa_direct{0}, tx_completions{0};
  Counter link_events{0};
  std::array<Counter, kMalformedKinds> malformed{};

  // The single-writer increment (vmbus::ChannelCounters::add).
  static void add(Counter& c, std::uint64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void count(Malformed kind) noexcept { add(malformed[static_cast<std::size_t>(kind)]); }
  // `signals` comes from the channel's counters: the caller fills it in.
  QueueStatsSnapshot snapshot() const noexcept;
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

struct PortStats {
  std::vector<QueueStatsSnapshot> queues;  // by queue index
  QueueStatsSnapshot total;                // their sum
};

}  // namespace netvsc
