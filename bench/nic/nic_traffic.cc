// The per-queue loops of nic_bench: no allocation, lock or system call in
// them beyond what the driver's bursts do (one signal per burst).
#include "nic/nic_traffic.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

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

QueueTraffic::QueueTraffic(netvsc::OpenedPort& opened, Mode mode, std::uint32_t frame_size, std::uint32_t burst)
    : port_(*opened.port),
      mode_(mode),
      frame_size_(frame_size),
      burst_(burst),
      frames_(opened.device->allocate_dma(kFrameSlot * port_.queue_count())),
      counters_(std::make_unique<Counters[]>(port_.queue_count())) {
  for (std::uint16_t q = 0; q < port_.queue_count(); ++q) {
    build_frame(frames_.memory().subspan(q * kFrameSlot, frame_size_), port_.mac(),
                port_for_queue(q, port_.queue_count()));
  }
}

QueueTraffic::~QueueTraffic() { stop(); }

void QueueTraffic::start() {
  for (std::uint16_t q = 0; q < port_.queue_count(); ++q) threads_.emplace_back([this, q] { run(q); });
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

void QueueTraffic::run(std::uint16_t queue) noexcept {
  // Everything the loop touches is set up here, before it starts.
  const std::span<const std::byte> frame = frames_.memory().subspan(queue * kFrameSlot, frame_size_);
  std::vector<netvsc::TxPacket> tx(burst_, netvsc::TxPacket{.frame = frame, .dma = &frames_, .cookie = queue});
  std::vector<std::vector<std::byte>> storage(burst_, std::vector<std::byte>(2048));
  std::vector<netvsc::RxPacket> rx(burst_);
  for (std::uint32_t i = 0; i < burst_; ++i) rx[i].buffer = storage[i];
  std::array<std::uint64_t, 256> cookies{};
  const bool gpa = frame_size_ > port_.config().tx_copybreak;
  Counters& c = counters_[queue];
  std::uint64_t sent = 0, received = 0;
  const auto burst = static_cast<std::uint16_t>(burst_);

  while (!stop_.load(std::memory_order_relaxed)) {
    if (mode_ != Mode::rx) {
      std::uint16_t want = burst;
      if (mode_ == Mode::loopback) {
        const std::uint64_t in_flight = sent - received;
        want = in_flight >= kLoopbackWindow ? 0 : static_cast<std::uint16_t>(std::min<std::uint64_t>(burst, kLoopbackWindow - in_flight));
      }
      if (want != 0) sent += port_.tx_burst(queue, tx.data(), want);
      if (gpa) (void)port_.tx_reclaim(queue, cookies.data(), static_cast<std::uint16_t>(cookies.size()));
      c.sent.store(sent, std::memory_order_relaxed);
    }
    if (mode_ != Mode::tx) {
      received += port_.rx_burst(queue, rx.data(), burst);
      c.received.store(received, std::memory_order_relaxed);
    } else {
      (void)port_.rx_burst(queue, rx.data(), burst);  // completions and link messages; nothing else comes
    }
    if (port_.rescinded()) break;
  }
}

}  // namespace bench::nic
