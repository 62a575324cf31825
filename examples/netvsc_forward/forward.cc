// vmbus_netvsc_forward: a DPDK-style poll-mode forwarder on the netvsc
// driver, in the manner of testpmd's macswap and io forwarding modes. It
// opens the synthetic NIC with N queues (the host spreads received frames
// over them by RSS), runs one polling thread per queue doing
//   rx_burst -> swap the MACs -> tx_burst (retried, with tx_reclaim),
// prints per-queue and total packets, Mpps and drops once a second, and a
// summary when it stops (--duration, SIGINT or SIGTERM).
//
//   examples/netvsc_forward/run            # one command: build, hvsim with a traffic source, this, the host's count
//   vmbus_netvsc_forward --root /dev/shm/vm1/sys --queues 2 --duration 10    # against a running hvsim
//   vmbus_netvsc_forward --help
//
// The per-packet loop allocates nothing and makes no system call but the
// one signal per burst the protocol needs: every buffer is sized once the
// port is open, and each queue's counters are written by its thread only.
#include <signal.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "forward_options.h"
#include "netvsc/port.h"
#include "vmbus/device/discovery.h"

namespace forward {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};  // set by SIGINT/SIGTERM, the duration, or a rescind
std::atomic<int> g_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int signo) {
  g_signal.store(signo, std::memory_order_relaxed);
  g_stop.store(true, std::memory_order_relaxed);
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  // Installed explicitly: a shell starts background jobs with SIGINT ignored.
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// The queue thread's own counts, read by the main thread once a second.
struct alignas(64) QueueCounters {
  std::atomic<std::uint64_t> rx{0};
  std::atomic<std::uint64_t> tx{0};
  std::atomic<std::uint64_t> dropped{0};  // received but not sent back (tx still full after the retries, or a runt)

  // Single writer: a relaxed load + store, no locked instruction per burst.
  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

struct Totals {
  std::uint64_t rx = 0, tx = 0, dropped = 0;
};

Totals read(const QueueCounters& c) noexcept {
  return {c.rx.load(std::memory_order_relaxed), c.tx.load(std::memory_order_relaxed),
          c.dropped.load(std::memory_order_relaxed)};
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// testpmd's default: 64 tx retries per burst (--burst-tx-retry-num).
constexpr int kTxRetries = 64;
constexpr std::size_t kEthernetHeader = 14;

// One queue: its buffers, allocated before the thread starts, and its loop.
class QueueWorker {
 public:
  QueueWorker(netvsc::Port& port, std::uint16_t queue, const ForwardOptions& options, std::size_t frame_buffer)
      : port_(port),
        queue_(queue),
        burst_(options.burst),
        mode_(options.mode),
        idle_sleep_(options.idle_sleep_us),
        storage_(frame_buffer * options.burst),
        rx_(options.burst),
        tx_(options.burst) {
    for (std::size_t i = 0; i < rx_.size(); ++i) rx_[i].buffer = std::span(storage_).subspan(i * frame_buffer, frame_buffer);
  }

  const QueueCounters& counters() const noexcept { return counters_; }

  void run() noexcept {
    while (!g_stop.load(std::memory_order_relaxed)) {
      const std::uint16_t got = port_.rx_burst(queue_, rx_.data(), burst_);
      if (got == 0) {
        idle();
        if (port_.rescinded()) break;
        continue;
      }
      std::uint16_t ready = 0;
      std::uint64_t dropped = 0;
      for (std::uint16_t i = 0; i < got; ++i) {
        std::span<std::byte> frame = rx_[i].buffer.first(rx_[i].length);
        if (frame.size() < kEthernetHeader) {  // no MACs to swap: the host should never send one
          ++dropped;
          continue;
        }
        if (mode_ == Mode::macswap) std::swap_ranges(frame.begin(), frame.begin() + 6, frame.begin() + 6);
        // No DmaRegion: tx_burst copies the frame into the send buffer, so
        // the receive buffer is free again as soon as the call returns.
        tx_[ready] = netvsc::TxPacket{.frame = frame};
        if ((rx_[i].flags & netvsc::kRxVlan) != 0) {  // the host stripped a tag: it goes back on the frame
          tx_[ready].flags = netvsc::kTxVlan;
          tx_[ready].vlan_tci = rx_[i].vlan_tci;
        }
        ++ready;
      }
      std::uint16_t sent = 0;
      for (int attempt = 0; sent < ready && attempt <= kTxRetries; ++attempt) {
        sent = static_cast<std::uint16_t>(sent + port_.tx_burst(queue_, tx_.data() + sent, static_cast<std::uint16_t>(ready - sent)));
        // The ring or the send sections were full: collect the host's
        // completions (and flush a section left over), then try again.
        if (sent < ready) reclaim();
      }
      dropped += static_cast<std::uint64_t>(ready - sent);
      QueueCounters::add(counters_.rx, got);
      QueueCounters::add(counters_.tx, sent);
      if (dropped != 0) QueueCounters::add(counters_.dropped, dropped);
    }
  }

 private:
  // Nothing arrived: the moment to let completions retire. Every frame is
  // copied (no GPA direct), so no cookie ever comes back; tx_reclaim still
  // drains completions and flushes a send section a full ring left behind.
  void idle() noexcept {
    reclaim();
    if (idle_sleep_.count() != 0) {
      std::this_thread::sleep_for(idle_sleep_);
    } else {
      cpu_relax();
    }
  }
  void reclaim() noexcept {
    while (port_.tx_reclaim(queue_, cookies_.data(), static_cast<std::uint16_t>(cookies_.size())) == cookies_.size()) {
    }
  }

  netvsc::Port& port_;
  const std::uint16_t queue_;
  const std::uint16_t burst_;
  const Mode mode_;
  const std::chrono::microseconds idle_sleep_;
  std::vector<std::byte> storage_;
  std::vector<netvsc::RxPacket> rx_;
  std::vector<netvsc::TxPacket> tx_;
  std::array<std::uint64_t, 32> cookies_{};
  QueueCounters counters_;
};

double mpps(std::uint64_t packets, double seconds) { return seconds > 0 ? static_cast<double>(packets) / seconds / 1e6 : 0.0; }

void print_row(const char* time, const std::string& queue, const Totals& t, double rx_mpps, double tx_mpps) {
  std::printf("%7s %6s %12llu %12llu %9llu %8.3f %8.3f\n", time, queue.c_str(), static_cast<unsigned long long>(t.rx),
              static_cast<unsigned long long>(t.tx), static_cast<unsigned long long>(t.dropped), rx_mpps, tx_mpps);
}

std::string nvsp_version_text(netvsc::nvsp::Version v) {
  switch (v) {
    case netvsc::nvsp::Version::v1: return "1";
    case netvsc::nvsp::Version::v2: return "2";
    case netvsc::nvsp::Version::v4: return "4";
    case netvsc::nvsp::Version::v5: return "5";
    case netvsc::nvsp::Version::v6: return "6";
    case netvsc::nvsp::Version::v61: return "6.1";
  }
  return "?";
}

int run(const ForwardOptions& options) {
  const vmbus::SysfsRoot root = vmbus::SysfsRoot::from_option(options.root);
  const vmbus::DeviceInfo nic = vmbus::find_device(root, options.device);
  netvsc::PortConfig config;
  config.queues = options.queues;
  config.on_link_change = [](const netvsc::LinkEvent& e) {
    std::printf("link %s, %llu Mb/s (queue %u)\n", e.state.up ? "up" : "down",
                static_cast<unsigned long long>(e.state.speed_bps / 1'000'000), e.queue);
  };
  netvsc::OpenedPort opened = netvsc::open_port(root, nic.instance, config);
  netvsc::Port& port = *opened.port;
  const netvsc::PortInfo& info = port.info();
  const std::uint16_t queues = port.queue_count();
  std::printf("opened %s (%s): MAC %s, NVSP %s, MTU %u, link %s, %u queue%s (asked for %u)\n", nic.instance.str().c_str(),
              opened.device->describe().c_str(), netvsc::to_string(port.mac()).c_str(),
              nvsp_version_text(info.nvsp_version).c_str(), info.mtu, port.link().up ? "up" : "down", queues,
              queues == 1 ? "" : "s", options.queues);

  // Frames are at most MTU + 14 (Ethernet) + 4 (an 802.1Q tag the host kept), rounded to a cache line.
  const std::size_t frame_buffer = (std::size_t{info.mtu} + 18 + 63) / 64 * 64;
  std::vector<std::unique_ptr<QueueWorker>> workers;
  for (std::uint16_t q = 0; q < queues; ++q) workers.push_back(std::make_unique<QueueWorker>(port, q, options, frame_buffer));

  char until[64] = "until Ctrl-C";
  if (options.duration_s > 0) std::snprintf(until, sizeof until, "for %g s or until Ctrl-C", options.duration_s);
  std::printf("forwarding (%s, burst %u) on %u queue%s, %s\n", mode_name(options.mode), options.burst, queues,
              queues == 1 ? "" : "s", until);
  std::printf("%7s %6s %12s %12s %9s %8s %8s\n", "time_s", "queue", "rx", "tx", "dropped", "rx_Mpps", "tx_Mpps");

  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });

  const auto end = options.duration_s > 0 ? start + std::chrono::duration_cast<Clock::duration>(
                                                        std::chrono::duration<double>(options.duration_s))
                                          : Clock::time_point::max();
  std::vector<Totals> last(queues);
  auto last_time = start;
  auto next_report = start + std::chrono::seconds(1);
  while (!g_stop.load(std::memory_order_relaxed)) {
    const auto now = Clock::now();
    if (now >= end) break;
    if (port.rescinded()) {
      std::printf("the host rescinded the NIC: stopping\n");
      break;
    }
    if (now < next_report) {
      std::this_thread::sleep_for(std::min<Clock::duration>({next_report - now, end - now, std::chrono::milliseconds(50)}));
      continue;
    }
    const double interval = std::chrono::duration<double>(now - last_time).count();
    char time[16];
    std::snprintf(time, sizeof time, "%.1f", std::chrono::duration<double>(now - start).count());
    Totals total, total_last;
    for (std::uint16_t q = 0; q < queues; ++q) {
      const Totals t = read(workers[q]->counters());
      print_row(time, std::to_string(q), t, mpps(t.rx - last[q].rx, interval), mpps(t.tx - last[q].tx, interval));
      total.rx += t.rx, total.tx += t.tx, total.dropped += t.dropped;
      total_last.rx += last[q].rx, total_last.tx += last[q].tx;
      last[q] = t;
    }
    if (queues > 1) print_row(time, "total", total, mpps(total.rx - total_last.rx, interval), mpps(total.tx - total_last.tx, interval));
    last_time = now;
    next_report += std::chrono::seconds(1);
    if (next_report <= now) next_report = now + std::chrono::seconds(1);  // late (a loaded machine): no catching up
  }
  g_stop.store(true, std::memory_order_relaxed);
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const bool rescinded = port.rescinded();

  // The summary: this program's counts, then the driver's own.
  if (const int signo = g_signal.load(std::memory_order_relaxed); signo != 0) {
    std::printf("\nstopped by %s\n", signo == SIGINT ? "SIGINT" : "SIGTERM");
  } else {
    std::printf("\n");
  }
  std::printf("%6s %12s %12s %9s %8s %8s\n", "queue", "rx", "tx", "dropped", "rx_Mpps", "tx_Mpps");
  Totals total;
  for (std::uint16_t q = 0; q < queues; ++q) {
    const Totals t = read(workers[q]->counters());
    std::printf("%6u %12llu %12llu %9llu %8.3f %8.3f\n", q, static_cast<unsigned long long>(t.rx),
                static_cast<unsigned long long>(t.tx), static_cast<unsigned long long>(t.dropped), mpps(t.rx, seconds),
                mpps(t.tx, seconds));
    total.rx += t.rx, total.tx += t.tx, total.dropped += t.dropped;
  }
  std::printf("%6s %12llu %12llu %9llu %8.3f %8.3f\n", "total", static_cast<unsigned long long>(total.rx),
              static_cast<unsigned long long>(total.tx), static_cast<unsigned long long>(total.dropped),
              mpps(total.rx, seconds), mpps(total.tx, seconds));
  const netvsc::PortStats s = port.stats();
  std::printf("driver: rx %llu, tx %llu, tx completions %llu, tx ring full %llu, tx no resources %llu, "
              "rx dropped %llu, rx errors %llu, malformed %llu, signals %llu\n",
              static_cast<unsigned long long>(s.total.rx_packets), static_cast<unsigned long long>(s.total.tx_packets),
              static_cast<unsigned long long>(s.total.tx_completions), static_cast<unsigned long long>(s.total.tx_ring_full),
              static_cast<unsigned long long>(s.total.tx_no_resources),
              static_cast<unsigned long long>(s.total.rx_dropped_too_small + s.total.rx_dropped_control),
              static_cast<unsigned long long>(s.total.rx_errors), static_cast<unsigned long long>(s.total.malformed_total()),
              static_cast<unsigned long long>(s.total.signals));
  std::printf("summary: rx %llu, tx %llu, dropped %llu frames in %.2f s on %u queue%s (%s): %.3f Mpps forwarded\n",
              static_cast<unsigned long long>(total.rx), static_cast<unsigned long long>(total.tx),
              static_cast<unsigned long long>(total.dropped), seconds, queues, queues == 1 ? "" : "s",
              mode_name(options.mode), mpps(total.tx, seconds));
  if (rescinded) {
    std::fprintf(stderr, "vmbus_netvsc_forward: the host rescinded the NIC %s\n", nic.instance.str().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace forward

int main(int argc, char** argv) {
  forward::ForwardOptions options;
  if (std::optional<int> exit_code = forward::parse_forward_options(argc, argv, options)) return *exit_code;
  // Line by line even into a pipe, so that whoever reads the output sees each report as it happens.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  forward::install_stop_handlers();
  try {
    return forward::run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vmbus_netvsc_forward: %s\n", e.what());
    return 1;
  }
}
