// Wrap-around: packets that straddle the end of the data area, started from
// every 8-byte offset of a one-page ring, come back exactly as written, both
// copied out with read() and in place with peek() + consume().
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ring_test_support.h"
#include "vmbus/packet/builders.h"
#include "vmbus/packet/transfer_pages.h"

namespace {

using vmbus::Errc;
using vmbus::PacketType;
using vmbus::test::ExpectedPacket;
using vmbus::test::HasError;
using vmbus::test::IsOk;
using vmbus::test::IsRingWindow;
using vmbus::test::kDataSize;
using vmbus::test::SameBytes;
using vmbus::test::TestRing;

std::vector<std::byte> bytes_of(const void* p, std::size_t n) {
  std::vector<std::byte> out(n);
  std::memcpy(out.data(), p, n);
  return out;
}

// Six packets of every shape the ring frames differently: a GPA-direct
// header, one-byte and empty payloads, a completion, a large payload, and a
// transfer-page header with a payload gathered from three buffers. 2920
// bytes in the ring, so from most start offsets some packet straddles the
// end, and across all offsets the end falls on every 8-byte position of the
// batch: inside descriptors, headers, payloads, padding and trailers.
std::vector<ExpectedPacket> wrap_batch(std::uint64_t id) {
  std::vector<ExpectedPacket> batch;

  ExpectedPacket gpa;  // built with the SDK's GpaDirectHeader, as a driver would
  {
    vmbus::GpaDirectHeader ranges;
    EXPECT_TRUE(IsOk(ranges.add_page(4096, 0, 0x1234500 + id)));
    EXPECT_TRUE(IsOk(ranges.add_page(100, 8, 0x7777000 + id)));
    const std::vector<std::byte> payload = vmbus::test::pattern_bytes(37, id);
    const vmbus::OutgoingPacket p = vmbus::packet::gpa_direct(ranges, payload, id);
    gpa.type = p.type;
    gpa.flags = p.flags;
    gpa.trans_id = p.trans_id;
    gpa.header.assign(p.header.begin(), p.header.end());
    gpa.payload = payload;
  }
  batch.push_back(gpa);

  batch.push_back({.type = PacketType::data_inband, .flags = 0, .trans_id = id + 1, .header = {},
                   .payload = vmbus::test::pattern_bytes(1, id + 1), .cuts = {}});
  batch.push_back({.type = PacketType::data_inband, .flags = vmbus::kPacketFlagCompletionRequested,
                   .trans_id = id + 2, .header = {}, .payload = {}, .cuts = {}});
  batch.push_back({.type = PacketType::completion, .flags = 0, .trans_id = id + 3, .header = {},
                   .payload = vmbus::test::pattern_bytes(300, id + 3), .cuts = {}});
  batch.push_back({.type = PacketType::data_inband, .flags = vmbus::kPacketFlagCompletionRequested,
                   .trans_id = id + 4, .header = {}, .payload = vmbus::test::pattern_bytes(2001, id + 4),
                   .cuts = {}});

  const vmbus::TransferPagePrefix prefix{.xfer_pageset_id = 0xcafe, .sender_owns_set = 1, .reserved = 0,
                                         .range_cnt = 1};
  const vmbus::TransferPageRange range{.byte_count = 1500, .byte_offset = 4096};
  std::vector<std::byte> xfer_header = bytes_of(&prefix, sizeof prefix);
  const std::vector<std::byte> range_bytes = bytes_of(&range, sizeof range);
  xfer_header.insert(xfer_header.end(), range_bytes.begin(), range_bytes.end());
  batch.push_back({.type = PacketType::data_using_transfer_pages, .flags = 0, .trans_id = id + 5,
                   .header = xfer_header, .payload = vmbus::test::pattern_bytes(355, id + 5),
                   .cuts = {100, 105}});
  return batch;
}

std::uint32_t batch_ring_size(const std::vector<ExpectedPacket>& batch) {
  std::uint32_t total = 0;
  for (const ExpectedPacket& p : batch) total += p.ring_size();
  return total;
}

// Attaches both ends to a fresh one-page ring whose indices both sit at `start`.
void attach_at(TestRing& ring, std::uint32_t start) {
  ring.set_indices(start, start);
  ASSERT_TRUE(ring.attach());
  ASSERT_EQ(ring.tx().uncommitted_bytes(), 0u);
  ASSERT_TRUE(ring.rx().empty());
}

// Writes and commits the batch, then checks the exact bytes in the ring.
void write_batch(TestRing& ring, std::uint32_t start, const std::vector<ExpectedPacket>& batch) {
  const std::uint32_t total = batch_ring_size(batch);
  for (const ExpectedPacket& p : batch) ASSERT_TRUE(IsOk(ring.tx().write(p.outgoing())));
  EXPECT_EQ(ring.tx().uncommitted_bytes(), total);
  EXPECT_EQ(ring.write_index(), start) << "write() must not publish";
  EXPECT_TRUE(ring.rx().empty()) << "the reader must not see uncommitted packets";
  EXPECT_TRUE(ring.tx().commit()) << "empty -> non-empty with the mask clear must signal";
  EXPECT_EQ(ring.write_index(), (start + total) % kDataSize);

  std::uint32_t at = start;
  for (const ExpectedPacket& p : batch) {
    SCOPED_TRACE(::testing::Message() << "packet " << p.trans_id << " at ring offset " << at);
    EXPECT_TRUE(SameBytes(ring.bytes_at(at, p.ring_size()), p.wire_image(at)));
    at = (at + p.ring_size()) % kDataSize;
  }
}

TEST(RingWrap, BatchWrittenAtEveryOffsetReadsBackExactlyWithRead) {
  for (std::uint32_t start = 0; start < kDataSize && !HasFailure(); start += 8) {
    SCOPED_TRACE(::testing::Message() << "start offset " << start);
    TestRing ring(kDataSize);
    attach_at(ring, start);
    const std::vector<ExpectedPacket> batch = wrap_batch(start * 16);
    write_batch(ring, start, batch);

    alignas(8) std::byte buffer[kDataSize];
    for (const ExpectedPacket& p : batch) {
      SCOPED_TRACE(::testing::Message() << "packet " << p.trans_id);
      std::memset(buffer, 0xee, sizeof buffer);
      auto r = ring.rx().read(buffer);
      ASSERT_TRUE(IsOk(r));
      EXPECT_TRUE(p.matches(*r));
      // The packet is copied out whole: descriptor, then header, then payload.
      EXPECT_EQ(r->header.data(), buffer + vmbus::kPacketDescriptorSize);
      EXPECT_EQ(r->payload.data(), buffer + std::size_t{p.offset8()} * 8);
      EXPECT_TRUE(SameBytes(std::span<const std::byte>(buffer, p.length()),
                            std::span<const std::byte>(p.wire_image(0)).first(p.length())));
      EXPECT_EQ(r->completion_requested(), p.flags == vmbus::kPacketFlagCompletionRequested);
    }
    EXPECT_TRUE(HasError(ring.rx().read(buffer), Errc::empty));
    EXPECT_EQ(ring.rx().uncommitted_bytes(), batch_ring_size(batch));
    EXPECT_FALSE(ring.rx().commit()) << "no writer asked for room";
    EXPECT_EQ(ring.read_index(), ring.write_index());
    EXPECT_TRUE(ring.rx().empty());
  }
}

TEST(RingWrap, BatchWrittenAtEveryOffsetReadsBackInPlaceWithPeekAndConsume) {
  for (std::uint32_t start = 0; start < kDataSize && !HasFailure(); start += 8) {
    SCOPED_TRACE(::testing::Message() << "start offset " << start);
    TestRing ring(kDataSize);
    attach_at(ring, start);
    const std::vector<ExpectedPacket> batch = wrap_batch(start * 16 + 1);
    write_batch(ring, start, batch);

    std::uint32_t at = start;
    for (const ExpectedPacket& p : batch) {
      SCOPED_TRACE(::testing::Message() << "packet " << p.trans_id << " at ring offset " << at);
      auto v = ring.rx().peek();
      ASSERT_TRUE(IsOk(v));
      EXPECT_TRUE(p.matches(*v));
      EXPECT_EQ(v->ring_offset, at);
      EXPECT_EQ(v->type(), p.type);
      const std::uint32_t header_at = (at + vmbus::kPacketDescriptorSize) % kDataSize;
      const std::uint32_t payload_at = (at + std::uint32_t{p.offset8()} * 8) % kDataSize;
      EXPECT_TRUE(IsRingWindow(v->header, ring, header_at, p.header_size()));
      EXPECT_TRUE(IsRingWindow(v->payload, ring, payload_at, p.length() - std::uint32_t{p.offset8()} * 8));

      // Peeking does not move the cursor.
      auto again = ring.rx().peek();
      ASSERT_TRUE(IsOk(again));
      EXPECT_EQ(again->ring_offset, at);
      EXPECT_EQ(ring.rx().uncommitted_bytes(), (at + kDataSize - start) % kDataSize);

      EXPECT_TRUE(ring.rx().consume(*v));
      EXPECT_FALSE(ring.rx().consume(*v)) << "a view is consumed once";
      at = (at + p.ring_size()) % kDataSize;
    }
    EXPECT_TRUE(HasError(ring.rx().peek(), Errc::empty));
    EXPECT_FALSE(ring.rx().commit());
    EXPECT_EQ(ring.read_index(), at);
    EXPECT_EQ(ring.write_index(), at);
  }
}

// After a revert, the same straddling packets are read again, identically.
TEST(RingWrap, RevertedReadsAcrossTheEndReturnTheSamePacketsAgain) {
  for (std::uint32_t start = kDataSize - 2048; start < kDataSize && !HasFailure(); start += 8) {
    SCOPED_TRACE(::testing::Message() << "start offset " << start);
    TestRing ring(kDataSize);
    attach_at(ring, start);
    const std::vector<ExpectedPacket> batch = wrap_batch(start);
    write_batch(ring, start, batch);

    alignas(8) std::byte buffer[kDataSize];
    for (int pass = 0; pass < 2; ++pass) {
      for (const ExpectedPacket& p : batch) {
        auto r = ring.rx().read(buffer);
        ASSERT_TRUE(IsOk(r));
        EXPECT_TRUE(p.matches(*r));
      }
      if (pass == 0) ring.rx().revert();
    }
    EXPECT_EQ(ring.read_index(), start) << "nothing is published before commit()";
    EXPECT_FALSE(ring.rx().commit());
    EXPECT_EQ(ring.read_index(), ring.write_index());
  }
}

// The largest packet a one-page ring takes (4088 bytes with its trailer, one
// 8-byte slot short of the whole data area) fits from every offset, wraps
// through itself, and leaves no room for anything else.
TEST(RingWrap, LargestPacketFitsFromEveryOffsetAndFillsTheRing) {
  constexpr std::uint32_t kLargestPayload = kDataSize - vmbus::kPacketDescriptorSize - 2 * vmbus::kPacketTrailerSize;
  for (std::uint32_t start = 0; start < kDataSize && !HasFailure(); start += 8) {
    SCOPED_TRACE(::testing::Message() << "start offset " << start);
    TestRing ring(kDataSize);
    attach_at(ring, start);

    const ExpectedPacket too_large{.type = PacketType::data_inband, .flags = 0, .trans_id = 1, .header = {},
                                   .payload = vmbus::test::pattern_bytes(kLargestPayload + 1, start), .cuts = {}};
    EXPECT_TRUE(HasError(ring.tx().write(too_large.outgoing()), Errc::packet_too_large, kDataSize));

    const ExpectedPacket largest{.type = PacketType::data_inband, .flags = 0, .trans_id = start, .header = {},
                                 .payload = vmbus::test::pattern_bytes(kLargestPayload, start), .cuts = {}};
    ASSERT_EQ(largest.ring_size(), kDataSize - 8);
    auto free_before = ring.tx().bytes_free();
    ASSERT_TRUE(IsOk(free_before));
    EXPECT_EQ(*free_before, kDataSize - 1);
    ASSERT_TRUE(IsOk(ring.tx().write(largest.outgoing())));
    auto free_after = ring.tx().bytes_free();
    ASSERT_TRUE(IsOk(free_after));
    EXPECT_EQ(*free_after, 7u);
    const ExpectedPacket smallest{.type = PacketType::completion, .flags = 0, .trans_id = 2, .header = {},
                                  .payload = {}, .cuts = {}};
    EXPECT_TRUE(HasError(ring.tx().write(smallest.outgoing()), Errc::full, 24));
    EXPECT_TRUE(ring.tx().commit());
    EXPECT_TRUE(SameBytes(ring.bytes_at(start, largest.ring_size()), largest.wire_image(start)));

    auto v = ring.rx().peek();
    ASSERT_TRUE(IsOk(v));
    EXPECT_TRUE(largest.matches(*v));
    EXPECT_TRUE(IsRingWindow(v->payload, ring, (start + 16) % kDataSize, kLargestPayload));
    alignas(8) std::byte buffer[kDataSize];
    auto r = ring.rx().read(buffer);
    ASSERT_TRUE(IsOk(r));
    EXPECT_TRUE(largest.matches(*r));
    EXPECT_FALSE(ring.rx().commit());
    EXPECT_EQ(ring.read_index(), (start + kDataSize - 8) % kDataSize);
  }
}

// A long stream whose packet sizes are not a divisor of the ring size, so the
// wrap lands on every 8-byte position again and again while reader and
// writer chase each other.
TEST(RingWrap, LongStreamAroundTheRingKeepsEveryPacketIntact) {
  TestRing ring(kDataSize);
  ASSERT_TRUE(ring.attach());
  alignas(8) std::byte buffer[kDataSize];
  std::uint64_t written = 0;
  std::uint64_t read = 0;
  std::vector<ExpectedPacket> in_flight;
  for (int round = 0; round < 3000 && !HasFailure(); ++round) {
    // Two packets in, then one or two out: the ring stays partly full.
    for (int i = 0; i < 2; ++i) {
      const std::size_t size = vmbus::test::mix64(written) % 700;
      ExpectedPacket p{.type = PacketType::data_inband, .flags = 0, .trans_id = written, .header = {},
                       .payload = vmbus::test::pattern_bytes(size, written), .cuts = {}};
      if (size > 10) p.cuts = {size / 3, size / 2};
      const vmbus::Status s = ring.tx().write(p.outgoing());
      if (!s) {
        ASSERT_TRUE(HasError(s, Errc::full, p.ring_size()));
        break;
      }
      in_flight.push_back(std::move(p));
      ++written;
    }
    (void)ring.tx().commit();
    const int reads = round % 3 == 0 ? 1 : 2;
    for (int i = 0; i < reads && read < written; ++i) {
      auto r = ring.rx().read(buffer);
      ASSERT_TRUE(IsOk(r));
      ASSERT_TRUE(in_flight.front().matches(*r)) << "packet " << read;
      in_flight.erase(in_flight.begin());
      ++read;
    }
    (void)ring.rx().commit();
  }
  EXPECT_GT(read, 4000u) << "the stream went round the ring many times";
}

}  // namespace
