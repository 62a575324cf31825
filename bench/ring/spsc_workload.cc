// boost::lockfree::spsc_queue doing the ring benchmark's work, per packet or
// a whole batch per call.
#include "ring/spsc_workload.h"

#include <array>
#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <cstring>
#include <memory>
#include <vector>

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

struct alignas(kSpscElementSize) Element {
  std::array<std::byte, kSpscElementSize> bytes;
};
static_assert(sizeof(Element) == kSpscElementSize);

using Queue = boost::lockfree::spsc_queue<Element>;

// What the producer and the consumer of one run share; the two flags the
// consumer polls each on its own cache line.
struct Shared {
  Queue& queue;
  const CpuPlan& plan;
  const SpscParams& params;
  std::size_t per_packet = 0;  // elements per packet
  alignas(64) std::atomic<bool> producer_done{false};
  alignas(64) std::atomic<std::uint64_t> produced{0};  // elements, valid once producer_done
};

// One side's counts: calls that moved elements, and spin steps on a full / empty queue.
struct Calls {
  std::uint64_t moved = 0;
  std::uint64_t waits = 0;
};

// Pushes `count` elements, in as many push() calls as the free room needs.
void push_all(Shared& s, const Element* data, std::size_t count, Calls& calls) {
  while (count != 0) {
    const std::size_t n = s.queue.push(data, count);
    if (n == 0) {
      ++calls.waits;
      relax(s.plan);
      continue;
    }
    ++calls.moved;
    data += n;
    count -= n;
  }
}

// Touch the copy: a packet's first element carries the next sequence number.
void check(const Element& first, std::uint64_t& expected, std::uint64_t& order_errors) {
  std::uint64_t seq = 0;
  std::memcpy(&seq, first.bytes.data(), sizeof seq);
  if (seq != expected) ++order_errors;
  expected = seq + 1;
}

void produce(Shared& s, const std::atomic<bool>& stop, Sample& result, Clock::time_point& start) {
  const std::size_t per_packet = s.per_packet;
  const std::uint32_t batch = s.params.batch;
  std::vector<Element> source(per_packet * batch);
  for (Element& e : source) e.bytes.fill(std::byte{0x5a});
  auto stamp = [&](std::uint32_t i, std::uint64_t seq) {
    std::memcpy(source[i * per_packet].bytes.data(), &seq, sizeof seq);
  };
  std::uint64_t seq = 0;
  Calls calls;
  start = Clock::now();
  while (!stop.load(std::memory_order_relaxed)) {
    if (s.params.mode == SpscMode::bulk) {
      // The whole batch in one push() (one index store), unless the queue lacks room.
      for (std::uint32_t i = 0; i < batch; ++i) stamp(i, seq + i);
      push_all(s, source.data(), source.size(), calls);
    } else {
      // One push() per packet, each published on its own.
      for (std::uint32_t i = 0; i < batch; ++i) {
        stamp(i, seq + i);
        push_all(s, source.data() + i * per_packet, per_packet, calls);
      }
    }
    seq += batch;
  }
  result.writer_commits = calls.moved;
  result.writer_waits = calls.waits;
  s.produced.store(seq * per_packet, std::memory_order_relaxed);
  s.producer_done.store(true, std::memory_order_release);
}

// True when the producer has stopped and every element it pushed was popped.
bool drained(const Shared& s, std::uint64_t elements) {
  return s.producer_done.load(std::memory_order_acquire) && elements == s.produced.load(std::memory_order_relaxed);
}

// One pop() per packet, into a packet-sized buffer.
void consume_per_packet(Shared& s, Sample& result) {
  const std::size_t per_packet = s.per_packet;
  std::vector<Element> sink(per_packet);
  std::uint64_t elements = 0;
  std::uint64_t expected = 0;
  std::uint64_t order_errors = 0;
  Calls calls;
  std::size_t got = 0;  // elements of the current packet popped so far
  for (;;) {
    const std::size_t n = s.queue.pop(sink.data() + got, per_packet - got);
    if (n == 0) {
      if (drained(s, elements)) break;
      ++calls.waits;
      relax(s.plan);
      continue;
    }
    ++calls.moved;
    elements += n;
    got += n;
    if (got != per_packet) continue;
    got = 0;
    check(sink.front(), expected, order_errors);
  }
  result.packets = elements / per_packet;
  result.order_errors = order_errors;
  result.reader_commits = calls.moved;
  result.reader_waits = calls.waits;
}

// Up to `batch` packets per pop(), into a batch-sized buffer; a pop may end
// inside a packet, the next one continues it.
void consume_bulk(Shared& s, Sample& result) {
  const std::size_t per_packet = s.per_packet;
  std::vector<Element> sink(per_packet * s.params.batch);
  std::uint64_t elements = 0;
  std::uint64_t expected = 0;
  std::uint64_t order_errors = 0;
  Calls calls;
  std::size_t in_packet = 0;  // index inside the current packet of the next element popped
  for (;;) {
    const std::size_t n = s.queue.pop(sink.data(), sink.size());
    if (n == 0) {
      if (drained(s, elements)) break;
      ++calls.waits;
      relax(s.plan);
      continue;
    }
    ++calls.moved;
    for (std::size_t i = in_packet == 0 ? 0 : per_packet - in_packet; i < n; i += per_packet) {
      check(sink[i], expected, order_errors);
    }
    in_packet = (in_packet + n) % per_packet;
    elements += n;
  }
  result.packets = elements / per_packet;
  result.order_errors = order_errors;
  result.reader_commits = calls.moved;
  result.reader_waits = calls.waits;
}

}  // namespace

Sample run_spsc(const CpuPlan& plan, const SpscParams& params, std::chrono::milliseconds duration) {
  // Heap-allocated: the queue holds its buffer inline only with a compile-time capacity.
  auto queue = std::make_unique<Queue>(params.capacity_bytes / kSpscElementSize);
  Shared shared{.queue = *queue, .plan = plan, .params = params, .per_packet = spsc_elements_per_packet(params.payload)};

  Sample result;
  Clock::time_point start{};
  Clock::time_point end{};
  auto producer = [&](const std::atomic<bool>& stop) { produce(shared, stop, result, start); };
  auto consumer = [&](const std::atomic<bool>&) {
    if (params.mode == SpscMode::bulk) {
      consume_bulk(shared, result);
    } else {
      consume_per_packet(shared, result);
    }
    end = Clock::now();
  };

  run_workers(plan, duration, {producer, consumer});
  result.seconds = std::chrono::duration<double>(end - start).count();
  result.payload_bytes = result.packets * params.payload;
  return result;
}

}  // namespace bench
