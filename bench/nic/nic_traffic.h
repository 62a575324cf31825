// File: bench/nic/nic_traffic.h
//
// The guest side of a nic_bench row: the row's loop on every queue of an open
// netvsc port (tx: send bursts; rx: receive bursts; loopback: send within a
// window and receive) on frames built once, until told to stop. One thread
// per queue, or one thread polling every queue in turn (ThreadLayout), either
// optionally pinned to a CPU. Counters are per queue, written by the thread
// that polls it (relaxed stores after each burst), read by the measuring
// thread.
//
// Frames: IPv4/TCP to the port's MAC, one flow per queue whose Toeplitz hash
// lands on that queue (the default key and table), so a loopback frame
// comes back to the thread that sent it. They live in DMA memory: frames
// above the driver's tx_copybreak (512) go GPA-direct, the rest are copied
// into send-buffer sections, as each would in a real application.
//
// Usage:
//   QueueTraffic traffic(opened, Mode::loopback, 1500, 32, {.one_thread = true, .cpu = 0});
//   traffic.start();
//   std::uint64_t before = traffic.received();  ...  traffic.stop();
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "netvsc/port.h"
#include "nic/nic_options.h"
#include "vmbus/device/dma_region.h"

namespace bench::nic {

struct ThreadLayout {
  bool one_thread = false;           // one thread polls every queue in turn
  std::optional<std::uint32_t> cpu;  // pin the polling thread(s) here
};

class QueueTraffic {
 public:
  QueueTraffic(netvsc::OpenedPort& opened, Mode mode, std::uint32_t frame_size, std::uint32_t burst,
               ThreadLayout layout = {});
  ~QueueTraffic();
  QueueTraffic(const QueueTraffic&) = delete;
  QueueTraffic& operator=(const QueueTraffic&) = delete;

  void start();
  void stop() noexcept;  // joins the threads

  // Sums over the queues, as of the last burst of each.
  std::uint64_t sent() const noexcept;
  std::uint64_t received() const noexcept;

  static constexpr std::uint32_t kLoopbackWindow = 512;  // frames in flight per queue

 private:
  struct alignas(64) Counters {
    std::atomic<std::uint64_t> sent{0};
    std::atomic<std::uint64_t> received{0};
  };
  class Loop;
  void run(std::uint16_t first, std::uint16_t count) noexcept;  // polls queues [first, first + count)

  netvsc::Port& port_;
  Mode mode_;
  std::uint32_t frame_size_;
  std::uint32_t burst_;
  ThreadLayout layout_;
  vmbus::DmaRegion frames_;  // one frame per queue
  std::unique_ptr<Counters[]> counters_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace bench::nic
