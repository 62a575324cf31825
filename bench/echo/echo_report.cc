// The header and the tables echo_bench prints.
#include "echo/echo_report.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "common/host_load.h"
#include "common/report_format.h"

namespace bench::echo {
namespace {

long sysconf_clock_ticks() { return ::sysconf(_SC_CLK_TCK); }

std::string spread_text(const Summary& s, double scale) {
  char text[64];
  std::snprintf(text, sizeof text, "%7.3f [%7.3f .. %7.3f]", s.median * scale, s.min * scale, s.max * scale);
  return text;
}

void print_latency(const EchoResults& results) {
  std::printf("\n== Round trip, one packet in flight (us) ==\n");
  std::printf("%8s | %-26s | %-26s | %-23s\n", "", "   vmbus (hvsim echo)", "   socket (reference)",
              " ratio vmbus / socket");
  std::printf("%8s | %8s %8s %8s | %8s %8s %8s | %7s %7s %7s\n", "payload", "p50", "p99", "p99.9", "p50", "p99",
              "p99.9", "p50", "p99", "p99.9");
  for (const PayloadResult& r : results.rows) {
    const Percentiles v = r.vmbus.latency();
    const Percentiles s = r.socket.latency();
    std::printf("%8s | %8.1f %8.1f %8.1f | %8.1f %8.1f %8.1f | %7s %7s %7s\n", size_text(r.payload).c_str(), v.p50,
                v.p99, v.p999, s.p50, s.p99, s.p999, ratio_text(r.latency_ratio(&Percentiles::p50)).c_str(),
                ratio_text(r.latency_ratio(&Percentiles::p99)).c_str(),
                ratio_text(r.latency_ratio(&Percentiles::p999)).c_str());
  }
  std::printf(
      "vmbus: send_inband() (one signal), spin on receive() until the echo; socket: send(), blocking recv().\n"
      "Percentiles by nearest rank over every round trip of every repetition. Ratio below 1: VMBus is faster.\n");
}

void print_throughput(const EchoOptions& options, const EchoResults& results) {
  std::printf("\n== Throughput, up to %u packets in flight (echoed packets; Gbit/s of payload, one way) ==\n",
              options.window);
  std::printf("%8s | %-42s | %-42s | %7s\n", "", "   vmbus (hvsim echo)", "   socket (reference)", "ratio");
  std::printf("%8s | %-27s %7s %6s | %-27s %7s %6s | %7s\n", "payload", "Mpps med [min .. max]", "Gbit/s", "flight",
              "Mpps med [min .. max]", "Gbit/s", "flight", "Mpps");
  for (const PayloadResult& r : results.rows) {
    std::printf("%8s | %-27s %7.3f %6u | %-27s %7.3f %6u | %7s\n", size_text(r.payload).c_str(),
                spread_text(r.vmbus.pps(), 1e-6).c_str(), r.vmbus.gbps().median, r.vmbus.max_in_flight(),
                spread_text(r.socket.pps(), 1e-6).c_str(), r.socket.gbps().median, r.socket.max_in_flight(),
                ratio_text(r.throughput_ratio()).c_str());
  }
  std::printf(
      "Both paths top the window up once half of it came back (vmbus: write()s then one flush(); socket:\n"
      "non-blocking send()s) and take every echo there is. flight = packets in flight at most: a full ring\n"
      "or socket buffer caps it below the window. Ratio of medians, above 1: VMBus is faster.\n");
}

void print_signal_row(std::uint32_t payload, const char* phase, const SignalCost& c) {
  const HostCounters& h = c.host;
  std::printf("%8s %-10s | %9llu | %9llu %7.4f | %9llu %7.4f %11llu | %10llu | %8llu %8.2f | %7llu\n",
              size_text(payload).c_str(), phase, static_cast<unsigned long long>(h.packets_in),
              static_cast<unsigned long long>(c.guest_signals_sent), per(c.guest_signals_sent, c.guest_packets_sent),
              static_cast<unsigned long long>(h.signals), per(h.signals, h.packets_in),
              static_cast<unsigned long long>(h.signals_unnecessary), static_cast<unsigned long long>(h.interrupts),
              static_cast<unsigned long long>(h.drains), per(h.packets_in, h.drains),
              static_cast<unsigned long long>(h.host_blocked));
}

void print_signals(const EchoResults& results) {
  std::printf("\n== What the VMBus runs cost: signals (guest = this process's SDK counters, host = hvsim's) ==\n");
  std::printf("%8s %-10s | %9s | %-17s | %-31s | %10s | %-17s | %7s\n", "", "", "", "  guest signals",
              "  host: signals taken", "", "  host drains", "");
  std::printf("%8s %-10s | %9s | %9s %7s | %9s %7s %11s | %10s | %8s %8s | %7s\n", "payload", "phase", "packets",
              "sent", "per pkt", "taken", "per pkt", "unnecessary", "interrupts", "drains", "pkt/drn", "blocked");
  for (const PayloadResult& r : results.rows) {
    print_signal_row(r.payload, "latency", r.latency_cost);
    print_signal_row(r.payload, "throughput", r.throughput_cost);
  }
  std::printf(
      "A guest signals only when its flush turned the TX ring from empty to non-empty while hvsim's mask was\n"
      "clear (hv_ringbuffer_write); hvsim counts a signal unnecessary when it had nothing to do with it. hvsim\n"
      "takes monitor bits in scans, so guest signals set between two scans count once there. interrupts = host\n"
      "to guest (0: the guest polls with its RX mask set). blocked = echoes that waited for RX ring room.\n");
}

void print_cpu(const MachineInfo& machine, const EchoResults& results) {
  std::printf("\n== CPU during the throughput runs (cores busy; %ld online) ==\n", machine.cores_online);
  std::printf("%8s %-6s | %6s %6s %6s %7s\n", "payload", "path", "guest", "hvsim", "child", "other");
  double worst = -1;
  for (const PayloadResult& r : results.rows) {
    for (const auto& [name, path] : {std::pair<const char*, const PathResult*>{"vmbus", &r.vmbus},
                                     std::pair<const char*, const PathResult*>{"socket", &r.socket}}) {
      const CpuTime& c = path->cpu;
      if (!c.valid) {
        std::printf("%8s %-6s | %6s %6s %6s %7s\n", size_text(r.payload).c_str(), name, "?", "?", "?", "?");
        continue;
      }
      const double share = c.other_share(machine.cores_online);
      worst = std::max(worst, share);
      std::printf("%8s %-6s | %6.2f %6.2f %6.2f %6.2f%s\n", size_text(r.payload).c_str(), name, c.cores(c.guest),
                  c.cores(c.hvsim), c.cores(c.peer), c.other_cores(), share > kForeignLoadWarning ? "!" : " ");
    }
  }
  std::printf(
      "guest = this process (it spins while it waits for VMBus echoes, sleeps in recv() for socket ones);\n"
      "hvsim = every hvsim thread; child = the socket echo child; other = everything else on the machine\n"
      "(kernel work not charged to a process included). From /proc in %ld Hz ticks.\n",
      sysconf_clock_ticks());
  if (worst > kForeignLoadWarning) {
    std::printf(
        "WARNING: other processes took up to %.0f%% of the CPUs during a run (rows marked !): those numbers\n"
        "         are not representative; rerun on a quiet machine\n",
        worst * 100);
  } else if (worst >= 0) {
    std::printf("other processes: at most %.0f%% of the CPUs during any run (quiet enough)\n", worst * 100);
  }
}

}  // namespace

void print_header(const MachineInfo& machine, const EchoOptions& options, const RunInfo& info) {
  std::printf("echo_bench: cross-process echo through hvsim vs a UNIX socket echo (vmbus-sdk %s, %s build)\n",
              machine.sdk_version.c_str(), machine.build_type.c_str());
  std::printf("machine  : %s; compiler %s\n", machine.cpu_model.c_str(), machine.compiler.c_str());
  std::printf(
      "CPUs     : %ld online. This process (the guest, polling), hvsim's host thread and the socket\n"
      "           echo child all want one: %s\n",
      machine.cores_online,
      machine.cores_online <= 2 ? "with 2 or fewer they compete, and the numbers show it"
                                : "with 3 or more each can have its own");
  std::string scan = "at an unknown latency (no channels/<relid>/latency)";
  if (info.monitor_latency_us && *info.monitor_latency_us > 0) {
    char text[64];
    std::snprintf(text, sizeof text, "every %.1f us", *info.monitor_latency_us);
    scan = text;
  } else if (info.monitor_latency_us) {
    scan = "continuously (monitor latency 0: a busy poll)";
  }
  std::printf(
      "hvsim    : %s (pid %d) under %s;\n"
      "           it scans guest signals (monitor bits) %s%s\n",
      info.hvsim_binary.c_str(), info.hvsim_pid, info.hvsim_root.c_str(), scan.c_str(),
      info.monitor_latency_given ? " (--monitor-latency-us)" : " (hvsim's default, netvsc's value)");
  std::printf(
      "device   : echo %s, relid %u, monitor id %s, ring %s per direction;\n"
      "           %s, primary channel in poll mode\n",
      info.device_instance.c_str(), info.relid, info.monitor_id ? std::to_string(*info.monitor_id).c_str() : "none",
      size_text(info.ring_bytes).c_str(), info.device_backing.c_str());
  std::printf("reference: a forked child (pid %d) echoing over socketpair(AF_UNIX, SOCK_SEQPACKET), blocking\n",
              info.peer_pid);
  std::string payloads;
  for (std::uint32_t p : options.payloads) payloads += (payloads.empty() ? "" : ", ") + size_text(p);
  std::printf(
      "run      : payloads %s; latency: %u round trips per payload and path; throughput:\n"
      "           window %u, %u ms x %u repetitions after a %u ms warm-up, paths interleaved%s\n",
      payloads.c_str(), options.round_trips, options.window, options.duration_ms, options.repetitions,
      options.warmup_ms, options.quick ? " (--quick)" : "");
  std::fflush(stdout);
}

void print_results(const MachineInfo& machine, const EchoOptions& options, const EchoResults& results) {
  print_latency(results);
  print_throughput(options, results);
  print_signals(results);
  print_cpu(machine, results);
}

}  // namespace bench::echo
