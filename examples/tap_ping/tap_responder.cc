// vmbus_tap_responder: a tiny IPv4 host in user space on the netvsc driver.
// It opens the synthetic NIC, owns one IPv4 address (default 10.200.0.2),
// answers ARP requests and ICMP echo requests for it (responder.cc), and
// ignores and counts everything else. With hvsim's NIC backend "tap", the
// host's kernel reaches it through a TAP interface, so `ping` works.
//
//   examples/tap_ping/run                   # one command: build, hvsim on a TAP, this, ping -c 5
//   vmbus_tap_responder --root /dev/shm/vm1/sys --ip 10.200.0.2    # against a running hvsim
//   vmbus_tap_responder --help
//
// One thread polls every queue. Buffers are sized once the port is open;
// the per-packet path allocates nothing (a reply's log line is formatted on
// the stack; --quiet drops it).
#include <signal.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>
#include <vector>

#include "netvsc/port.h"
#include "responder.h"
#include "responder_options.h"
#include "vmbus/device/discovery.h"

namespace tap {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

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

constexpr std::uint16_t kBurst = 32;
constexpr int kTxRetries = 64;

void log_reply(Verdict v, const Reply& r) {
  const Ipv4& ip = r.peer_ip;
  const Mac& m = r.peer_mac;
  if (v == Verdict::arp_reply) {
    std::printf("ARP: %u.%u.%u.%u (%02x:%02x:%02x:%02x:%02x:%02x) asks who has our address: replied\n", ip[0], ip[1],
                ip[2], ip[3], m[0], m[1], m[2], m[3], m[4], m[5]);
  } else {
    std::printf("ICMP: echo request from %u.%u.%u.%u, id %u seq %u, %zu bytes: replied\n", ip[0], ip[1], ip[2], ip[3],
                r.echo_id, r.echo_seq, r.echo_bytes);
  }
}

class Responder {
 public:
  Responder(netvsc::Port& port, const ResponderOptions& options)
      : port_(port), options_(options), me_{port.mac(), options.ip} {
    // Frames are at most MTU + 14 (Ethernet) + 4 (an 802.1Q tag the host kept).
    const std::size_t size = std::size_t{port.info().mtu} + 18;
    rx_storage_.resize(size * kBurst);
    tx_storage_.resize(size * kBurst);
    for (std::size_t i = 0; i < kBurst; ++i) {
      rx_[i].buffer = std::span(rx_storage_).subspan(i * size, size);
      tx_buffers_[i] = std::span(tx_storage_).subspan(i * size, size);
    }
  }

  // Polls until a signal, the duration, or a rescind.
  void run() {
    const auto end = options_.duration_s > 0 ? Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                                  std::chrono::duration<double>(options_.duration_s))
                                             : Clock::time_point::max();
    while (!g_stop.load(std::memory_order_relaxed) && !port_.rescinded() && Clock::now() < end) {
      bool busy = false;
      for (std::uint16_t q = 0; q < port_.queue_count(); ++q) busy = poll(q) || busy;
      if (!busy && options_.idle_sleep_us != 0) std::this_thread::sleep_for(std::chrono::microseconds(options_.idle_sleep_us));
    }
  }

  const std::array<std::uint64_t, kVerdicts>& counts() const noexcept { return counts_; }
  std::uint64_t received() const noexcept { return received_; }
  std::uint64_t tx_dropped() const noexcept { return tx_dropped_; }

 private:
  // One burst from queue q, its replies sent back on q. True if it found frames.
  bool poll(std::uint16_t q) {
    const std::uint16_t got = port_.rx_burst(q, rx_.data(), kBurst);
    if (got == 0) {
      reclaim(q);
      return false;
    }
    received_ += got;
    std::uint16_t replies = 0;
    for (std::uint16_t i = 0; i < got; ++i) {
      Reply reply;
      const Verdict v = respond(rx_[i].frame(), me_, tx_buffers_[replies], reply);
      ++counts_[static_cast<std::size_t>(v)];
      if (!answered(v)) continue;
      if (!options_.quiet) log_reply(v, reply);
      tx_[replies] = netvsc::TxPacket{.frame = tx_buffers_[replies].first(reply.length)};
      ++replies;
    }
    std::uint16_t sent = 0;
    for (int attempt = 0; sent < replies && attempt <= kTxRetries; ++attempt) {
      sent = static_cast<std::uint16_t>(sent + port_.tx_burst(q, tx_.data() + sent, static_cast<std::uint16_t>(replies - sent)));
      if (sent < replies) reclaim(q);
    }
    tx_dropped_ += static_cast<std::uint64_t>(replies - sent);
    return true;
  }

  // Replies are copied into the send buffer (no GPA direct), so no cookie
  // comes back; tx_reclaim still retires completions and flushes a section
  // a full ring left behind.
  void reclaim(std::uint16_t q) noexcept {
    while (port_.tx_reclaim(q, cookies_.data(), static_cast<std::uint16_t>(cookies_.size())) == cookies_.size()) {
    }
  }

  netvsc::Port& port_;
  const ResponderOptions& options_;
  const Identity me_;
  std::vector<std::byte> rx_storage_, tx_storage_;
  std::array<netvsc::RxPacket, kBurst> rx_{};
  std::array<std::span<std::byte>, kBurst> tx_buffers_{};
  std::array<netvsc::TxPacket, kBurst> tx_{};
  std::array<std::uint64_t, 32> cookies_{};
  std::array<std::uint64_t, kVerdicts> counts_{};
  std::uint64_t received_ = 0;
  std::uint64_t tx_dropped_ = 0;
};

int run(const ResponderOptions& options) {
  const vmbus::SysfsRoot root = vmbus::SysfsRoot::from_option(options.root);
  const vmbus::DeviceInfo nic = vmbus::find_device(root, options.device);
  netvsc::PortConfig config;
  config.queues = options.queues;
  config.on_link_change = [](const netvsc::LinkEvent& e) {
    std::printf("link %s, %llu Mb/s\n", e.state.up ? "up" : "down",
                static_cast<unsigned long long>(e.state.speed_bps / 1'000'000));
  };
  netvsc::OpenedPort opened = netvsc::open_port(root, nic.instance, config);
  netvsc::Port& port = *opened.port;
  const Ipv4& ip = options.ip;
  std::printf("opened %s (%s): MAC %s, MTU %u, link %s, %u queue%s\n", nic.instance.str().c_str(),
              opened.device->describe().c_str(), netvsc::to_string(port.mac()).c_str(), port.info().mtu,
              port.link().up ? "up" : "down", port.queue_count(), port.queue_count() == 1 ? "" : "s");

  Responder responder(port, options);
  std::printf("answering ARP and ICMP echo for %u.%u.%u.%u at %s; Ctrl-C to stop\n", ip[0], ip[1], ip[2], ip[3],
              netvsc::to_string(port.mac()).c_str());
  responder.run();

  if (const int signo = g_signal.load(std::memory_order_relaxed); signo != 0) {
    std::printf("stopped by %s\n", signo == SIGINT ? "SIGINT" : "SIGTERM");
  }
  const auto& c = responder.counts();
  auto n = [&](Verdict v) { return static_cast<unsigned long long>(c[static_cast<std::size_t>(v)]); };
  std::printf("summary: received %llu frames: %llu ARP replies, %llu echo replies; ignored %llu not for us, "
              "%llu other protocols, %llu malformed; %llu replies dropped (tx full)\n",
              static_cast<unsigned long long>(responder.received()), n(Verdict::arp_reply), n(Verdict::echo_reply),
              n(Verdict::not_for_us), n(Verdict::other_protocol), n(Verdict::malformed),
              static_cast<unsigned long long>(responder.tx_dropped()));
  const netvsc::PortStats s = port.stats();
  std::printf("driver: rx %llu, tx %llu, rx dropped %llu, tx errors %llu, malformed %llu\n",
              static_cast<unsigned long long>(s.total.rx_packets), static_cast<unsigned long long>(s.total.tx_packets),
              static_cast<unsigned long long>(s.total.rx_dropped_too_small + s.total.rx_dropped_control),
              static_cast<unsigned long long>(s.total.tx_errors), static_cast<unsigned long long>(s.total.malformed_total()));
  if (port.rescinded()) {
    std::fprintf(stderr, "vmbus_tap_responder: the host rescinded the NIC %s\n", nic.instance.str().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace tap

int main(int argc, char** argv) {
  tap::ResponderOptions options;
  if (std::optional<int> exit_code = tap::parse_responder_options(argc, argv, options)) return *exit_code;
  // Line by line even into a pipe or file, so each reply shows as it happens.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  tap::install_stop_handlers();
  try {
    return tap::run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vmbus_tap_responder: %s\n", e.what());
    return 1;
  }
}
