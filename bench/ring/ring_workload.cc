// The VMBus ring producer/consumer pair that ring_bench measures.
#include "ring/ring_workload.h"

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "vmbus/packet/builders.h"
#include "vmbus/ring/incoming_ring.h"
#include "vmbus/ring/outgoing_ring.h"
#include "vmbus/ring/ring_memory.h"

namespace bench {

using Clock = std::chrono::steady_clock;

RingStorage::RingStorage(std::size_t data_bytes) : size_(vmbus::kRingHeaderSize + data_bytes) {
  void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap ring");
  base_ = static_cast<std::byte*>(p);
  std::memset(base_, 0, size_);  // every page faulted in before any timing
}

RingStorage::~RingStorage() { munmap(base_, size_); }

std::size_t RingStorage::data_bytes() const noexcept { return size_ - vmbus::kRingHeaderSize; }

namespace {

Sample failed(std::string what) {
  Sample s;
  s.error = std::move(what);
  return s;
}

}  // namespace

Sample run_ring(const RingStorage& storage, const CpuPlan& plan, const RingParams& params,
                std::chrono::milliseconds duration) {
  auto memory = vmbus::RingMemory::from(storage.bytes());
  if (!memory) return failed("RingMemory::from: " + memory.error().message());
  memory->initialize();
  auto tx = vmbus::OutgoingRing::attach(*memory);
  if (!tx) return failed("OutgoingRing::attach: " + tx.error().message());
  auto rx = vmbus::IncomingRing::attach(*memory);
  if (!rx) return failed("IncomingRing::attach: " + rx.error().message());

  // The reader's mask holds for the whole run, before the writer's first commit.
  if (params.reader_masked) {
    rx->mask_interrupts();
  } else {
    // A poll-mode reader that never sleeps: clear once; nothing to re-check yet.
    static_cast<void>(rx->unmask_interrupts());
  }

  // Shared between the two threads, each on its own cache line.
  alignas(64) std::atomic<bool> producer_done{false};
  alignas(64) std::atomic<std::uint64_t> produced{0};
  alignas(64) std::atomic<bool> abort{false};

  Sample result;
  Clock::time_point start{};
  Clock::time_point end{};
  std::string producer_error;
  std::string consumer_error;

  // Each thread works on its own copy of its ring object, on its own stack:
  // `tx` and `rx` sit side by side here, and their cursors (written on every
  // packet) would otherwise share a cache line between the two CPUs.
  auto producer = [&, attached = *tx](const std::atomic<bool>& stop) {
    vmbus::OutgoingRing writer = attached;
    std::vector<std::byte> payload(params.payload, std::byte{0x5a});
    std::uint64_t seq = 0;
    std::uint64_t commits = 0;
    std::uint64_t signals = 0;
    std::uint64_t waits = 0;
    bool space_requested = false;
    auto publish = [&] {
      if (writer.uncommitted_bytes() == 0) return;
      ++commits;
      if (writer.commit()) ++signals;
    };

    start = Clock::now();
    while (!stop.load(std::memory_order_relaxed) && !abort.load(std::memory_order_relaxed)) {
      for (std::uint32_t i = 0; i < params.batch;) {
        std::memcpy(payload.data(), &seq, sizeof seq);
        const vmbus::Status s = writer.write(vmbus::packet::inband(payload, seq));
        if (s) {
          ++seq;
          ++i;
          if (space_requested) {
            writer.cancel_space_signal();
            space_requested = false;
          }
          continue;
        }
        if (s.error().code != vmbus::Errc::full) {
          producer_error = "OutgoingRing::write: " + s.error().message();
          abort.store(true, std::memory_order_relaxed);
          break;
        }
        // Full: let the reader see what this batch has so far, then wait for room.
        publish();
        if (params.request_space && !space_requested) {
          space_requested = true;
          if (writer.request_space_signal(static_cast<std::uint32_t>(s.error().detail))) continue;
        }
        if (abort.load(std::memory_order_relaxed)) break;
        ++waits;
        relax(plan);
      }
      publish();
    }
    if (space_requested) writer.cancel_space_signal();
    result.writer_commits = commits;
    result.writer_signals = signals;
    result.writer_waits = waits;
    produced.store(seq, std::memory_order_relaxed);
    producer_done.store(true, std::memory_order_release);
  };

  auto consumer = [&, attached = *rx](const std::atomic<bool>&) {
    vmbus::IncomingRing reader = attached;
    // Room for the largest packet: descriptor + payload padded to 8.
    std::vector<std::byte> buffer(vmbus::kPacketDescriptorSize + vmbus::align8(params.payload));
    std::uint64_t expected = 0;
    std::uint64_t packets = 0;
    std::uint64_t order_errors = 0;
    std::uint64_t commits = 0;
    std::uint64_t signals = 0;
    std::uint64_t waits = 0;
    for (;;) {
      std::uint32_t n = 0;
      for (; n < params.batch; ++n) {
        const auto p = reader.read(buffer);
        if (!p) {
          if (p.error().code != vmbus::Errc::empty) consumer_error = "IncomingRing::read: " + p.error().message();
          break;
        }
        // Touch the copy: the sequence number must be the next one.
        std::uint64_t seq = ~std::uint64_t{0};
        if (p->payload.size() >= sizeof seq) std::memcpy(&seq, p->payload.data(), sizeof seq);
        if (seq != expected) ++order_errors;
        expected = seq + 1;
      }
      if (n != 0) {
        packets += n;
        ++commits;
        if (reader.commit()) ++signals;
      }
      if (!consumer_error.empty()) {
        abort.store(true, std::memory_order_relaxed);
        break;
      }
      if (n != 0) continue;
      if (producer_done.load(std::memory_order_acquire) && packets == produced.load(std::memory_order_relaxed)) break;
      ++waits;
      relax(plan);
    }
    end = Clock::now();
    result.packets = packets;
    result.order_errors = order_errors;
    result.reader_commits = commits;
    result.reader_signals = signals;
    result.reader_waits = waits;
  };

  run_workers(plan, duration, {producer, consumer});

  result.seconds = std::chrono::duration<double>(end - start).count();
  result.payload_bytes = result.packets * params.payload;
  result.error = !producer_error.empty() ? producer_error : consumer_error;
  return result;
}

}  // namespace bench
