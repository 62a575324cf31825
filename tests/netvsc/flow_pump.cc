// FlowPump: one worker per queue sending its flows and checking what comes back.
#include "flow_pump.h"

#include <algorithm>
#include <memory>
#include <sstream>
#include <thread>

#include "netvsc/protocol/ppi.h"
#include "netvsc/protocol/rndis.h"

namespace netvsc_ct {
namespace {

constexpr std::size_t kSlotBytes = 9216;  // one frame of up to 9000 bytes (+ VLAN) per slot
constexpr std::uint16_t kMaxBurst = 64;

}  // namespace

struct FlowPump::Worker {
  std::uint16_t queue = 0;
  std::vector<std::uint32_t> flows;  // ids of the flows RSS gives this queue
  std::size_t next_flow = 0;
  QueueResult result;
  // GPA-direct frames: one slot of `dma` each until its cookie comes back.
  std::unique_ptr<vmbus::DmaRegion> dma;
  std::vector<std::uint32_t> free_slots;
  std::vector<bool> slot_busy;
  // Copied frames: built here, reusable as soon as tx_burst took them.
  std::vector<std::byte> staging;
  std::vector<std::byte> rx_storage;
};

FlowPump::FlowPump(vmbus::Device& device, netvsc::Port& port, std::vector<Flow> flows, PumpConfig config)
    : device_(device), port_(port), flows_(std::move(flows)), config_(config) {
  config_.burst = std::clamp<std::uint16_t>(config_.burst, 1, kMaxBurst);
  next_send_.assign(flows_.size(), 0);
  next_recv_.assign(flows_.size(), 0);
}

FlowPump::~FlowPump() = default;

bool FlowPump::needs_dma(std::uint32_t size) const noexcept {
  // The driver copies a frame when it fits a section (with its RNDIS header
  // and the one hash-value PPI) and is not above tx_copybreak; a frame with a
  // DmaRegion goes GPA-direct otherwise (tx_path.cc; port.h).
  const std::uint32_t header = netvsc::rndis::kPacketHeaderSize + netvsc::ppi::kValueRecordSize;
  return size > port_.config().tx_copybreak || size + header > port_.info().tx_aggregation_bytes;
}

void FlowPump::fail(std::string message) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  if (messages_.size() < 20) messages_.push_back(std::move(message));
}

PumpResult FlowPump::run() {
  const std::uint16_t queues = port_.queue_count();
  std::vector<Worker> workers(queues);
  for (std::uint16_t q = 0; q < queues; ++q) {
    Worker& w = workers[q];
    w.queue = q;
    for (const Flow& f : flows_) {
      if (f.queue == q) w.flows.push_back(f.id);
    }
    const std::size_t slots = config_.window + config_.burst;
    if (config_.use_dma) {
      w.dma = std::make_unique<vmbus::DmaRegion>(device_.allocate_dma(slots * kSlotBytes));
      w.slot_busy.assign(slots, false);
      for (std::size_t s = slots; s-- > 0;) w.free_slots.push_back(static_cast<std::uint32_t>(s));
    }
    w.staging.resize(std::size_t{config_.burst} * kSlotBytes);
    w.rx_storage.resize(std::size_t{config_.burst} * kSlotBytes);
    workers_.push_back(&w);
  }
  const auto start = std::chrono::steady_clock::now();
  if (queues == 1) {
    run_queue(workers[0]);
  } else {
    std::vector<std::thread> threads;
    for (Worker& w : workers) threads.emplace_back([this, &w] { run_queue(w); });
    for (std::thread& t : threads) t.join();
  }
  PumpResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const Worker& w : workers) {
    r.queues.push_back(w.result);
    r.total.sent += w.result.sent;
    r.total.received += w.result.received;
    r.total.bytes += w.result.bytes;
    r.total.gpa_sent += w.result.gpa_sent;
    r.total.cookies += w.result.cookies;
    r.total.partial_bursts += w.result.partial_bursts;
    r.total.largest = std::max(r.total.largest, w.result.largest);
    r.total.smallest = std::min(r.total.smallest, w.result.smallest);
  }
  // Every flow came back whole: as many received, in order, as were sent.
  if (!stop_.load() && !port_.rescinded()) {
    for (const Flow& f : flows_) {
      if (next_recv_[f.id] != next_send_[f.id]) {
        fail("flow " + std::to_string(f.id) + ": sent " + std::to_string(next_send_[f.id]) + ", received " +
             std::to_string(next_recv_[f.id]));
      }
    }
  }
  r.rescinded = port_.rescinded();
  r.failures = failures_.load();
  {
    std::lock_guard lock(mutex_);
    r.messages = messages_;
  }
  workers_.clear();
  return r;
}

void FlowPump::run_queue(Worker& w) {
  const std::uint16_t q = w.queue;
  const netvsc::MacAddress mac = port_.mac();
  const bool rss = port_.queue_count() > 1 && config_.check_rss_hash;
  if (w.flows.empty()) return;  // RSS gives this queue none of the flows
  const std::uint64_t target = config_.frames_per_queue;
  std::array<netvsc::RxPacket, kMaxBurst> rx{};
  for (std::size_t i = 0; i < config_.burst; ++i) {
    rx[i].buffer = std::span(w.rx_storage).subspan(i * kSlotBytes, kSlotBytes);
  }
  std::array<netvsc::TxPacket, kMaxBurst> tx{};
  std::array<std::uint64_t, kMaxBurst> cookies{};
  std::uint16_t burst_n = 0, burst_off = 0;
  std::uint64_t received = 0;
  auto last_progress = std::chrono::steady_clock::now();
  std::uint32_t idle = 0;
  std::string why;

  auto cookies_out = [&] { return w.slot_busy.size() - w.free_slots.size(); };
  const std::uint32_t lost = q < config_.lost_sends.size() ? config_.lost_sends[q] : 0;
  for (;;) {
    if (stop_.load(std::memory_order_relaxed)) return;
    if (config_.stop_on_rescind && port_.rescinded()) return;
    if (w.result.sent == target && received == target && (!w.dma || cookies_out() == 0) &&
        port_.tx_outstanding(q) == lost) {
      return;
    }
    bool progress = false;

    // Receive and check.
    const std::uint16_t got = port_.rx_burst(q, rx.data(), config_.burst);
    for (std::uint16_t i = 0; i < got; ++i) {
      const netvsc::RxPacket& p = rx[i];
      FrameId id;
      if (!parse_frame(p.frame(), id) || id.flow >= flows_.size()) {
        fail("queue " + std::to_string(q) + ": a frame of " + std::to_string(p.length) + " bytes from no flow sent");
        continue;
      }
      const Flow& f = flows_[id.flow];
      if (f.queue != q) {
        fail("flow " + std::to_string(f.id) + " (RSS queue " + std::to_string(f.queue) + ") arrived on queue " +
             std::to_string(q));
        continue;
      }
      std::uint64_t& expect = next_recv_[f.id];
      std::uint64_t seq = expect;
      if (static_cast<std::uint32_t>(expect) != id.seq32) {
        fail("flow " + std::to_string(f.id) + " on queue " + std::to_string(q) + ": frame " + std::to_string(id.seq32) +
             " arrived where " + std::to_string(expect) + " was next (lost, duplicated or reordered)");
        seq = (expect & ~std::uint64_t{0xffffffff}) | id.seq32;
      }
      const std::uint32_t size = frame_size(f.id, seq, config_.max_frame);
      if (!check_frame(p.frame(), mac, f, seq, size, &why)) {
        fail("flow " + std::to_string(f.id) + " frame " + std::to_string(seq) + " on queue " + std::to_string(q) +
             ": " + why);
      }
      if (rss && ((p.flags & netvsc::kRxRssHash) == 0 || p.rss_hash != f.hash)) {
        fail("flow " + std::to_string(f.id) + ": RSS hash " + std::to_string(p.rss_hash) + " (flags " +
             std::to_string(p.flags) + "), Toeplitz says " + std::to_string(f.hash));
      }
      expect = seq + 1;
      ++received;
      ++w.result.received;
      w.result.bytes += p.length;
    }
    if (got != 0) {
      received_.fetch_add(got, std::memory_order_relaxed);
      progress = true;
    }

    // Cookies of GPA-direct frames: each exactly once.
    if (w.dma) {
      const std::uint16_t n = port_.tx_reclaim(q, cookies.data(), static_cast<std::uint16_t>(cookies.size()));
      for (std::uint16_t i = 0; i < n; ++i) {
        const std::uint64_t c = cookies[i];
        if (c >= w.slot_busy.size() || !w.slot_busy[c]) {
          fail("queue " + std::to_string(q) + ": tx_reclaim returned cookie " + std::to_string(c) +
               ", which is not in flight");
          continue;
        }
        w.slot_busy[c] = false;
        w.free_slots.push_back(static_cast<std::uint32_t>(c));
        ++w.result.cookies;
      }
      if (n != 0) progress = true;
    } else {
      std::uint64_t none[1];
      if (port_.tx_reclaim(q, none, 1) != 0) fail("queue " + std::to_string(q) + ": a cookie without GPA-direct frames");
    }

    // A new burst once the last one is all out and the window has room.
    if (burst_off == burst_n && w.result.sent < target) {
      const std::uint64_t in_flight = w.result.sent - received;
      const std::uint64_t room = in_flight < config_.window ? config_.window - in_flight : 0;
      const std::uint64_t want = std::min<std::uint64_t>({config_.burst, target - w.result.sent, room});
      burst_n = burst_off = 0;
      for (std::uint64_t i = 0; i < want; ++i) {
        const std::uint32_t fid = w.flows[w.next_flow];
        const Flow& f = flows_[fid];
        const std::uint64_t seq = next_send_[fid];
        const std::uint32_t size = frame_size(fid, seq, config_.max_frame);
        netvsc::TxPacket& t = tx[burst_n];
        t = {};
        if (config_.use_dma && needs_dma(size)) {
          if (w.free_slots.empty()) break;  // wait for cookies
          const std::uint32_t slot = w.free_slots.back();
          w.free_slots.pop_back();
          w.slot_busy[slot] = true;
          const std::span<std::byte> bytes = w.dma->memory().subspan(std::size_t{slot} * kSlotBytes, size);
          build_frame(bytes, mac, f, seq);
          t.frame = bytes;
          t.dma = w.dma.get();
          t.cookie = slot;
        } else {
          const std::span<std::byte> bytes = std::span(w.staging).subspan(std::size_t{burst_n} * kSlotBytes, size);
          build_frame(bytes, mac, f, seq);
          t.frame = bytes;
        }
        ++next_send_[fid];
        w.next_flow = (w.next_flow + 1) % w.flows.size();
        ++burst_n;
      }
    }
    if (burst_off < burst_n) {
      const std::uint16_t want = static_cast<std::uint16_t>(burst_n - burst_off);
      const std::uint16_t sent = port_.tx_burst(q, tx.data() + burst_off, want);
      for (std::uint16_t i = 0; i < sent; ++i) {
        const netvsc::TxPacket& t = tx[burst_off + i];
        if (t.dma != nullptr) ++w.result.gpa_sent;
        w.result.largest = std::max<std::uint64_t>(w.result.largest, t.frame.size());
        w.result.smallest = std::min<std::uint64_t>(w.result.smallest, t.frame.size());
      }
      if (sent < want) ++w.result.partial_bursts;
      burst_off = static_cast<std::uint16_t>(burst_off + sent);
      w.result.sent += sent;
      if (sent != 0) progress = true;
    }

    const auto now = std::chrono::steady_clock::now();
    if (progress) {
      last_progress = now;
      idle = 0;
      continue;
    }
    if (now - last_progress > config_.stall_timeout) {
      const netvsc::QueueStatsSnapshot s = port_.stats().queues.at(q);
      fail("queue " + std::to_string(q) + " stalled: sent " + std::to_string(w.result.sent) + " of " +
           std::to_string(target) + ", received " + std::to_string(received) + ", cookies out " +
           std::to_string(w.dma ? cookies_out() : 0) + ", tx_outstanding " + std::to_string(port_.tx_outstanding(q)) +
           "; driver: tx_ring_full " + std::to_string(s.tx_ring_full) + " tx_no_resources " +
           std::to_string(s.tx_no_resources) + " tx_errors " + std::to_string(s.tx_errors) + " malformed " +
           std::to_string(s.malformed_total()) + (port_.rescinded() ? " (rescinded)" : ""));
      return;
    }
    // Two cores for the host and every queue: let the host run.
    if (++idle > 32) {
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    } else {
      std::this_thread::yield();
    }
  }
}

std::string PumpResult::report() const {
  std::ostringstream s;
  s << total.sent << " frames sent, " << total.received << " received (" << total.bytes << " bytes, sizes "
    << (total.smallest == ~std::uint64_t{0} ? 0 : total.smallest) << ".." << total.largest << "), "
    << total.gpa_sent << " GPA-direct, " << total.cookies << " cookies, " << total.partial_bursts
    << " partial bursts, in " << seconds << " s; per queue:";
  for (std::size_t q = 0; q < queues.size(); ++q) s << " " << q << ":" << queues[q].received;
  if (failures != 0) {
    s << "\n" << failures << " failures, first:";
    for (const std::string& m : messages) s << "\n  " << m;
  }
  return s.str();
}

}  // namespace netvsc_ct
