// The tables that set the ring beside spsc_queue and memcpy.
#include "ring/reference_table.h"

#include <cstdio>
#include <string>

#include "common/report_format.h"

namespace bench {
namespace {

// "median [min .. max]" of a row's Mpps or GB/s, or "-" when the row was not run.
std::string spread_text(const Measurement* m, bool gbps) {
  if (m == nullptr) return "-";
  const Summary s = gbps ? m->gbps() : m->mpps();
  char text[64];
  std::snprintf(text, sizeof text, "%7.3f [%7.3f .. %7.3f]", s.median, s.min, s.max);
  return text;
}

void print_packet_rate(const std::vector<Comparison>& comparisons) {
  std::printf("-- packet rate: ring vs spsc_queue (64-byte elements), one push/pop per packet and per batch --\n");
  std::printf("%8s %5s %6s | %9s | %-28s | %9s | %-28s | %14s\n", "payload", "batch", "el/pkt", "ring Mpps",
              "spsc Mpps med [min .. max]", "ring/spsc", "bulk Mpps med [min .. max]", "ring/spsc bulk");
  for (const Comparison& c : comparisons) {
    const Measurement& ring = *c.ring;
    const Measurement* any_spsc = c.spsc != nullptr ? c.spsc : c.spsc_bulk;
    std::printf("%8s %5u %6u | %9.3f | %-28s | %9s | %-28s | %14s\n", size_text(ring.payload).c_str(), ring.batch,
                any_spsc != nullptr ? any_spsc->elements_per_packet : 0U, ring.mpps().median,
                spread_text(c.spsc, false).c_str(), ratio_text(c.vs_spsc()).c_str(),
                spread_text(c.spsc_bulk, false).c_str(), ratio_text(c.vs_spsc_bulk()).c_str());
  }
  std::printf(
      "spsc:      push() once per packet, pop() once per packet: one queue operation per packet on each side,\n"
      "           like the ring's write()/read(); no commit: every push publishes, so batch changes nothing.\n"
      "spsc bulk: the whole batch in ONE push() (a single copy of batch x el/pkt elements) and up to a batch\n"
      "           per pop(): a bulk array copy with no per-packet work. Not run at batch 1, where it is spsc.\n"
      "el/pkt = 64-byte queue elements per packet, ceil(P/64). Ratios are of medians, packets per second.\n");
}

void print_bandwidth(const std::vector<Comparison>& comparisons) {
  std::printf("-- bandwidth: ring vs memcpy --\n");
  std::printf("%8s %5s | %9s | %-28s | %11s\n", "payload", "batch", "ring GB/s", "memcpy GB/s med [min .. max]",
              "ring/memcpy");
  for (const Comparison& c : comparisons) {
    std::printf("%8s %5u | %9.3f | %-28s | %11s\n", size_text(c.ring->payload).c_str(), c.ring->batch,
                c.ring->gbps().median, spread_text(c.copy, true).c_str(), ratio_text(c.vs_copy()).c_str());
  }
  std::printf(
      "memcpy: one thread, P bytes per copy from one source buffer into a destination as large as the\n"
      "ring's data area, cycling; batch does not apply. Ratio of medians, payload bytes per second.\n");
}

}  // namespace

void print_reference_tables(const Results& results) {
  const std::vector<Comparison> comparisons = compare(results);
  std::printf("\n== References, same run: boost::lockfree::spsc_queue and memcpy ==\n");
  print_packet_rate(comparisons);
  std::printf("\n");
  print_bandwidth(comparisons);
}

}  // namespace bench
