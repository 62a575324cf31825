// nic_bench: the netvsc driver moving frames through hvsim's synthetic NIC
// (hvsim in another process), tx only, rx only and loopback, for each frame
// size and queue count, against an AF_UNIX SOCK_SEQPACKET reference
// measured in the same run. A table on stdout, --json FILE for machines.
//
//   nic_bench                 # 64 and 1500 bytes, 1 and 2 queues, 3 x 1 s per row
//   nic_bench --quick         # a smoke run, a few seconds
//   nic_bench --modes tx --sizes 64 --queues 1,2,4 --json out.json
//
// docs/bench.md says how to read the figures and what limits them.
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/host_load.h"
#include "common/json_fields.h"
#include "common/machine_info.h"
#include "common/report_format.h"
#include "common/stop_signal.h"
#include "nic/nic_options.h"
#include "nic/nic_row.h"
#include "nic/unix_reference.h"

namespace bench::nic {
namespace {

nlohmann::ordered_json row_json(const RowResult& r, const std::optional<double>& vs_reference) {
  nlohmann::ordered_json j;
  j["mode"] = mode_name(r.mode);
  j["frame_size"] = r.frame_size;
  j["queues_asked"] = r.queues_asked;
  j["queues"] = r.queues;
  j["mpps"] = summary_json(r.mpps);
  j["gbit_per_s"] = summary_json(r.gbps);
  j["ratio_vs_unix_seqpacket"] = optional_json(vs_reference);
  j["packets_per_signal"] =
      per(r.mode == Mode::rx ? r.rx_packets : r.tx_packets, r.signals);
  j["driver"] = {{"tx_packets", r.tx_packets},         {"rx_packets", r.rx_packets},
                 {"signals", r.signals},               {"tx_ring_full", r.tx_ring_full},
                 {"tx_no_resources", r.tx_no_resources}, {"tx_gpa_direct", r.tx_gpa_direct},
                 {"malformed", r.malformed}};
  j["host"] = r.host_counters;
  j["host_drops"] = r.host_drops;
  j["cpu"] = {{"guest_cores", r.guest_cpu}, {"hvsim_cores", r.hvsim_cpu}};
  j["foreign_load"] = r.foreign_load;
  return j;
}

int run(const NicOptions& options) {
  const MachineInfo machine = describe_machine();
  std::printf("nic_bench: vmbus-sdk %s (%s)\n", machine.sdk_version.c_str(), machine.build_type.c_str());
  std::printf("machine  : %s; %ld cores online; compiler %s\n", machine.cpu_model.c_str(), machine.cores_online,
              machine.compiler.c_str());
  std::printf("hvsim    : %s, a fresh one per row\n", options.hvsim.c_str());
  std::printf("rows     : %u x %u ms each (after %u ms warm-up); burst %u; Gbit/s counts frame bytes only\n",
              options.repetitions, options.duration_ms, options.warmup_ms, options.burst);
  std::printf("guest    : %s%s\n", options.one_thread ? "one thread polls every queue" : "one thread per queue",
              options.cpu ? (", pinned to CPU " + std::to_string(*options.cpu)).c_str() : ", unpinned");

  std::map<std::uint32_t, Summary> reference;
  for (std::uint32_t size : options.frame_sizes) {
    reference[size] = unix_reference_mpps(size, options.burst, options.duration_ms, options.repetitions);
  }

  std::vector<RowResult> rows;
  for (Mode mode : options.modes) {
    for (std::uint32_t size : options.frame_sizes) {
      for (std::uint16_t queues : options.queues) {
        throw_if_stopped();
        rows.push_back(run_row(options, mode, size, queues));
      }
    }
  }

  std::printf("\n== Reference: AF_UNIX SOCK_SEQPACKET, one way between two processes, %u per sendmmsg ==\n",
              options.burst);
  std::printf("%6s %10s %10s\n", "bytes", "Mpps", "Gbit/s");
  for (const auto& [size, s] : reference) {
    std::printf("%6u %10.3f %10.2f\n", size, s.median, s.median * size * 8 / 1e3);
  }
  std::printf("\n== netvsc through hvsim (median of %u; min..max) ==\n", options.repetitions);
  std::printf("%-9s %6s %6s %10s %17s %8s %8s %9s %8s %8s %s\n", "mode", "bytes", "queues", "Mpps", "(min..max)",
              "Gbit/s", "vs unix", "pkts/sig", "guest", "hvsim", "host drops / load");
  for (const RowResult& r : rows) {
    const auto vs = ratio(r.mpps.median, reference[r.frame_size].median);
    char range[40];
    std::snprintf(range, sizeof range, "(%.3f..%.3f)", r.mpps.min, r.mpps.max);
    std::printf("%-9s %6u %3u/%-2u %10.3f %17s %8.2f %8s %9.1f %7.2fc %7.2fc %llu / %s\n", mode_name(r.mode),
                r.frame_size, r.queues, r.queues_asked, r.mpps.median, range, r.gbps.median, ratio_text(vs).c_str(),
                per(r.mode == Mode::rx ? r.rx_packets : r.tx_packets, r.signals), r.guest_cpu, r.hvsim_cpu,
                static_cast<unsigned long long>(r.host_drops), load_text(r.foreign_load).c_str());
  }
  std::printf(
      "\nguest, hvsim: cores busy (CPU seconds per second) in each process. The guest busy-polls (see\n"
      "'guest' above); hvsim's host thread serves every queue. rx rows: the source offers 10 Mpps, host drops are\n"
      "frames that found no free receive slot. pkts/sig: frames per signal the guest sent (tx, loopback)\n"
      "or received (rx).\n");

  if (!options.json_path.empty()) {
    nlohmann::ordered_json j;
    j["benchmark"] = "nic_bench";
    j["machine"] = machine_json(machine);
    j["options"] = {{"duration_ms", options.duration_ms},
                    {"repetitions", options.repetitions},
                    {"warmup_ms", options.warmup_ms},
                    {"burst", options.burst},
                    {"one_thread", options.one_thread},
                    {"cpu", options.cpu ? nlohmann::ordered_json(*options.cpu) : nlohmann::ordered_json(nullptr)},
                    {"quick", options.quick}};
    j["reference"] = nlohmann::ordered_json::array();
    for (const auto& [size, s] : reference) {
      j["reference"].push_back({{"what", "AF_UNIX SOCK_SEQPACKET, sendmmsg/recvmmsg, two processes"},
                                {"frame_size", size},
                                {"mpps", summary_json(s)}});
    }
    j["rows"] = nlohmann::ordered_json::array();
    for (const RowResult& r : rows) j["rows"].push_back(row_json(r, ratio(r.mpps.median, reference[r.frame_size].median)));
    std::ofstream out(options.json_path);
    out << j.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "nic_bench: cannot write %s\n", options.json_path.c_str());
      return 1;
    }
    std::printf("JSON in %s\n", options.json_path.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace bench::nic

int main(int argc, char** argv) {
  bench::nic::NicOptions options;
  options.hvsim = VMBUS_HVSIM_BINARY;
  if (auto exit_code = bench::nic::parse_nic_options(argc, argv, options)) return *exit_code;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  bench::install_stop_handlers();
  try {
    return bench::nic::run(options);
  } catch (const bench::Interrupted& e) {
    std::fprintf(stderr, "nic_bench: stopped by signal %d\n", e.signal);
    return 128 + e.signal;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nic_bench: %s\n", e.what());
    return 1;
  }
}
