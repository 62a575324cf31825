// The JSON ring_bench writes with --json.
#include "ring/ring_json.h"

#include <optional>
#include <string>

#include "common/json_fields.h"
#include "common/report_format.h"

namespace bench {
namespace {

using nlohmann::ordered_json;

ordered_json row_json(const Measurement& m) {
  const Sample t = m.totals();
  ordered_json row = {
      {"kind", kind_name(m.kind)},
      {"payload_bytes", m.payload},
      {"batch", m.batch},
      {"mpps", summary_json(m.mpps())},
      {"gbps", summary_json(m.gbps())},
      {"packets", t.packets},
      {"seconds", t.seconds},
      {"order_errors", t.order_errors},
      {"foreign_cpu_share", m.foreign_load < 0 ? ordered_json(nullptr) : ordered_json(m.foreign_load)},
  };
  if (m.kind == Kind::vmbus_ring) {
    row["interrupt_mask"] = m.reader_masked ? "set" : "clear";
    row["writer"] = {{"commits", t.writer_commits},
                     {"signals", t.writer_signals},
                     {"signals_per_packet", per(t.writer_signals, t.packets)},
                     {"signals_per_commit", per(t.writer_signals, t.writer_commits)},
                     {"full_waits", t.writer_waits}};
    row["reader"] = {{"commits", t.reader_commits},
                     {"signals", t.reader_signals},
                     {"signals_per_packet", per(t.reader_signals, t.packets)},
                     {"signals_per_commit", per(t.reader_signals, t.reader_commits)},
                     {"empty_waits", t.reader_waits}};
  } else if (m.kind == Kind::spsc_queue || m.kind == Kind::spsc_queue_bulk) {
    row["mode"] = m.kind == Kind::spsc_queue ? "one push() and one pop() per packet"
                                             : "one push() per batch, pop() up to a batch";
    row["elements_per_packet"] = m.elements_per_packet;
    row["pushes"] = t.writer_commits;
    row["pops"] = t.reader_commits;
    row["pushes_per_packet"] = per(t.writer_commits, t.packets);
    row["pops_per_packet"] = per(t.reader_commits, t.packets);
    row["producer_full_waits"] = t.writer_waits;
    row["consumer_empty_waits"] = t.reader_waits;
  }
  if (const std::string e = m.error(); !e.empty()) row["error"] = e;
  return row;
}

}  // namespace

ordered_json to_json(const MachineInfo& machine, const CpuPlan& plan, const RunConfig& config,
                     const Results& results) {
  ordered_json j;
  j["benchmark"] = "ring_bench";
  j["sdk_version"] = machine.sdk_version;
  j["machine"] = machine_json(machine);
  j["machine"]["pinned"] = plan.pinned;
  j["machine"]["producer_cpu"] = plan.producer_cpu;
  j["machine"]["consumer_cpu"] = plan.consumer_cpu;
  j["machine"]["note"] = plan.note;
  j["config"] = {
      {"duration_ms", config.duration_ms},   {"warmup_ms", config.warmup_ms},
      {"repetitions", config.repetitions},   {"ring_data_bytes", config.ring_data_bytes},
      {"quick", config.quick},               {"request_space", config.request_space},
  };
  j["units"] = {{"mpps", "packets per second / 1e6"}, {"gbps", "payload bytes per second / 1e9"}};

  ordered_json rows = ordered_json::array();
  for (const Measurement& m : results.rows) rows.push_back(row_json(m));
  j["results"] = std::move(rows);

  ordered_json comparisons = ordered_json::array();
  for (const Comparison& c : compare(results)) {
    comparisons.push_back({{"payload_bytes", c.ring->payload},
                           {"batch", c.ring->batch},
                           {"ring_over_spsc_mpps", optional_json(c.vs_spsc())},
                           {"ring_over_spsc_bulk_mpps", optional_json(c.vs_spsc_bulk())},
                           {"ring_over_memcpy_gbps", optional_json(c.vs_copy())}});
  }
  j["comparisons"] = std::move(comparisons);

  ordered_json targets = ordered_json::array();
  for (const Target& t : evaluate_targets(results)) {
    targets.push_back({{"name", t.name},
                       {"threshold", t.threshold},
                       {"ratio", optional_json(t.ratio)},
                       {"verdict", t.verdict()},
                       {"issue_target", t.issue_target}});
  }
  j["targets"] = std::move(targets);
  return j;
}

}  // namespace bench
