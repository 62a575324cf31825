// The ring against a reference model: thousands of random writer and reader
// operations (write, commit, revert, read, peek, consume, re-attach, masks,
// space requests), each checked against a std::deque of the packets that must
// come out, and against Linux's signalling rules. Then the signalling and
// flow-control calls one at a time.
//
// The seed comes from std::random_device; set VMBUS_TEST_SEED to replay one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ring_test_support.h"
#include "vmbus/packet/builders.h"

namespace {

using vmbus::Errc;
using vmbus::PacketType;
using vmbus::test::ExpectedPacket;
using vmbus::test::HasError;
using vmbus::test::IsOk;
using vmbus::test::test_seed;
using vmbus::test::TestRing;

// The model keeps absolute byte counts (they never wrap) for the four cursors:
//   r_committed <= r_next <= w_committed <= w_next,   w_next - r_committed < ds
// and the packets between them.
class RingModel {
 public:
  RingModel(std::uint64_t seed, std::uint32_t data_size, std::uint32_t max_payload)
      : rng_(seed), ring_(data_size), ds_(data_size), max_payload_(max_payload) {
    const std::uint32_t start = uniform(0, ds_ / 8 - 1) * 8;
    ring_.set_indices(start, start);
    r_committed_ = r_next_ = w_committed_ = w_next_ = start;
    EXPECT_TRUE(ring_.attach());
  }

  // Runs `operations` random operations; stops at the first failure.
  void run(int operations) {
    for (int op = 0; op < operations; ++op) {
      if (op % phase_length_ == 0) {
        phase_ = uniform(0, 2);  // 0: writer-heavy, 1: reader-heavy, 2: balanced
        phase_length_ = static_cast<int>(uniform(50, 800));
      }
      step();
      check_invariants();
      if (::testing::Test::HasFailure()) {
        ADD_FAILURE() << "first failure at operation " << op << " (" << last_op_ << ")";
        return;
      }
    }
  }

  struct Counts {
    int written = 0, full = 0, too_large = 0, writer_signals = 0, writer_quiet_commits = 0;
    int read = 0, empty = 0, buffer_too_small = 0, reader_signals = 0, reader_quiet_commits = 0;
    int unmask_with_data = 0, space_already_free = 0, space_requested = 0;
  };
  const Counts& counts() const { return counts_; }

 private:
  std::uint32_t uniform(std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng_);
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  std::uint32_t idx(std::uint64_t absolute) const { return static_cast<std::uint32_t>(absolute % ds_); }
  // Room the writer has from its cursor, against the reader's published index.
  std::uint64_t writer_free() const { return ds_ - (w_next_ - r_committed_); }

  void step() {
    // Weights: writer ops, reader ops, control ops.
    const std::uint32_t writer_weight = phase_ == 0 ? 60 : phase_ == 1 ? 15 : 40;
    const std::uint32_t reader_weight = phase_ == 1 ? 60 : phase_ == 0 ? 15 : 40;
    const std::uint32_t roll = uniform(0, writer_weight + reader_weight + 10 - 1);
    if (roll < writer_weight) {
      const std::uint32_t w = uniform(0, 99);
      if (w < 70) return write();
      if (w < 92) return writer_commit();
      if (w < 97) return writer_revert();
      return writer_reattach();
    }
    if (roll < writer_weight + reader_weight) {
      const std::uint32_t r = uniform(0, 99);
      if (r < 35) return read();
      if (r < 65) return peek();
      if (r < 92) return reader_commit();
      if (r < 97) return reader_revert();
      return reader_reattach();
    }
    const std::uint32_t c = uniform(0, 99);
    if (c < 20) return mask();
    if (c < 40) return unmask();
    if (c < 60) return request_space();
    if (c < 70) return cancel_space();
    if (c < 85) return bytes_free();
    if (c < 95) return check_empty();
    return toggle_feature_bit();
  }

  ExpectedPacket random_packet() {
    ExpectedPacket p;
    p.trans_id = next_id_++;
    const std::uint32_t kind = uniform(0, 9);
    if (kind < 5) {
      p.type = PacketType::data_inband;
      p.flags = chance(0.5) ? vmbus::kPacketFlagCompletionRequested : 0;
    } else if (kind < 7) {
      p.type = PacketType::completion;
    } else if (kind < 9) {
      // GPA-direct through the SDK's builder: 1..32 page buffers.
      vmbus::GpaDirectHeader ranges;
      const std::uint32_t pages = uniform(1, 32);
      for (std::uint32_t i = 0; i < pages; ++i) {
        EXPECT_TRUE(IsOk(ranges.add_page(uniform(1, 4096 - 8), 0, p.trans_id * 64 + i)));
      }
      const vmbus::OutgoingPacket built = vmbus::packet::gpa_direct(ranges, {}, p.trans_id);
      p.type = built.type;
      p.flags = built.flags;
      p.header.assign(built.header.begin(), built.header.end());
    } else {
      // Transfer pages with a raw header of some 8-byte multiple.
      p.type = PacketType::data_using_transfer_pages;
      p.header = vmbus::test::pattern_bytes(std::size_t{uniform(1, 16)} * 8, p.trans_id ^ 0xfeed);
    }
    // Mostly small payloads, some large, a few that never fit.
    const std::uint32_t size_class = uniform(0, 99);
    std::uint32_t size = 0;
    if (size_class < 70) size = uniform(0, 200);
    else if (size_class < 97) size = uniform(200, max_payload_ / 2);
    else size = uniform(max_payload_ / 2, max_payload_);
    p.payload = vmbus::test::pattern_bytes(size, p.trans_id);
    const std::uint32_t parts = uniform(1, 4);
    for (std::uint32_t i = 1; i < parts; ++i) p.cuts.push_back(uniform(0, size));
    std::sort(p.cuts.begin(), p.cuts.end());
    return p;
  }

  void write() {
    if (chance(0.01)) {
      // A header that offset8 cannot describe is the caller's mistake.
      last_op_ = "write with a 12-byte header";
      const std::vector<std::byte> header(12);
      vmbus::OutgoingPacket p = vmbus::packet::inband({}, 1);
      p.header = header;
      EXPECT_TRUE(HasError(ring_.tx().write(p), Errc::invalid_argument, 12));
      return;
    }
    waiting_for_.reset();
    ExpectedPacket p = random_packet();
    const std::uint32_t total = p.ring_size();
    last_op_ = "write " + std::to_string(total) + " bytes";
    const vmbus::Status s = ring_.tx().write(p.outgoing());
    if (total >= ds_) {
      EXPECT_TRUE(HasError(s, Errc::packet_too_large, total));
      ++counts_.too_large;
    } else if (writer_free() <= total) {
      EXPECT_TRUE(HasError(s, Errc::full, total)) << "free " << writer_free() << ", packet " << total;
      ++counts_.full;
      // What a blocked driver does: ask to be signalled when this packet fits.
      if (chance(0.5)) request_space(total);
    } else {
      EXPECT_TRUE(IsOk(s)) << "free " << writer_free() << ", packet " << total;
      if (s.ok()) {
        w_next_ += total;
        staged_.push_back(std::move(p));
        ++counts_.written;
      }
    }
  }

  void writer_commit() {
    waiting_for_.reset();
    last_op_ = "writer commit";
    // hv_signal_on_write: something published, the reader's mask clear, and
    // the reader had read everything published before (ring was empty).
    const bool expected = w_next_ != w_committed_ && !mask_ && r_committed_ == w_committed_;
    const bool signalled = ring_.tx().commit();
    EXPECT_EQ(signalled, expected) << "published " << (w_next_ - w_committed_) << " bytes, mask " << mask_
                                   << ", ring empty before: " << (r_committed_ == w_committed_);
    if (signalled) ++counts_.writer_signals;
    else ++counts_.writer_quiet_commits;
    w_committed_ = w_next_;
    for (ExpectedPacket& p : staged_) published_.push_back(std::move(p));
    staged_.clear();
  }

  void writer_revert() {
    waiting_for_.reset();
    last_op_ = "writer revert";
    ring_.tx().revert();
    w_next_ = w_committed_;
    staged_.clear();
  }

  void writer_reattach() {
    waiting_for_.reset();
    last_op_ = "writer re-attach";
    EXPECT_TRUE(ring_.attach_writer());
    w_next_ = w_committed_;
    staged_.clear();
  }

  const ExpectedPacket* next_unread() const {
    return read_cursor_ < published_.size() ? &published_[read_cursor_] : nullptr;
  }

  void read() {
    last_op_ = "read";
    const ExpectedPacket* p = next_unread();
    std::uint32_t size = 0;
    if (p != nullptr && chance(0.1)) size = uniform(0, p->length() - 1);  // too small
    else size = p != nullptr && chance(0.5) ? p->length() : static_cast<std::uint32_t>(buffer_.size());
    const std::uint32_t uncommitted = ring_.rx().uncommitted_bytes();
    auto r = ring_.rx().read(std::span<std::byte>(buffer_).first(size));
    if (p == nullptr) {
      EXPECT_TRUE(HasError(r, Errc::empty));
      ++counts_.empty;
    } else if (size < p->length()) {
      EXPECT_TRUE(HasError(r, Errc::buffer_too_small, p->length()));
      EXPECT_EQ(ring_.rx().uncommitted_bytes(), uncommitted) << "buffer_too_small must leave the cursor";
      ++counts_.buffer_too_small;
    } else {
      EXPECT_TRUE(IsOk(r));
      if (r.ok()) {
        EXPECT_TRUE(p->matches(*r));
      }
      advance_reader(*p);
    }
  }

  void peek() {
    last_op_ = "peek";
    const ExpectedPacket* p = next_unread();
    auto v = ring_.rx().peek();
    if (p == nullptr) {
      EXPECT_TRUE(HasError(v, Errc::empty));
      ++counts_.empty;
      return;
    }
    EXPECT_TRUE(IsOk(v));
    if (!v.ok()) return;
    EXPECT_TRUE(p->matches(*v));
    EXPECT_EQ(v->ring_offset, idx(r_next_));
    // The trailer after the packet records where it started.
    const std::vector<std::byte> trailer = ring_.bytes_at(idx(r_next_ + p->length()), 8);
    EXPECT_TRUE(vmbus::test::SameBytes(trailer, std::span<const std::byte>(p->wire_image(idx(r_next_))).last(8)));
    if (chance(0.75)) {
      EXPECT_TRUE(ring_.rx().consume(*v));
      advance_reader(*p);
      if (chance(0.2)) {
        EXPECT_FALSE(ring_.rx().consume(*v)) << "a view from before the cursor moved";
      }
    }
  }

  void advance_reader(const ExpectedPacket& p) {
    r_next_ += p.ring_size();
    ++read_cursor_;
    ++counts_.read;
  }

  void reader_commit() {
    last_op_ = "reader commit";
    // hv_pkt_iter_close, with free space counted against the published write index.
    const std::uint64_t bytes_read = r_next_ - r_committed_;
    const std::uint64_t free_now = ds_ - (w_committed_ - r_next_);
    const std::uint64_t free_before = free_now - bytes_read;
    const bool expected = bytes_read != 0 && feature_ && pending_ != 0 && free_before <= pending_ && free_now > pending_;
    const bool signalled = ring_.rx().commit();
    EXPECT_EQ(signalled, expected) << "read " << bytes_read << ", free before " << free_before << ", now "
                                   << free_now << ", pending " << pending_ << ", feature " << feature_;
    if (signalled) ++counts_.reader_signals;
    else ++counts_.reader_quiet_commits;
    if (waiting_for_ && feature_) {
      if (signalled) {
        waiting_for_.reset();
      } else {
        EXPECT_LE(ds_ - (w_next_ - r_next_), *waiting_for_) << "lost wakeup: the waiting writer's packet fits now";
      }
    }
    r_committed_ = r_next_;
    published_.erase(published_.begin(), published_.begin() + static_cast<std::ptrdiff_t>(read_cursor_));
    read_cursor_ = 0;
  }

  void reader_revert() {
    last_op_ = "reader revert";
    ring_.rx().revert();
    r_next_ = r_committed_;
    read_cursor_ = 0;
  }

  void reader_reattach() {
    last_op_ = "reader re-attach";
    EXPECT_TRUE(ring_.attach_reader());
    r_next_ = r_committed_;
    read_cursor_ = 0;
  }

  void mask() {
    last_op_ = "mask interrupts";
    ring_.rx().mask_interrupts();
    mask_ = true;
    EXPECT_NE(ring_.interrupt_mask(), 0u);
    EXPECT_TRUE(ring_.tx().peer_interrupts_masked());
  }

  void unmask() {
    last_op_ = "unmask interrupts";
    // Unread packets, or reads not yet committed: either way, not safe to sleep.
    const bool waiting = w_committed_ != r_next_ || r_next_ != r_committed_;
    EXPECT_EQ(ring_.rx().unmask_interrupts(), waiting);
    mask_ = false;
    EXPECT_EQ(ring_.interrupt_mask(), 0u);
    EXPECT_FALSE(ring_.tx().peer_interrupts_masked());
    if (waiting) ++counts_.unmask_with_data;
  }

  void request_space() { request_space(uniform(0, ds_)); }
  void request_space(std::uint32_t bytes) {
    last_op_ = "request space signal for " + std::to_string(bytes);
    const bool already = writer_free() > bytes;
    EXPECT_EQ(ring_.tx().request_space_signal(bytes), already) << "free " << writer_free();
    // The request as the reader sees it: at least `bytes` (a writer with
    // staged packets may fairly ask for more).
    pending_ = ring_.pending_send_size();
    EXPECT_GE(pending_, bytes);
    // Told to wait with nothing staged (the documented pattern): the reader's
    // commit that makes the room must wake it.
    waiting_for_.reset();
    if (!already && w_next_ == w_committed_) waiting_for_ = bytes;
    if (already) ++counts_.space_already_free;
    else ++counts_.space_requested;
  }

  void cancel_space() {
    waiting_for_.reset();
    last_op_ = "cancel space signal";
    ring_.tx().cancel_space_signal();
    EXPECT_EQ(ring_.pending_send_size(), 0u);
    pending_ = 0;
  }

  void bytes_free() {
    last_op_ = "bytes_free";
    auto free = ring_.tx().bytes_free();
    EXPECT_TRUE(IsOk(free));
    if (free.ok()) {
      EXPECT_EQ(*free, writer_free() - 1);
    }
  }

  void check_empty() {
    last_op_ = "empty";
    EXPECT_EQ(ring_.rx().empty(), w_committed_ == r_next_);
  }

  void toggle_feature_bit() {
    waiting_for_.reset();
    last_op_ = "toggle feat_pending_send_sz";
    feature_ = !feature_;
    ring_.set_feature_bits(feature_ ? vmbus::kRingFeaturePendingSendSize : 0);
  }

  void check_invariants() {
    EXPECT_EQ(ring_.write_index(), idx(w_committed_));
    EXPECT_EQ(ring_.read_index(), idx(r_committed_));
    EXPECT_EQ(ring_.tx().uncommitted_bytes(), w_next_ - w_committed_);
    EXPECT_EQ(ring_.rx().uncommitted_bytes(), r_next_ - r_committed_);
  }

  std::mt19937_64 rng_;
  TestRing ring_;
  std::uint32_t ds_;
  std::uint32_t max_payload_;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(std::size_t{vmbus::kPacketMaxLength});

  std::uint64_t r_committed_ = 0, r_next_ = 0, w_committed_ = 0, w_next_ = 0;
  std::deque<ExpectedPacket> published_;  // committed by the writer, not yet committed by the reader
  std::size_t read_cursor_ = 0;           // published_[0, read_cursor_) read but not committed
  std::vector<ExpectedPacket> staged_;    // written, not committed
  bool mask_ = false;
  bool feature_ = true;
  std::uint32_t pending_ = 0;
  std::optional<std::uint32_t> waiting_for_;  // a writer told to wait for this room, nothing staged
  std::uint64_t next_id_ = 1;
  std::uint32_t phase_ = 2;
  int phase_length_ = 1;
  std::string last_op_;
  Counts counts_;
};

void run_model(std::uint32_t data_size, std::uint32_t max_payload, int operations) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "VMBUS_TEST_SEED=" << seed);
  RingModel model(seed, data_size, max_payload);
  model.run(operations);
  // The run must have reached every interesting state, or it proves little.
  const RingModel::Counts& c = model.counts();
  EXPECT_GT(c.written, operations / 10);
  EXPECT_GT(c.read, operations / 10);
  EXPECT_GT(c.full, 0);
  EXPECT_GT(c.empty, 0);
  EXPECT_GT(c.too_large, 0);
  EXPECT_GT(c.buffer_too_small, 0);
  EXPECT_GT(c.writer_signals, 0);
  EXPECT_GT(c.writer_quiet_commits, 0);
  EXPECT_GT(c.reader_signals, 0);
  EXPECT_GT(c.reader_quiet_commits, 0);
  EXPECT_GT(c.unmask_with_data, 0);
  EXPECT_GT(c.space_already_free, 0);
  EXPECT_GT(c.space_requested, 0);
  std::cout << "[          ] seed " << seed << ": " << c.written << " written, " << c.read << " read, " << c.full
            << " full, " << c.empty << " empty, " << c.writer_signals << "/" << c.reader_signals
            << " writer/reader signals\n";
}

TEST(RingModel, RandomOperationsOnOnePageRingMatchTheModel) { run_model(4096, 4200, 20000); }

TEST(RingModel, RandomOperationsOnFivePageRingMatchTheModel) { run_model(5 * 4096, 24000, 20000); }

// ---- Signalling and flow control, one call at a time -----------------------

ExpectedPacket inband(std::uint64_t id, std::size_t payload) {
  return {.type = PacketType::data_inband, .flags = 0, .trans_id = id, .header = {},
          .payload = vmbus::test::pattern_bytes(payload, id), .cuts = {}};
}

class RingSignals : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ring_.attach()); }

  void write(std::uint64_t id, std::size_t payload) {
    const ExpectedPacket p = inband(id, payload);
    ASSERT_TRUE(IsOk(ring_.tx().write(p.outgoing())));
  }
  void read_one() {
    auto r = ring_.rx().read(buffer_);
    ASSERT_TRUE(IsOk(r));
  }

  TestRing ring_{4096};
  alignas(8) std::byte buffer_[4096];
};

TEST_F(RingSignals, WriterSignalsWhenItsCommitMakesTheRingNonEmpty) {
  write(1, 10);
  EXPECT_TRUE(ring_.tx().commit());
}

TEST_F(RingSignals, WriterDoesNotSignalWhileTheReaderHasUnreadPackets) {
  write(1, 10);
  EXPECT_TRUE(ring_.tx().commit());
  write(2, 10);
  EXPECT_FALSE(ring_.tx().commit()) << "ring was not empty";
  read_one();  // read but not committed: to the writer the ring is still not empty
  write(3, 10);
  EXPECT_FALSE(ring_.tx().commit());
  read_one();
  read_one();
  EXPECT_FALSE(ring_.rx().commit());
  write(4, 10);
  EXPECT_TRUE(ring_.tx().commit()) << "the reader had consumed everything";
}

TEST_F(RingSignals, WriterBatchOfManyPacketsSignalsOnce) {
  for (std::uint64_t id = 1; id <= 20; ++id) write(id, 50);
  EXPECT_TRUE(ring_.tx().commit());
  EXPECT_FALSE(ring_.tx().commit()) << "nothing new to publish";
}

TEST_F(RingSignals, WriterCommitWithNothingWrittenDoesNotSignal) {
  EXPECT_FALSE(ring_.tx().commit());
  write(1, 10);
  ring_.tx().revert();
  EXPECT_FALSE(ring_.tx().commit()) << "reverted writes are not published";
  EXPECT_EQ(ring_.write_index(), 0u);
}

TEST_F(RingSignals, WriterDoesNotSignalWhenTheReaderMaskedInterrupts) {
  ring_.rx().mask_interrupts();
  EXPECT_EQ(ring_.interrupt_mask(), 1u);
  EXPECT_TRUE(ring_.tx().peer_interrupts_masked());
  write(1, 10);
  EXPECT_FALSE(ring_.tx().commit());
}

TEST_F(RingSignals, UnmaskReportsDataThatArrivedWhileMasked) {
  ring_.rx().mask_interrupts();
  EXPECT_FALSE(ring_.rx().unmask_interrupts()) << "nothing waiting";
  EXPECT_EQ(ring_.interrupt_mask(), 0u);
  ring_.rx().mask_interrupts();
  write(1, 10);
  EXPECT_FALSE(ring_.tx().commit());
  EXPECT_TRUE(ring_.rx().unmask_interrupts()) << "a packet is waiting: poll again instead of sleeping";
  EXPECT_EQ(ring_.interrupt_mask(), 0u);
  read_one();
  EXPECT_TRUE(ring_.rx().unmask_interrupts()) << "read but not committed: the writer cannot see the ring emptied";
  EXPECT_FALSE(ring_.rx().commit());
  EXPECT_FALSE(ring_.rx().unmask_interrupts()) << "read and committed: nothing waiting";
}

TEST_F(RingSignals, UnmaskIgnoresWritesThatAreNotCommitted) {
  write(1, 10);
  EXPECT_FALSE(ring_.rx().unmask_interrupts());
}

TEST_F(RingSignals, ReaderSignalsWhenItsCommitFreesTheRoomTheWriterAskedFor) {
  // Nine 400-byte packets, 424 bytes each in the ring: 3816 used, 280 free.
  for (std::uint64_t id = 1; id <= 9; ++id) write(id, 400);
  EXPECT_TRUE(ring_.tx().commit());
  const ExpectedPacket big = inband(100, 400);
  EXPECT_TRUE(HasError(ring_.tx().write(big.outgoing()), Errc::full, 424));
  EXPECT_FALSE(ring_.tx().request_space_signal(424)) << "280 bytes free, 424 asked";
  EXPECT_EQ(ring_.pending_send_size(), 424u);

  read_one();  // 280 + 424 = 704 > 424
  EXPECT_TRUE(ring_.rx().commit()) << "the writer was blocked and now has room";
  read_one();
  EXPECT_FALSE(ring_.rx().commit()) << "the writer already had room before this commit";

  EXPECT_TRUE(ring_.tx().request_space_signal(424)) << "room is free now: retry instead of waiting";
  ring_.tx().cancel_space_signal();
  EXPECT_EQ(ring_.pending_send_size(), 0u);
  EXPECT_TRUE(IsOk(ring_.tx().write(big.outgoing())));
}

TEST_F(RingSignals, ReaderDoesNotSignalWhenItsCommitFreesTooLittle) {
  for (std::uint64_t id = 1; id <= 9; ++id) write(id, 400);
  EXPECT_TRUE(ring_.tx().commit());
  // 280 free; the writer wants 1000.
  EXPECT_FALSE(ring_.tx().request_space_signal(1000));
  read_one();  // 704 free
  EXPECT_FALSE(ring_.rx().commit()) << "704 <= 1000: still blocked";
  read_one();  // 1128 free
  EXPECT_TRUE(ring_.rx().commit()) << "crossed 1000";
}

TEST_F(RingSignals, ReaderSignalsOnlyWhenFreeSpaceGoesFromAtMostPendingToMore) {
  for (std::uint64_t id = 1; id <= 9; ++id) write(id, 400);
  EXPECT_TRUE(ring_.tx().commit());
  // 280 free. A write needs free > size, so pending 704 is met only above 704.
  ring_.set_pending_send_size(704);
  read_one();  // 280 -> 704
  EXPECT_FALSE(ring_.rx().commit()) << "704 free is not more than 704";
  read_one();  // 704 -> 1128
  EXPECT_TRUE(ring_.rx().commit()) << "704 before (at most pending), 1128 now (more)";
}

TEST_F(RingSignals, ReaderDoesNotSignalWithoutFeaturePendingSendSize) {
  for (std::uint64_t id = 1; id <= 9; ++id) write(id, 400);
  EXPECT_TRUE(ring_.tx().commit());
  ring_.set_feature_bits(0);
  EXPECT_FALSE(ring_.tx().request_space_signal(424));
  read_one();
  EXPECT_FALSE(ring_.rx().commit()) << "the ring does not advertise feat_pending_send_sz";
}

TEST_F(RingSignals, ReaderDoesNotSignalWhenNoWriterAsked) {
  for (std::uint64_t id = 1; id <= 9; ++id) write(id, 400);
  EXPECT_TRUE(ring_.tx().commit());
  EXPECT_FALSE(ring_.tx().request_space_signal(424));
  ring_.tx().cancel_space_signal();
  read_one();
  EXPECT_FALSE(ring_.rx().commit()) << "pending_send_sz is 0";
}

TEST_F(RingSignals, ReaderSignalsWhileItsInterruptsAreMasked) {
  // The reader's own mask is about signals to it, not from it (current Linux
  // does not check interrupt_mask in hv_pkt_iter_close).
  for (std::uint64_t id = 1; id <= 9; ++id) write(id, 400);
  EXPECT_TRUE(ring_.tx().commit());
  ring_.rx().mask_interrupts();
  EXPECT_FALSE(ring_.tx().request_space_signal(424));
  read_one();
  EXPECT_TRUE(ring_.rx().commit());
}

TEST_F(RingSignals, ReaderCommitWithNothingReadDoesNotSignal) {
  ring_.set_pending_send_size(8);
  EXPECT_FALSE(ring_.rx().commit());
  write(1, 10);
  EXPECT_TRUE(ring_.tx().commit());
  read_one();
  ring_.rx().revert();
  EXPECT_FALSE(ring_.rx().commit()) << "reverted reads are not published";
  EXPECT_EQ(ring_.read_index(), 0u);
}

TEST_F(RingSignals, RequestSpaceSignalAnswersForTheWritersCursor) {
  // 4096 free on an empty ring; a staged 3000-byte packet leaves 1096 for the
  // next write, so that is what "already free" means.
  write(1, 3000 - 24);
  EXPECT_TRUE(ring_.tx().request_space_signal(1095));
  EXPECT_FALSE(ring_.tx().request_space_signal(1096));
  EXPECT_NE(ring_.pending_send_size(), 0u);
  ring_.tx().cancel_space_signal();
  EXPECT_EQ(ring_.pending_send_size(), 0u);
}

// A writer that staged packets, hit `full`, and was told by
// request_space_signal() to wait, must be woken by the reader commit that
// makes its packet fit. The writer's answer counts the staged bytes, but the
// reader judges pending_send_sz against the published write_index, which does
// not: the reader sees the room as free from the start and never signals.
TEST_F(RingSignals, WriterBlockedWithStagedPacketsIsWokenWhenItsPacketFits) {
  write(1, 2000 - 24);  // A: 2000 bytes in the ring, committed
  EXPECT_TRUE(ring_.tx().commit());
  write(2, 1000 - 24);  // B: 1000 bytes, staged
  const ExpectedPacket c = inband(3, 1504 - 24);  // C: 1504 bytes; 1096 free after B
  ASSERT_TRUE(HasError(ring_.tx().write(c.outgoing()), Errc::full, 1504));
  if (ring_.tx().request_space_signal(1504)) GTEST_SKIP() << "told to retry, not to wait";

  read_one();  // the reader takes A: 3096 free after B, C fits
  const bool signalled = ring_.rx().commit();
  EXPECT_TRUE(IsOk(ring_.tx().write(c.outgoing()))) << "C fits now";
  EXPECT_TRUE(signalled) << "the writer waits for room that is now free, and no signal will ever come: pending_send_sz "
                         << ring_.pending_send_size() << " was compared with free space counted from the published "
                            "write_index, which ignores the 1000 staged bytes";
}

TEST_F(RingSignals, BytesFreeIsOneLessThanTheFreeSpace) {
  auto free = ring_.tx().bytes_free();
  ASSERT_TRUE(IsOk(free));
  EXPECT_EQ(*free, 4095u) << "an empty ring can take a 4095-byte write (really 4088)";
  write(1, 100);  // 16 + 100 -> 120, + 8 = 128
  free = ring_.tx().bytes_free();
  ASSERT_TRUE(IsOk(free));
  EXPECT_EQ(*free, 4096u - 128 - 1) << "uncommitted writes count";
  EXPECT_TRUE(ring_.tx().commit());
  read_one();
  free = ring_.tx().bytes_free();
  ASSERT_TRUE(IsOk(free));
  EXPECT_EQ(*free, 4096u - 128 - 1) << "the reader has not committed yet";
  EXPECT_FALSE(ring_.rx().commit());
  free = ring_.tx().bytes_free();
  ASSERT_TRUE(IsOk(free));
  EXPECT_EQ(*free, 4095u);
}

TEST_F(RingSignals, PacketOfExactlyBytesFreeFitsAndOneMoreSlotIsFull) {
  write(1, 1000);  // 1016 + 8 = 1024 in the ring
  EXPECT_TRUE(ring_.tx().commit());
  auto free = ring_.tx().bytes_free();
  ASSERT_TRUE(IsOk(free));
  ASSERT_EQ(*free, 4096u - 1024 - 1);
  const std::uint32_t largest = *free & ~7u;  // 3064: packets are whole 8-byte slots
  const ExpectedPacket too_big = inband(2, largest - 24 + 8);
  EXPECT_TRUE(HasError(ring_.tx().write(too_big.outgoing()), Errc::full, largest + 8));
  const ExpectedPacket fits = inband(3, largest - 24);
  EXPECT_TRUE(IsOk(ring_.tx().write(fits.outgoing())));
  free = ring_.tx().bytes_free();
  ASSERT_TRUE(IsOk(free));
  EXPECT_EQ(*free, 7u);
}

// len8 is a u16: the longest packet is 0xffff * 8 bytes (DPDK: 512 KiB). On a
// ring big enough for it, it goes through with len8 = 0xffff; one byte more
// is packet_too_large, however much room there is.
TEST(RingLimits, LongestPacketLen8RoundTripsAndOneByteMoreIsTooLarge) {
  TestRing ring(1024 * 1024);
  ring.set_indices(1024 * 1024 - 4096, 1024 * 1024 - 4096);  // and it wraps
  ASSERT_TRUE(ring.attach());
  const std::size_t longest_payload = vmbus::kPacketMaxLength - vmbus::kPacketDescriptorSize - 7;
  const ExpectedPacket over = inband(1, longest_payload + 8);
  EXPECT_TRUE(HasError(ring.tx().write(over.outgoing()), Errc::packet_too_large, vmbus::kPacketMaxLength + 1));
  const ExpectedPacket longest = inband(2, longest_payload);
  ASSERT_EQ(longest.len8(), 0xffff);
  ASSERT_TRUE(IsOk(ring.tx().write(longest.outgoing())));
  EXPECT_TRUE(ring.tx().commit());
  std::vector<std::byte> buffer(vmbus::kPacketMaxLength);
  auto r = ring.rx().read(buffer);
  ASSERT_TRUE(IsOk(r));
  EXPECT_TRUE(longest.matches(*r));
  EXPECT_EQ(ring.rx().uncommitted_bytes(), vmbus::kPacketMaxLength + 8);
}

TEST(RingLimits, HeaderNotAMultipleOfEightIsTheCallersMistake) {
  TestRing ring(4096);
  ASSERT_TRUE(ring.attach());
  const std::vector<std::byte> header(20);
  vmbus::OutgoingPacket p = vmbus::packet::inband({}, 1);
  p.header = header;
  EXPECT_TRUE(HasError(ring.tx().write(p), Errc::invalid_argument, 20));
  EXPECT_EQ(ring.tx().uncommitted_bytes(), 0u);
}

TEST_F(RingSignals, BytesFreeSeesTheReaderWithoutAWrite) {
  write(1, 1000);
  EXPECT_TRUE(ring_.tx().commit());
  read_one();
  EXPECT_FALSE(ring_.rx().commit());
  auto free = ring_.tx().bytes_free();
  ASSERT_TRUE(IsOk(free));
  EXPECT_EQ(*free, 4095u) << "bytes_free reloads read_index";
}

}  // namespace
