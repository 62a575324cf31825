// The per-queue loops of nic_bench: no allocation, lock or system call in
// them beyond what the driver's bursts do (one signal per burst).
#include "nic/nic_traffic.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include <pthread.h>
#include <sched.h>

#include "netvsc/protocol/toeplitz.h"

namespace bench::nic {
namespace {

constexpr std::size_t kFrameSlot = 2048;  // per queue in the DMA region

// A TCP source port whose flow RSS sends to `queue` of `queues` (the
// driver's default key and round-robin table).
std::uint16_t port_for_queue(std::uint16_t queue, std::uint16_t queues) {
  const netvsc::rss::Toeplitz hasher(netvsc::rss::kVerificationKey);
  const auto table = netvsc::rss::IndirectionTable::round_robin(queues);
  for (std::uint32_t sport = 10000; sport < 65536; ++sport) {
    const std::uint32_t hash = hasher.ipv4_l4({10, 0, 0, 1}, {10, 0, 0, 2}, static_cast<std::uint16_t>(sport), 5001);
    if (queues == 1 || table.queue_for(hash) == queue) return static_cast<std::uint16_t>(sport);
  }
  return 10000;
}

void build_frame(std::span<std::byte> f, const netvsc::MacAddress& dst, std::uint16_t sport) {
  const std::uint8_t header[54] = {
      dst[0], dst[1], dst[2], dst[3], dst[4], dst[5], 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,  // Ethernet
      0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,                // IPv4
      static_cast<std::uint8_t>(sport >> 8), static_cast<std::uint8_t>(sport), 0x13, 0x89,  // TCP ports
      0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0};
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = std::byte(i < sizeof header ? header[i] : i & 0xff);
  const std::size_t ip_len = f.size() - 14;
  f[16] = std::byte(ip_len >> 8);
  f[17] = std::byte(ip_len & 0xff);
}

}  // namespace

QueueTraffic::QueueTraffic(netvsc::OpenedPort& opened, Mode mode, std::uint32_t frame_size, std::uint32_t burst,
                           ThreadLayout layout)
    : port_(*opened.port),
      mode_(mode),
      frame_size_(frame_size),
      burst_(burst),
      layout_(layout),
      frames_(opened.device->allocate_dma(kFrameSlot * port_.queue_count())),
      counters_(std::make_unique<Counters[]>(port_.queue_count())) {
  for (std::uint16_t q = 0; q < port_.queue_count(); ++q) {
    build_frame(frames_.memory().subspan(q * kFrameSlot, frame_size_), port_.mac(),
                port_for_queue(q, port_.queue_count()));
  }
}

QueueTraffic::~QueueTraffic() { stop(); }

void QueueTraffic::start() {
  const std::uint16_t queues = port_.queue_count();
  if (layout_.one_thread) {
    threads_.emplace_back([this, queues] { run(0, queues); });
  } else {
    for (std::uint16_t q = 0; q < queues; ++q) threads_.emplace_back([this, q] { run(q, 1); });
  }
  if (layout_.cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(*layout_.cpu, &set);
    for (std::thread& t : threads_) {
      if (const int e = ::pthread_setaffinity_np(t.native_handle(), sizeof set, &set); e != 0) {
        stop();
        throw std::system_error(e, std::generic_category(), "nic_bench: pinning a polling thread to CPU " +
                                                                std::to_string(*layout_.cpu));
      }
    }
  }
}

void QueueTraffic::stop() noexcept {
  stop_.store(true, std::memory_order_relaxed);
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

std::uint64_t QueueTraffic::sent() const noexcept {
  std::uint64_t n = 0;
  for (std::uint16_t q = 0; q < port_.queue_count(); ++q) n += counters_[q].sent.load(std::memory_order_relaxed);
  return n;
}

std::uint64_t QueueTraffic::received() const noexcept {
  std::uint64_t n = 0;
  for (std::uint16_t q = 0; q < port_.queue_count(); ++q) n += counters_[q].received.load(std::memory_order_relaxed);
  return n;
}

// One queue's loop state: everything step() touches is set up before the
// first step.
class QueueTraffic::Loop {
 public:
  Loop(QueueTraffic& t, std::uint16_t queue)
      : t_(t),
        queue_(queue),
        tx_(t.burst_, netvsc::TxPacket{.frame = t.frames_.memory().subspan(queue * kFrameSlot, t.frame_size_),
                                       .dma = &t.frames_,
                                       .cookie = queue}),
        storage_(t.burst_, std::vector<std::byte>(2048)),
        rx_(t.burst_),
        gpa_(t.frame_size_ > t.port_.config().tx_copybreak),
        burst_(static_cast<std::uint16_t>(t.burst_)),
        counters_(t.counters_[queue]) {
    for (std::uint32_t i = 0; i < t.burst_; ++i) rx_[i].buffer = storage_[i];
  }

  void step() noexcept {
    netvsc::Port& port = t_.port_;
    if (t_.mode_ != Mode::rx) {
      std::uint16_t want = burst_;
      if (t_.mode_ == Mode::loopback) {
        const std::uint64_t in_flight = sent_ - received_;
        want = in_flight >= kLoopbackWindow
                   ? 0
                   : static_cast<std::uint16_t>(std::min<std::uint64_t>(burst_, kLoopbackWindow - in_flight));
      }
      if (want != 0) sent_ += port.tx_burst(queue_, tx_.data(), want);
      if (gpa_) (void)port.tx_reclaim(queue_, cookies_.data(), static_cast<std::uint16_t>(cookies_.size()));
      counters_.sent.store(sent_, std::memory_order_relaxed);
    }
    if (t_.mode_ != Mode::tx) {
      received_ += port.rx_burst(queue_, rx_.data(), burst_);
      counters_.received.store(received_, std::memory_order_relaxed);
    } else {
      (void)port.rx_burst(queue_, rx_.data(), burst_);  // completions and link messages; nothing else comes
    }
  }

 private:
  QueueTraffic& t_;
  std::uint16_t queue_;
  std::vector<netvsc::TxPacket> tx_;
  std::vector<std::vector<std::byte>> storage_;
  std::vector<netvsc::RxPacket> rx_;
  std::array<std::uint64_t, 256> cookies_{};
  bool gpa_;
  std::uint16_t burst_;
  Counters& counters_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
};

void QueueTraffic::run(std::uint16_t first, std::uint16_t count) noexcept {
  std::vector<Loop> loops;
  loops.reserve(count);
  for (std::uint16_t q = first; q < first + count; ++q) loops.emplace_back(*this, q);
  while (!stop_.load(std::memory_order_relaxed)) {
    for (Loop& loop : loops) loop.step();
    if (port_.rescinded()) break;
  }
}

}  // namespace bench::nic
