// A producer thread and a consumer thread on one ring: millions of packets of
// varying size and type, in batches of up to 32 per commit, each carrying its
// sequence number (in trans_id and payload) and a checksum of its contents.
// The consumer alternates between read() and peek() + consume(). Signals are
// counted and checked against Linux's rules; a third test sleeps on them
// instead of polling, so a lost wakeup shows up as a timeout.
//
// 10 million packets in a normal build; sanitizer builds move 1 million.
// VMBUS_THREADS_PACKETS overrides the count.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "ring_test_support.h"
#include "vmbus/packet/builders.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define VMBUS_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define VMBUS_TEST_SANITIZED 1
#endif
#endif

namespace {

using vmbus::Errc;
using vmbus::PacketType;
using vmbus::test::mix64;
using vmbus::test::TestRing;

#ifdef VMBUS_TEST_SANITIZED
constexpr std::uint64_t kPolledPackets = 1'000'000;
constexpr std::uint64_t kSleepingPackets = 200'000;
#else
constexpr std::uint64_t kPolledPackets = 10'000'000;
constexpr std::uint64_t kSleepingPackets = 1'000'000;
#endif

constexpr std::uint32_t kRingDataSize = 256 * 1024;
constexpr std::uint32_t kMaxPayload = 4000;
constexpr std::uint32_t kPrefix = 16;  // seq (8), size (4), checksum (4)
constexpr auto kWakeTimeout = std::chrono::seconds(20);

std::uint64_t packet_count(std::uint64_t fallback) {
  if (const char* s = std::getenv("VMBUS_THREADS_PACKETS"); s != nullptr && *s != '\0') {
    return std::strtoull(s, nullptr, 0);
  }
  return fallback;
}

// ---- What packet `seq` is ---------------------------------------------------

struct Shape {
  PacketType type;
  std::uint16_t flags;
  std::uint32_t pages;  // GPA-direct page buffers, 0 for other types
  std::uint32_t size;   // payload bytes, kPrefix included
};

Shape shape_of(std::uint64_t seq) {
  const std::uint64_t m = mix64(seq);
  Shape s{PacketType::data_inband, 0, 0, 0};
  switch (seq % 16) {
    case 12:
    case 13:
      s.type = PacketType::completion;
      break;
    case 14:
    case 15:
      s.type = PacketType::data_using_gpa_direct;
      s.flags = vmbus::kPacketFlagCompletionRequested;
      s.pages = 1 + static_cast<std::uint32_t>((m >> 32) % 3);
      break;
    default:
      s.flags = (m & 1) != 0 ? vmbus::kPacketFlagCompletionRequested : 0;
      break;
  }
  // Mostly small, one in 256 up to kMaxPayload.
  const bool large = ((m >> 40) & 0xff) == 0;
  s.size = kPrefix + static_cast<std::uint32_t>((m >> 8) % (large ? kMaxPayload - kPrefix : 200));
  return s;
}

std::uint32_t batch_size(std::uint64_t salt) { return 1 + static_cast<std::uint32_t>(mix64(salt ^ 0xba7c4) % 32); }

// A word-wise checksum of the body (payload after the prefix, zero padded to 8).
std::uint32_t checksum(const std::byte* body, std::size_t padded_len) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < padded_len; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, body + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

// Fills `out` with packet seq's payload (padded to 8 with zeros); returns its checksum.
std::uint32_t fill_payload(std::uint64_t seq, const Shape& s, std::byte* out) {
  const std::uint32_t padded = vmbus::align8(s.size);
  std::uint64_t x = seq * 0x9e3779b97f4a7c15ull + 1;
  for (std::uint32_t i = kPrefix; i < padded; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(out + i, &x, 8);
  }
  std::memset(out + s.size, 0, padded - s.size);
  const std::uint32_t sum = checksum(out + kPrefix, padded - kPrefix);
  std::memcpy(out, &seq, 8);
  std::memcpy(out + 8, &s.size, 4);
  std::memcpy(out + 12, &sum, 4);
  return sum;
}

// ---- Waking a sleeping side -------------------------------------------------

// What a signal does: wake the other side. A post is remembered until a wait
// takes it, so nothing is lost between the check and the sleep.
class Event {
 public:
  void post() {
    {
      std::lock_guard lock(mutex_);
      posted_ = true;
    }
    cv_.notify_one();
  }
  // False on timeout.
  bool wait() {
    std::unique_lock lock(mutex_);
    waiting_ = true;
    const bool woken = cv_.wait_for(lock, kWakeTimeout, [this] { return posted_; });
    waiting_ = false;
    posted_ = false;
    return woken;
  }
  // True once the other side is asleep with no post pending (false on
  // timeout, or once `stop` is set).
  bool await_sleeper(const std::atomic<bool>& stop) {
    const auto deadline = std::chrono::steady_clock::now() + kWakeTimeout;
    while (std::chrono::steady_clock::now() < deadline && !stop.load()) {
      {
        std::lock_guard lock(mutex_);
        if (waiting_ && !posted_) return true;
      }
      std::this_thread::yield();
    }
    return false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool posted_ = false;
  bool waiting_ = false;
};

// ---- The two threads ---------------------------------------------------------

enum class Mode {
  polled_unmasked,  // the consumer polls with interrupt_mask clear
  polled_masked,    // the consumer polls with interrupt_mask set
  sleeping,         // both sides sleep until signalled
};

struct Outcome {
  std::uint64_t produced = 0, consumed = 0;
  std::uint64_t producer_commits = 0, writer_signals = 0, fulls = 0;
  std::uint64_t reader_commits = 0, reader_signals = 0;
  std::uint64_t sum_sent = 0, sum_received = 0;
  std::uint64_t producer_sleeps = 0, consumer_sleeps = 0;
  std::uint64_t producer_pauses = 0, consumer_pauses = 0;
};

class Transfer {
 public:
  Transfer(Mode mode, std::uint64_t packets) : mode_(mode), packets_(packets), ring_(kRingDataSize) {}

  Outcome run() {
    if (!ring_.attach()) {
      fail("attach failed");
      return out_;
    }
    // The reader polls with interrupts masked from before the first packet.
    if (mode_ != Mode::polled_unmasked) ring_.rx().mask_interrupts();
    std::thread consumer([this] { consume(); });
    std::thread producer([this] { produce(); });
    producer.join();
    consumer.join();
    return out_;
  }

  const std::string& error() const { return error_; }
  TestRing& ring() { return ring_; }

 private:
  void fail(const std::string& what) {
    std::lock_guard lock(error_mutex_);
    if (error_.empty()) error_ = what;
    stop_.store(true);
    // Unblock a sleeping peer so the test ends.
    data_event_.post();
    space_event_.post();
  }
  bool stopped() const { return stop_.load(std::memory_order_relaxed); }

  // In sleeping mode, every so often one side stops until the other is
  // provably asleep, so that each wakeup path is taken, not just possible.
  // The producer pauses before packets kPauseEvery/2 + k*kPauseEvery, the
  // consumer before k*kPauseEvery; the producer is never more than a ring
  // (< 6600 packets) ahead, so the two never wait for each other.
  static constexpr std::uint64_t kPauseEvery = 20'000;
  bool near_end(std::uint64_t seq) const { return packets_ - seq < kPauseEvery / 2; }
  bool producer_pauses_at(std::uint64_t seq) const {
    return mode_ == Mode::sleeping && seq % kPauseEvery == kPauseEvery / 2 && !near_end(seq);
  }
  bool consumer_pauses_at(std::uint64_t seq) const {
    return mode_ == Mode::sleeping && seq % kPauseEvery == 0 && seq != 0 && !near_end(seq);
  }

  void produce() {
    vmbus::OutgoingRing& tx = ring_.tx();
    alignas(8) std::array<std::byte, kMaxPayload + 8> payload{};
    std::uint64_t seq = 0;
    std::uint64_t built = ~std::uint64_t{0};
    std::uint64_t paused_at = 0;
    Shape shape{};
    std::uint32_t sum = 0;
    vmbus::GpaDirectHeader ranges;

    while (seq < packets_ && !stopped()) {
      bool must_signal = false;
      if (producer_pauses_at(seq) && paused_at != seq) {
        // Everything so far is committed. Wait until the consumer drained it
        // and sleeps with interrupts unmasked: the next commit must signal.
        paused_at = seq;
        ++out_.producer_pauses;
        if (!data_event_.await_sleeper(stop_)) return fail("consumer never went to sleep");
        must_signal = true;
      }
      const std::uint32_t batch = batch_size(seq);
      std::uint32_t in_batch = 0;
      bool full = false;
      std::uint32_t needed = 0;
      while (in_batch < batch && seq < packets_) {
        if (built != seq) {
          shape = shape_of(seq);
          sum = fill_payload(seq, shape, payload.data());
          built = seq;
        }
        vmbus::OutgoingPacket p;
        p.type = shape.type;
        p.flags = shape.flags;
        p.trans_id = seq;
        if (shape.pages != 0) {
          ranges.clear();
          for (std::uint32_t i = 0; i < shape.pages; ++i) (void)ranges.add_page(4096, 0, seq + i);
          p.header = ranges.bytes();
        }
        p.add_payload(std::span<const std::byte>(payload.data(), shape.size));
        const vmbus::Status s = tx.write(p);
        if (!s) {
          if (s.error().code != Errc::full) return fail("write: " + s.error().message());
          full = true;
          needed = static_cast<std::uint32_t>(s.error().detail);
          ++out_.fulls;
          break;
        }
        out_.sum_sent += sum;
        ++seq;
        ++in_batch;
        if (producer_pauses_at(seq)) break;  // commit everything before the pause
      }
      if (in_batch != 0) {
        ++out_.producer_commits;
        const bool signal = tx.commit();
        if (must_signal && !signal) return fail("commit onto an empty ring with the reader asleep did not signal");
        if (signal) {
          ++out_.writer_signals;
          data_event_.post();
        }
      }
      if (full && !wait_for_space(needed)) return;
    }
    out_.produced = seq;
  }

  bool wait_for_space(std::uint32_t needed) {
    vmbus::OutgoingRing& tx = ring_.tx();
    if (mode_ != Mode::sleeping) {
      std::this_thread::yield();
      return true;
    }
    if (tx.request_space_signal(needed)) {
      tx.cancel_space_signal();
      return true;
    }
    ++out_.producer_sleeps;
    const bool woken = space_event_.wait();
    tx.cancel_space_signal();
    if (!woken) fail("producer never woken: lost space signal (needed " + std::to_string(needed) + ")");
    return woken && !stopped();
  }

  // Checks packet `seq` from its fields and its (contiguous) header and payload.
  bool check(std::uint64_t seq, PacketType type, std::uint16_t flags, std::uint64_t trans_id,
             const std::byte* header, std::size_t header_size, const std::byte* payload, std::size_t payload_size) {
    const Shape s = shape_of(seq);
    if (trans_id != seq) return fail_packet(seq, "trans_id " + std::to_string(trans_id));
    if (type != s.type || flags != s.flags) return fail_packet(seq, "type or flags");
    if (header_size != (s.pages == 0 ? 0 : 8 + 16 * std::size_t{s.pages})) return fail_packet(seq, "header size");
    if (s.pages != 0) {
      std::uint64_t pfn;
      std::memcpy(&pfn, header + 16, 8);
      if (pfn != seq) return fail_packet(seq, "first pfn");
    }
    if (payload_size != vmbus::align8(s.size)) return fail_packet(seq, "payload size " + std::to_string(payload_size));
    std::uint64_t carried_seq;
    std::uint32_t carried_size, carried_sum;
    std::memcpy(&carried_seq, payload, 8);
    std::memcpy(&carried_size, payload + 8, 4);
    std::memcpy(&carried_sum, payload + 12, 4);
    if (carried_seq != seq || carried_size != s.size) return fail_packet(seq, "payload prefix");
    const std::uint32_t sum = checksum(payload + kPrefix, payload_size - kPrefix);
    if (sum != carried_sum) return fail_packet(seq, "checksum");
    out_.sum_received += sum;
    return true;
  }
  bool fail_packet(std::uint64_t seq, const std::string& what) {
    fail("packet " + std::to_string(seq) + ": " + what);
    return false;
  }

  // Takes packet `seq` if one is there: 1 taken, 0 empty, -1 failed.
  int take(std::uint64_t seq) {
    vmbus::IncomingRing& rx = ring_.rx();
    if ((mix64(seq ^ 0x5eed) & 1) != 0) {
      auto r = rx.read(buffer_);
      if (!r) {
        if (r.error().code == Errc::empty) return 0;
        fail("read: " + r.error().message());
        return -1;
      }
      return check(seq, r->type, r->flags, r->trans_id, r->header.data(), r->header.size(), r->payload.data(),
                   r->payload.size())
                 ? 1
                 : -1;
    }
    auto v = rx.peek();
    if (!v) {
      if (v.error().code == Errc::empty) return 0;
      fail("peek: " + v.error().message());
      return -1;
    }
    // A driver copies the payload out once: do the same, across the wrap.
    const std::size_t header_size = v->header.copy_to(header_copy_);
    const std::size_t payload_size = v->payload.copy_to(payload_copy_);
    if (header_size != v->header.size() || payload_size != v->payload.size()) {
      fail_packet(seq, "too large");
      return -1;
    }
    if (!check(seq, v->type(), v->descriptor.flags, v->descriptor.trans_id, header_copy_.data(), header_size,
               payload_copy_.data(), payload_size)) {
      return -1;
    }
    if (!rx.consume(*v)) {
      fail_packet(seq, "consume refused its own view");
      return -1;
    }
    return 1;
  }

  void consume() {
    vmbus::IncomingRing& rx = ring_.rx();
    std::uint64_t seq = 0;
    while (seq < packets_ && !stopped()) {
      if (consumer_pauses_at(seq) && seq != last_consumer_pause_) {
        // Stop reading until the producer filled the ring and sleeps on a
        // space request: the commits that follow must wake it.
        last_consumer_pause_ = seq;
        ++out_.consumer_pauses;
        if (!space_event_.await_sleeper(stop_)) return fail("producer never went to sleep on a full ring");
      }
      const std::uint32_t limit = batch_size(seq ^ 0xc0ffee);
      std::uint32_t got = 0;
      while (got < limit && seq < packets_) {
        const int taken = take(seq);
        if (taken < 0) return;
        if (taken == 0) break;
        ++seq;
        ++got;
        if (consumer_pauses_at(seq)) break;
      }
      if (got != 0) {
        ++out_.reader_commits;
        if (rx.commit()) {
          ++out_.reader_signals;
          space_event_.post();
        }
        continue;
      }
      if (mode_ != Mode::sleeping) {
        std::this_thread::yield();
        continue;
      }
      // Nothing to read: unmask, and sleep only if nothing arrived meanwhile.
      if (rx.unmask_interrupts()) {
        rx.mask_interrupts();
        continue;
      }
      ++out_.consumer_sleeps;
      const bool woken = data_event_.wait();
      rx.mask_interrupts();
      if (!woken) return fail("consumer never woken: lost data signal at packet " + std::to_string(seq));
    }
    out_.consumed = seq;
  }

  Mode mode_;
  std::uint64_t packets_;
  TestRing ring_;
  Outcome out_;
  std::atomic<bool> stop_{false};
  std::mutex error_mutex_;
  std::string error_;
  Event data_event_;   // producer -> consumer: the writer's commit() said signal
  Event space_event_;  // consumer -> producer: the reader's commit() said signal
  std::uint64_t last_consumer_pause_ = 0;  // consumer thread only
  alignas(8) std::array<std::byte, kMaxPayload + 1024> buffer_{};
  alignas(8) std::array<std::byte, 1024> header_copy_{};
  alignas(8) std::array<std::byte, kMaxPayload + 8> payload_copy_{};
};

void expect_delivered(Transfer& t, const Outcome& o, std::uint64_t packets) {
  EXPECT_EQ(t.error(), "");
  EXPECT_EQ(o.produced, packets);
  EXPECT_EQ(o.consumed, packets);
  EXPECT_EQ(o.sum_received, o.sum_sent) << "checksums of every payload";
  EXPECT_EQ(t.ring().read_index(), t.ring().write_index()) << "everything read was committed";
  EXPECT_LE(o.writer_signals, o.producer_commits) << "at most one signal per commit";
}

TEST(RingThreads, PolledConsumerWithInterruptsUnmaskedGetsEveryPacketAndFewSignals) {
  const std::uint64_t packets = packet_count(kPolledPackets);
  Transfer t(Mode::polled_unmasked, packets);
  const Outcome o = t.run();
  expect_delivered(t, o, packets);
  // Each writer signal marks an empty -> non-empty transition, and the ring
  // only becomes empty again through a reader commit.
  EXPECT_GE(o.writer_signals, 1u) << "the first commit onto the empty ring signals";
  EXPECT_LE(o.writer_signals, o.reader_commits + 1);
  EXPECT_EQ(o.reader_signals, 0u) << "the producer never asked for room";
  std::cout << "[          ] " << o.producer_commits << " writer commits, " << o.writer_signals << " signals; "
            << o.reader_commits << " reader commits; " << o.fulls << " times full\n";
}

TEST(RingThreads, PolledConsumerWithInterruptsMaskedIsNeverSignalled) {
  const std::uint64_t packets = packet_count(kPolledPackets);
  Transfer t(Mode::polled_masked, packets);
  const Outcome o = t.run();
  expect_delivered(t, o, packets);
  EXPECT_EQ(o.writer_signals, 0u);
  EXPECT_EQ(o.reader_signals, 0u);
}

TEST(RingThreads, SleepingConsumerAndBlockedProducerAreAlwaysWoken) {
  const std::uint64_t packets = packet_count(kSleepingPackets);
  Transfer t(Mode::sleeping, packets);
  const Outcome o = t.run();
  expect_delivered(t, o, packets);
  // Every pause forced one side to sleep; each had to be woken by a signal.
  EXPECT_GT(o.fulls, 0u);
  EXPECT_GT(o.producer_pauses, 0u);
  EXPECT_GT(o.consumer_pauses, 0u);
  EXPECT_GE(o.writer_signals, o.producer_pauses);
  EXPECT_GE(o.reader_signals, o.consumer_pauses);
  EXPECT_GE(o.consumer_sleeps, o.producer_pauses);
  EXPECT_GE(o.producer_sleeps, o.consumer_pauses);
  EXPECT_LE(o.writer_signals, o.reader_commits + 1);
  std::cout << "[          ] producer slept " << o.producer_sleeps << " times, consumer " << o.consumer_sleeps
            << " times; " << o.writer_signals << " writer and " << o.reader_signals << " reader signals\n";
}

}  // namespace
