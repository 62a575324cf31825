// File: tests/netvsc/flow_pump.h
//
// Sustained traffic through a netvsc port on hvsim's loopback backend, with
// every frame checked: each queue (one thread per queue, as an application
// would run them) sends the flows RSS assigns to it, in per-flow sequence
// order, and receives on the same queue. A received frame must belong to a
// flow of that queue, carry the next sequence number of its flow (no loss,
// duplicate or reordering), have exactly the bytes sent, and (with RSS) the
// flow's Toeplitz hash. Frames larger than tx_copybreak, or too large for a
// send-buffer section, are built in a vmbus::DmaRegion and sent GPA-direct;
// their cookies must come back through tx_reclaim exactly once.
//
// Flow control, never drops: at most `window` frames of a queue are in
// flight (sent, not yet received); a burst tx_burst takes only partly is
// retried after draining RX and reclaiming.
//
// Usage:
//   FlowPump pump(*opened.device, *opened.port, make_flows(256, port.queue_count()),
//                 {.frames_per_queue = 250'000});
//   PumpResult r = pump.run();
//   EXPECT_EQ(r.failures, 0u) << r.report();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "flow_frames.h"
#include "netvsc/port.h"
#include "vmbus/device/device.h"

namespace netvsc_ct {

struct PumpConfig {
  std::uint64_t frames_per_queue = 10'000;
  std::uint32_t max_frame = kMaxJumboFrame;
  std::uint32_t window = 256;  // frames in flight per queue
  std::uint16_t burst = 32;
  // Give frames that need it (above tx_copybreak or too large to copy) a
  // DmaRegion: false sends only frames that can be copied (max_frame must fit).
  bool use_dma = true;
  bool check_rss_hash = true;  // with more than one queue
  // No frame sent, received or reclaimed for this long: a failure, and the run ends.
  std::chrono::milliseconds stall_timeout{10'000};
  // End (without a failure) once the port says rescinded.
  bool stop_on_rescind = false;
  // By queue: sends from before the run the host will never complete (a
  // completion it lost: payload_fault_test). The run ends with that many
  // still in flight (Port::tx_outstanding) instead of none.
  std::vector<std::uint32_t> lost_sends{};
};

struct QueueResult {
  std::uint64_t sent = 0;       // frames tx_burst accepted
  std::uint64_t received = 0;   // frames rx_burst returned that checked out
  std::uint64_t bytes = 0;
  std::uint64_t gpa_sent = 0;   // of which sent with a DmaRegion (GPA direct)
  std::uint64_t cookies = 0;    // cookies tx_reclaim returned
  std::uint64_t partial_bursts = 0;  // tx_burst returned fewer than asked
  std::uint64_t largest = 0, smallest = ~std::uint64_t{0};
};

struct PumpResult {
  std::vector<QueueResult> queues;
  QueueResult total;
  std::uint64_t failures = 0;
  std::vector<std::string> messages;  // the first failures
  double seconds = 0;
  bool rescinded = false;
  std::string report() const;  // failures and totals, for assertion messages
};

class FlowPump {
 public:
  FlowPump(vmbus::Device& device, netvsc::Port& port, std::vector<Flow> flows, PumpConfig config);
  ~FlowPump();
  FlowPump(const FlowPump&) = delete;
  FlowPump& operator=(const FlowPump&) = delete;

  // Runs every queue (threads when more than one) until each has sent and got
  // back frames_per_queue frames and every cookie, a failure stalls it, stop()
  // or (stop_on_rescind) a rescind.
  PumpResult run();
  // From any thread: ends run() soon.
  void stop() noexcept { stop_.store(true, std::memory_order_relaxed); }
  // Frames received so far, all queues (any thread).
  std::uint64_t received() const noexcept { return received_.load(std::memory_order_relaxed); }

  const std::vector<Flow>& flows() const noexcept { return flows_; }
  // Whether a frame of `size` bytes is sent GPA-direct (with use_dma).
  bool needs_dma(std::uint32_t size) const noexcept;

 private:
  struct Worker;
  void run_queue(Worker& w);
  void fail(std::string message);

  vmbus::Device& device_;
  netvsc::Port& port_;
  std::vector<Flow> flows_;
  PumpConfig config_;
  std::vector<std::uint64_t> next_send_, next_recv_;  // by flow; touched only by the flow's queue
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::mutex mutex_;
  std::vector<std::string> messages_;
  std::vector<Worker*> workers_;
};

}  // namespace netvsc_ct
