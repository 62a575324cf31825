// The JSON echo_bench writes with --json.
#include "echo/echo_json.h"

#include "common/json_fields.h"
#include "common/report_format.h"

namespace bench::echo {
namespace {

using nlohmann::ordered_json;

ordered_json path_json(const PathResult& p, long cores_online) {
  ordered_json cpu = nullptr;
  if (p.cpu.valid) {
    cpu = {{"seconds", p.cpu.seconds},
           {"guest_cores", p.cpu.cores(p.cpu.guest)},
           {"hvsim_cores", p.cpu.cores(p.cpu.hvsim)},
           {"socket_child_cores", p.cpu.cores(p.cpu.peer)},
           {"other_cores", p.cpu.other_cores()},
           {"foreign_cpu_share", p.cpu.other_share(cores_online)}};
  }
  return {
      {"latency_us", percentiles_json(p.latency())},
      {"throughput",
       {{"pps", summary_json(p.pps())},
        {"gbps", summary_json(p.gbps())},
        {"packets", p.packets()},
        {"batches", p.batches()},
        {"max_in_flight", p.max_in_flight()}}},
      {"cpu", cpu},
  };
}

ordered_json cost_json(const SignalCost& c) {
  ordered_json host;
  for (const auto& [name, member] : HostCounters::kFields) host[name] = c.host.*member;
  return {
      {"packets", c.host.packets_in},
      {"guest_signals_sent", c.guest_signals_sent},
      {"guest_signals_per_packet", per(c.guest_signals_sent, c.guest_packets_sent)},
      {"host_signals_per_packet", per(c.host.signals, c.host.packets_in)},
      {"signals_unnecessary", c.host.signals_unnecessary},
      {"host", host},
  };
}

}  // namespace

ordered_json to_json(const MachineInfo& machine, const EchoOptions& options, const EchoResults& results) {
  const RunInfo& info = results.info;
  ordered_json j;
  j["benchmark"] = "echo_bench";
  j["sdk_version"] = machine.sdk_version;
  j["machine"] = machine_json(machine);
  j["config"] = {
      {"payloads", options.payloads},   {"round_trips", options.round_trips},
      {"window", options.window},       {"duration_ms", options.duration_ms},
      {"warmup_ms", options.warmup_ms}, {"repetitions", options.repetitions},
      {"quick", options.quick},
  };
  j["hvsim"] = {
      {"binary", info.hvsim_binary},
      {"root", info.hvsim_root},
      {"monitor_latency_us", optional_json(info.monitor_latency_us)},
      {"monitor_latency_given", info.monitor_latency_given},
  };
  j["device"] = {
      {"instance", info.device_instance},
      {"backing", info.device_backing},
      {"relid", info.relid},
      {"monitor_id", info.monitor_id ? ordered_json(*info.monitor_id) : ordered_json(nullptr)},
      {"ring_bytes_per_direction", info.ring_bytes},
  };
  j["reference"] = "forked child echoing over socketpair(AF_UNIX, SOCK_SEQPACKET), blocking recv/send";
  j["units"] = {
      {"latency_us", "round-trip time in microseconds, percentiles by nearest rank"},
      {"pps", "echoed packets per second"},
      {"gbps", "echoed payload bits per second / 1e9, one direction"},
      {"ratios", "vmbus / socket: throughput above 1 and latency below 1 mean VMBus is faster"},
  };

  ordered_json rows = ordered_json::array();
  for (const PayloadResult& r : results.rows) {
    rows.push_back({
        {"payload_bytes", r.payload},
        {"vmbus", path_json(r.vmbus, machine.cores_online)},
        {"socket", path_json(r.socket, machine.cores_online)},
        {"ratios",
         {{"throughput", optional_json(r.throughput_ratio())},
          {"latency_p50", optional_json(r.latency_ratio(&Percentiles::p50))},
          {"latency_p99", optional_json(r.latency_ratio(&Percentiles::p99))},
          {"latency_p999", optional_json(r.latency_ratio(&Percentiles::p999))}}},
        {"signals", {{"latency", cost_json(r.latency_cost)}, {"throughput", cost_json(r.throughput_cost)}}},
    });
  }
  j["results"] = std::move(rows);
  return j;
}

}  // namespace bench::echo
