// ring_bench: packet rate and bandwidth of the VMBus ring layer (OutgoingRing
// -> IncomingRing over one shared ring, producer and consumer on two pinned
// CPUs), with boost::lockfree::spsc_queue (one push/pop per packet, and one
// push/pop per batch) and memcpy doing the same work in the same run as
// references. Prints tables to stdout, optionally JSON.
//
//   ring_bench                      # default run, about 25 s on 2 cores
//   ring_bench --quick              # a CI smoke run, about 2 s
//   ring_bench --json out.json --payloads 64 --batches 32 --repetitions 9
//
// Exit status: 0 whatever the numbers are; 1 if the ring misbehaved (a ring
// error or a packet out of order); 2 for bad arguments.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "common/host_load.h"
#include "common/machine_info.h"
#include "ring/bench_threads.h"
#include "ring/measurement.h"
#include "ring/memcpy_workload.h"
#include "ring/ring_json.h"
#include "ring/ring_options.h"
#include "ring/ring_report.h"
#include "ring/ring_workload.h"
#include "ring/spsc_workload.h"
#include "ring/targets.h"

namespace {

using bench::Measurement;
using std::chrono::milliseconds;

// A row to measure and how to take one sample of it.
struct Pending {
  Measurement row;
  std::function<bench::Sample(milliseconds)> run;
};

// Measures the rows of one group interleaved: one warm-up run of each
// (discarded), then repetition i of every row before repetition i + 1 of any.
// The host's state drifts over seconds on a VM; interleaving keeps a row and
// the references it is compared with equally exposed to it.
void measure_group(std::vector<Pending>& group, const bench::RunConfig& config, bench::Results& results) {
  for (Pending& p : group) static_cast<void>(p.run(milliseconds(config.warmup_ms)));
  const bench::LoadSnapshot before = bench::LoadSnapshot::take();
  for (std::uint32_t i = 0; i < config.repetitions; ++i) {
    for (Pending& p : group) p.row.samples.push_back(p.run(milliseconds(config.duration_ms)));
  }
  const double foreign = bench::foreign_cpu_share(before, bench::LoadSnapshot::take());
  for (Pending& p : group) {
    p.row.foreign_load = foreign;
    results.rows.push_back(std::move(p.row));
  }
  std::fputc('.', stderr);
}

int run(const bench::Options& options) {
  const bench::RunConfig& config = options.config;
  const bench::CpuPlan plan = bench::plan_cpus();
  const bench::MachineInfo machine = bench::describe_machine();
  bench::print_header(machine, plan, config);

  bench::RingStorage storage(config.ring_data_bytes);
  auto ring = [&](std::uint32_t payload, std::uint32_t batch, bool masked) {
    const bench::RingParams params{
        .payload = payload, .batch = batch, .reader_masked = masked, .request_space = config.request_space};
    return Pending{{.kind = bench::Kind::vmbus_ring, .payload = payload, .batch = batch, .reader_masked = masked,
                    .elements_per_packet = 0, .samples = {}},
                   [&storage, &plan, params](milliseconds d) { return bench::run_ring(storage, plan, params, d); }};
  };
  auto spsc = [&](std::uint32_t payload, std::uint32_t batch, bench::SpscMode mode) {
    const bench::SpscParams params{
        .payload = payload, .batch = batch, .capacity_bytes = config.ring_data_bytes, .mode = mode};
    const bench::Kind kind = mode == bench::SpscMode::bulk ? bench::Kind::spsc_queue_bulk : bench::Kind::spsc_queue;
    return Pending{{.kind = kind, .payload = payload, .batch = batch, .reader_masked = false,
                    .elements_per_packet = bench::spsc_elements_per_packet(payload), .samples = {}},
                   [&plan, params](milliseconds d) { return bench::run_spsc(plan, params, d); }};
  };
  auto copy = [&](std::uint32_t payload) {
    return Pending{{.kind = bench::Kind::memcpy_copy, .payload = payload, .batch = 1, .reader_masked = false,
                    .elements_per_packet = 0, .samples = {}},
                   [&plan, payload, area = config.ring_data_bytes](milliseconds d) {
                     return bench::run_memcpy(plan, payload, area, d);
                   }};
  };

  // One group per payload: memcpy, then at each batch the ring, spsc_queue per
  // packet and spsc_queue bulk (not at batch 1: one push of one packet is the
  // per-packet row's work). The rows with the reader's interrupt_mask set go
  // with the 64 B group.
  constexpr std::uint32_t kMaskedPayload = 64;
  bool masked_done = false;
  bench::Results results;
  std::fprintf(stderr, "measuring");
  for (std::uint32_t payload : options.payloads) {
    std::vector<Pending> group;
    group.push_back(copy(payload));
    for (std::uint32_t batch : options.batches) {
      group.push_back(ring(payload, batch, /*masked=*/false));
      group.push_back(spsc(payload, batch, bench::SpscMode::per_packet));
      if (batch > 1) group.push_back(spsc(payload, batch, bench::SpscMode::bulk));
    }
    if (payload == kMaskedPayload && !masked_done) {
      for (std::uint32_t batch : options.batches) group.push_back(ring(payload, batch, /*masked=*/true));
      masked_done = true;
    }
    measure_group(group, config, results);
  }
  if (!masked_done) {
    std::vector<Pending> group;
    for (std::uint32_t batch : options.batches) group.push_back(ring(kMaskedPayload, batch, /*masked=*/true));
    measure_group(group, config, results);
  }
  std::fprintf(stderr, " done\n");

  bench::print_results(results);

  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path);
    out << bench::to_json(machine, plan, config, results).dump(2) << "\n";
    out.close();
    if (!out) {
      std::cerr << "ring_bench: cannot write " << options.json_path << "\n";
      return 1;
    }
    std::printf("\nJSON written to %s\n", options.json_path.c_str());
  }

  int status = 0;
  for (const Measurement& m : results.rows) {
    const bench::Sample t = m.totals();
    if (!t.error.empty() || t.order_errors != 0) {
      std::fprintf(stderr, "ring_bench: %s %u B x%u: %s\n", bench::kind_name(m.kind), m.payload, m.batch,
                   t.error.empty() ? "packets out of order" : t.error.c_str());
      status = 1;
    }
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Options options;
  if (const auto exit_code = bench::parse_options(argc, argv, options)) return *exit_code;
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "ring_bench: " << e.what() << "\n";
    return 1;
  }
}
