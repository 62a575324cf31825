// The header and the tables ring_bench prints.
#include "ring/ring_report.h"

#include <algorithm>
#include <cstdio>

#include "common/host_load.h"
#include "common/report_format.h"
#include "ring/reference_table.h"

namespace bench {
namespace {

void print_ring_row(const Measurement& m) {
  const Summary mpps = m.mpps();
  const Sample t = m.totals();
  std::printf("%8s %5u %-5s | %8.3f [%8.3f .. %8.3f] | %7.3f | %7.4f %7.4f %7.4f | %7.4f %7.4f %7.4f | %6s\n",
              size_text(m.payload).c_str(), m.batch, m.reader_masked ? "set" : "clear", mpps.median, mpps.min,
              mpps.max, m.gbps().median, per(t.writer_commits, t.packets), per(t.writer_signals, t.packets),
              per(t.writer_signals, t.writer_commits), per(t.reader_commits, t.packets),
              per(t.reader_signals, t.packets), per(t.reader_signals, t.reader_commits),
              load_text(m.foreign_load).c_str());
}

void print_ring_table(const Results& results) {
  std::printf("\n== VMBus ring: OutgoingRing -> IncomingRing, one commit per batch on each side ==\n");
  std::printf("%8s %5s %-5s | %-31s | %7s | %-23s | %-23s | %6s\n", "", "", "", "", "", "writer", "reader", "");
  std::printf("%8s %5s %-5s | %-31s | %7s | %7s %7s %7s | %7s %7s %7s | %6s\n", "payload", "batch", "mask",
              "Mpps median [min .. max]", "GB/s", "cmt/pkt", "sig/pkt", "sig/cmt", "cmt/pkt", "sig/pkt", "sig/cmt",
              "other");
  // Rows with the reader's mask clear first, then those with it set.
  for (const bool masked : {false, true}) {
    for (const Measurement& m : results.rows) {
      if (m.kind == Kind::vmbus_ring && m.reader_masked == masked) print_ring_row(m);
    }
  }
  std::printf(
      "cmt = commits that published packets, sig = commits that returned true (the peer would be signalled);\n"
      "mask = the reader's interrupt_mask during the run. A full ring makes the writer commit early, so\n"
      "cmt/pkt can exceed 1/batch. other = CPU share other processes took while the row's group ran\n"
      "(! above 5%%: those numbers are disturbed).\n");
}

void print_checks(const Results& results) {
  std::printf("\n== Checks ==\n");
  std::uint64_t packets = 0;
  std::uint64_t order_errors = 0;
  std::uint64_t masked_signals = 0;
  double worst_per_commit = 0;
  bool any_masked = false;
  for (const Measurement& m : results.rows) {
    const Sample t = m.totals();
    packets += t.packets;
    order_errors += t.order_errors;
    if (m.kind != Kind::vmbus_ring) continue;
    if (m.reader_masked) {
      any_masked = true;
      masked_signals += t.writer_signals;
    } else if (t.writer_commits != 0) {
      const double r = per(t.writer_signals, t.writer_commits);
      if (r > worst_per_commit) worst_per_commit = r;
    }
  }
  std::printf("sequence numbers: %llu packets checked, %llu out of order\n",
              static_cast<unsigned long long>(packets), static_cast<unsigned long long>(order_errors));
  std::printf("mask clear: at most %.4f writer signals per commit (must be <= 1)\n", worst_per_commit);
  if (any_masked) {
    std::printf("mask set:   %llu writer signals (must be 0)\n", static_cast<unsigned long long>(masked_signals));
  }
  double worst_load = -1;
  for (const Measurement& m : results.rows) worst_load = std::max(worst_load, m.foreign_load);
  if (worst_load > kForeignLoadWarning) {
    std::printf("WARNING: other processes took up to %.0f%% of the CPUs during the run; rows marked ! are not\n"
                "         representative (rerun on a quiet machine)\n",
                worst_load * 100);
  } else if (worst_load >= 0) {
    std::printf("other processes: at most %.0f%% of the CPUs during any row (quiet enough)\n", worst_load * 100);
  }
}

void print_targets(const Results& results) {
  std::printf("\n== Targets (ratio of medians; informational, never the exit status) ==\n");
  for (const Target& t : evaluate_targets(results)) {
    std::printf("%-72s %7s  %s%s\n", t.name.c_str(), ratio_text(t.ratio).c_str(), t.verdict(),
                t.issue_target ? "" : "  (informational: not the issue's target)");
  }
}

}  // namespace

void print_header(const MachineInfo& machine, const CpuPlan& plan, const RunConfig& config) {
  std::printf("ring_bench: VMBus ring throughput (vmbus-sdk %s, %s build)\n", machine.sdk_version.c_str(),
              machine.build_type.c_str());
  std::printf("machine : %s, %ld cores online; compiler %s; Boost %s\n", machine.cpu_model.c_str(),
              machine.cores_online, machine.compiler.c_str(), machine.boost_version.c_str());
  if (plan.pinned) {
    std::printf("threads : producer pinned to CPU %d, consumer to CPU %d\n", plan.producer_cpu, plan.consumer_cpu);
  } else {
    std::printf("threads : NOT pinned (%s)\n", plan.note.c_str());
  }
  std::printf("ring    : 4 KiB header + %s data, inband packets (16 B descriptor + payload + 8 B trailer)%s\n",
              size_text(config.ring_data_bytes).c_str(),
              config.request_space ? ", writer requests a space signal when full" : "");
  std::printf("run     : %u ms x %u repetitions per row after a %u ms warm-up%s\n", config.duration_ms,
              config.repetitions, config.warmup_ms, config.quick ? " (--quick)" : "");
  std::fflush(stdout);
}

void print_results(const Results& results) {
  print_ring_table(results);
  print_reference_tables(results);
  print_checks(results);
  print_targets(results);
}

}  // namespace bench
