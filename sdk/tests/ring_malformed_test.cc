// A hostile or broken peer: impossible ring indices, impossible descriptors,
// and random garbage. Every result must be a valid packet or an error of the
// corruption or flow-control families, and nothing may touch memory outside
// the ring (run the asan preset to prove the latter).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ring_test_support.h"
#include "vmbus/packet/builders.h"

namespace {

using vmbus::Errc;
using vmbus::PacketDescriptor;
using vmbus::PacketType;
using vmbus::test::ExpectedPacket;
using vmbus::test::HasError;
using vmbus::test::IsOk;
using vmbus::test::kDataSize;
using vmbus::test::test_seed;
using vmbus::test::TestRing;

// Indices no ring of kDataSize may hold: past the end, or not 8-aligned.
const std::uint32_t kBadIndices[] = {kDataSize, kDataSize + 8, 0x80000000u, 0xfffffff8u, 0xffffffffu,
                                     1, 4, 7, kDataSize - 4, kDataSize - 1};

// ---- Geometry -----------------------------------------------------------------

TEST(RingMalformed, RingMemoryRejectsMisalignedOrBadlySizedMemory) {
  TestRing ring(2 * kDataSize);
  const std::span<std::byte> all = ring.whole();  // 3 pages, 4 KiB aligned
  EXPECT_TRUE(IsOk(vmbus::RingMemory::from(all)));
  EXPECT_TRUE(IsOk(vmbus::RingMemory::from(all.first(2 * 4096))));
  const auto misaligned = reinterpret_cast<std::uintptr_t>(all.data() + 4);
  EXPECT_TRUE(HasError(vmbus::RingMemory::from(all.subspan(4, 2 * 4096)), Errc::invalid_argument, misaligned));
  EXPECT_TRUE(HasError(vmbus::RingMemory::from(all.first(4096)), Errc::invalid_argument, 4096))
      << "a header page without data";
  EXPECT_TRUE(HasError(vmbus::RingMemory::from(all.first(0)), Errc::invalid_argument, 0));
  EXPECT_TRUE(HasError(vmbus::RingMemory::from(all.first(2 * 4096 + 8)), Errc::invalid_argument, 2 * 4096 + 8))
      << "the data area is whole pages";
  EXPECT_TRUE(HasError(vmbus::RingMemory::from(all.first(2 * 4096 - 8)), Errc::invalid_argument, 2 * 4096 - 8));

  auto m = vmbus::RingMemory::from(all);
  ASSERT_TRUE(IsOk(m));
  EXPECT_EQ(m->data_size(), 2 * kDataSize);
  EXPECT_EQ(m->header_page(), all.data());
  EXPECT_EQ(m->data(), all.data() + 4096);
}

TEST(RingMalformed, InitializeZeroesTheHeaderAndAdvertisesPendingSendSize) {
  TestRing ring(kDataSize);
  std::memset(ring.header_page().data(), 0xff, 4096);
  ring.initialize();
  EXPECT_EQ(ring.feature_bits(), vmbus::kRingFeaturePendingSendSize);
  for (std::size_t i = 0; i < 4096; ++i) {
    if (i >= vmbus::test::kFeatureBitsOffset && i < vmbus::test::kFeatureBitsOffset + 4) continue;
    ASSERT_EQ(ring.header_page()[i], std::byte{0}) << "header byte " << i;
  }
  EXPECT_EQ(ring.data()[0], vmbus::test::kPoison) << "initialize leaves the data area alone";
  EXPECT_TRUE(ring.attach());
}

// ---- Indices ----------------------------------------------------------------

TEST(RingMalformed, WriterAttachRejectsBadWriteIndex) {
  for (std::uint32_t bad : kBadIndices) {
    SCOPED_TRACE(::testing::Message() << "write_index " << bad);
    TestRing ring(kDataSize);
    ring.set_indices(0, bad);
    EXPECT_TRUE(HasError(vmbus::OutgoingRing::attach(ring.memory()), Errc::corrupt_index, bad));
  }
}

TEST(RingMalformed, BothEndsRejectBadReadIndexOnAttach) {
  for (std::uint32_t bad : kBadIndices) {
    SCOPED_TRACE(::testing::Message() << "read_index " << bad);
    TestRing ring(kDataSize);
    ring.set_indices(bad, 0);
    EXPECT_TRUE(HasError(vmbus::OutgoingRing::attach(ring.memory()), Errc::corrupt_index, bad));
    EXPECT_TRUE(HasError(vmbus::IncomingRing::attach(ring.memory()), Errc::corrupt_index, bad));
  }
}

TEST(RingMalformed, ValidIndicesAttachAnywhereInTheRing) {
  for (std::uint32_t good : {0u, 8u, 2048u, kDataSize - 8}) {
    TestRing ring(kDataSize);
    ring.set_indices(good, good);
    EXPECT_TRUE(ring.attach()) << good;
  }
}

TEST(RingMalformed, ReaderReportsBadWriteIndexAndKeepsItsCursor) {
  TestRing ring(kDataSize);
  ASSERT_TRUE(ring.attach());
  const ExpectedPacket p{.type = PacketType::data_inband, .flags = 0, .trans_id = 7, .header = {},
                         .payload = vmbus::test::pattern_bytes(40, 7), .cuts = {}};
  ASSERT_TRUE(IsOk(ring.tx().write(p.outgoing())));
  EXPECT_TRUE(ring.tx().commit());
  const std::uint32_t good = ring.write_index();

  alignas(8) std::byte buffer[kDataSize];
  for (std::uint32_t bad : kBadIndices) {
    SCOPED_TRACE(::testing::Message() << "write_index " << bad);
    ASSERT_TRUE(ring.attach_reader());  // a fresh reader must load write_index
    ring.set_write_index(bad);
    EXPECT_TRUE(HasError(ring.rx().peek(), Errc::corrupt_index, bad));
    EXPECT_TRUE(HasError(ring.rx().read(buffer), Errc::corrupt_index, bad));
    EXPECT_FALSE(ring.rx().empty()) << "a corrupt index must not read as empty";
    EXPECT_TRUE(ring.rx().unmask_interrupts()) << "so that the next read() reports it";
    EXPECT_EQ(ring.rx().uncommitted_bytes(), 0u);
    EXPECT_FALSE(ring.rx().commit());
    EXPECT_EQ(ring.read_index(), 0u);
    ring.set_write_index(good);
    auto r = ring.rx().read(buffer);
    ASSERT_TRUE(IsOk(r)) << "the cursor did not move";
    EXPECT_TRUE(p.matches(*r));
  }
}

TEST(RingMalformed, ReaderCommitIgnoresBadWriteIndexWhenDecidingToSignal) {
  TestRing ring(kDataSize);
  ASSERT_TRUE(ring.attach());
  const ExpectedPacket p{.type = PacketType::data_inband, .flags = 0, .trans_id = 1, .header = {},
                         .payload = vmbus::test::pattern_bytes(3000, 1), .cuts = {}};
  ASSERT_TRUE(IsOk(ring.tx().write(p.outgoing())));
  EXPECT_TRUE(ring.tx().commit());
  alignas(8) std::byte buffer[kDataSize];
  ASSERT_TRUE(IsOk(ring.rx().read(buffer)));
  ring.set_pending_send_size(2000);  // would be a crossing with a sane write_index
  ring.set_write_index(0xfffffff0u);
  EXPECT_FALSE(ring.rx().commit());
  EXPECT_EQ(ring.read_index(), p.ring_size()) << "the read is still published";
}

TEST(RingMalformed, WriterReportsBadReadIndexWhenItReloadsIt) {
  for (std::uint32_t bad : kBadIndices) {
    SCOPED_TRACE(::testing::Message() << "read_index " << bad);
    TestRing ring(kDataSize);
    ASSERT_TRUE(ring.attach());
    const ExpectedPacket big{.type = PacketType::data_inband, .flags = 0, .trans_id = 1, .header = {},
                             .payload = vmbus::test::pattern_bytes(3000, 1), .cuts = {}};
    ASSERT_TRUE(IsOk(ring.tx().write(big.outgoing())));
    EXPECT_TRUE(ring.tx().commit());
    ring.set_read_index(bad);
    // bytes_free always reloads read_index; write reloads it when the room it
    // knows of is too small for the packet.
    EXPECT_TRUE(HasError(ring.tx().bytes_free(), Errc::corrupt_index, bad));
    EXPECT_TRUE(HasError(ring.tx().write(big.outgoing()), Errc::corrupt_index, bad));
    EXPECT_FALSE(ring.tx().request_space_signal(100)) << "no room can be trusted";
    EXPECT_EQ(ring.tx().uncommitted_bytes(), 0u);
    const ExpectedPacket small{.type = PacketType::completion, .flags = 0, .trans_id = 2, .header = {},
                               .payload = {}, .cuts = {}};
    ASSERT_TRUE(IsOk(ring.tx().write(small.outgoing()))) << "fits the room known from the last good index";
    EXPECT_FALSE(ring.tx().commit()) << "a corrupt read_index never asks for a signal";
    EXPECT_EQ(ring.write_index(), big.ring_size() + small.ring_size());
  }
}

// ---- Descriptors ------------------------------------------------------------

struct DescriptorCase {
  const char* what;
  std::uint16_t type, offset8, len8, flags;
  std::uint32_t published;  // bytes of write_index ahead of the reader
  Errc code;                // Errc{} = valid
  bool detail_is_offset;    // detail = ring offset (corrupt_length), else type/flags
};

constexpr Errc kValid{};

const DescriptorCase kDescriptorCases[] = {
    {"offset8 0", 6, 0, 4, 0, 40, Errc::corrupt_length, true},
    {"offset8 1", 6, 1, 4, 0, 40, Errc::corrupt_length, true},
    {"offset8 0 and len8 0", 6, 0, 0, 0, 40, Errc::corrupt_length, true},
    {"len8 below offset8", 6, 3, 2, 0, 40, Errc::corrupt_length, true},
    {"len8 one slot beyond published", 6, 2, 5, 0, 40, Errc::corrupt_length, true},
    {"len8 max", 6, 2, 0xffff, 0, 40, Errc::corrupt_length, true},
    {"offset8 max, len8 max", 6, 0xffff, 0xffff, 0, 40, Errc::corrupt_length, true},
    {"no room for the trailer", 6, 2, 4, 0, 32, Errc::corrupt_length, true},
    {"len8 exactly what is published", 6, 2, 4, 0, 40, kValid, false},
    {"header only", 9, 4, 4, 1, 40, kValid, false},
    {"descriptor only", 0xb, 2, 2, 0, 24, kValid, false},
    {"less than the smallest packet (16)", 6, 2, 2, 0, 16, Errc::corrupt_length, true},
    {"less than the smallest packet (8)", 6, 2, 2, 0, 8, Errc::corrupt_length, true},
    {"type 0 invalid", 0, 2, 4, 0, 40, Errc::unknown_packet_type, false},
    {"type 1 synch", 1, 2, 4, 0, 40, Errc::unknown_packet_type, false},
    {"type 2 add xfer pageset", 2, 2, 4, 0, 40, Errc::unknown_packet_type, false},
    {"type 5 teardown gpadl", 5, 2, 4, 0, 40, Errc::unknown_packet_type, false},
    {"type 8 data using gpadl", 8, 2, 4, 0, 40, Errc::unknown_packet_type, false},
    {"type 0xa cancel", 0xa, 2, 4, 0, 40, Errc::unknown_packet_type, false},
    {"type 0xc additional packet", 0xc, 2, 4, 0, 40, Errc::unknown_packet_type, false},
    {"type 0xd additional data", 0xd, 2, 4, 0, 40, Errc::unknown_packet_type, false},
    {"type 0x42", 0x42, 2, 4, 0, 40, Errc::unknown_packet_type, false},
    {"type 0xffff", 0xffff, 2, 4, 0, 40, Errc::unknown_packet_type, false},
    {"type 6 inband", 6, 2, 4, 1, 40, kValid, false},
    {"type 7 transfer pages", 7, 3, 4, 0, 40, kValid, false},
    {"type 9 gpa direct", 9, 4, 4, 1, 40, kValid, false},
    {"type 0xb completion", 0xb, 2, 4, 0, 40, kValid, false},
    {"flags 2", 6, 2, 4, 2, 40, Errc::unknown_packet_flags, false},
    {"flags 3", 6, 2, 4, 3, 40, Errc::unknown_packet_flags, false},
    {"flags 0x8000", 6, 2, 4, 0x8000, 40, Errc::unknown_packet_flags, false},
    {"flags 0xffff", 0xb, 2, 4, 0xffff, 40, Errc::unknown_packet_flags, false},
};

// The same descriptor checks wherever the packet sits, including when the
// descriptor itself straddles the end of the data area.
TEST(RingMalformed, DescriptorChecksGiveTheRightErrorAndKeepTheCursor) {
  for (std::uint32_t at : {0u, 1024u, kDataSize - 8, kDataSize - 16, kDataSize - 24}) {
    for (const DescriptorCase& c : kDescriptorCases) {
      SCOPED_TRACE(::testing::Message() << c.what << " at ring offset " << at);
      TestRing ring(kDataSize);
      ring.set_indices(at, at);
      ASSERT_TRUE(ring.attach_reader());
      const PacketDescriptor d{.type = c.type, .offset8 = c.offset8, .len8 = c.len8, .flags = c.flags,
                               .trans_id = 0x1122334455667788ull};
      ring.put_descriptor_at(at, d);
      ring.set_write_index((at + c.published) % kDataSize);

      alignas(8) std::byte buffer[kDataSize];
      auto v = ring.rx().peek();
      if (c.code == kValid) {
        ASSERT_TRUE(IsOk(v));
        EXPECT_EQ(v->descriptor.type, c.type);
        EXPECT_EQ(v->descriptor.trans_id, d.trans_id);
        EXPECT_EQ(v->ring_size, std::uint32_t{c.len8} * 8 + 8);
        EXPECT_EQ(v->header.size(), std::uint32_t{c.offset8} * 8 - 16);
        EXPECT_EQ(v->payload.size(), (std::uint32_t{c.len8} - c.offset8) * 8u);
        auto r = ring.rx().read(buffer);
        ASSERT_TRUE(IsOk(r));
        EXPECT_EQ(r->trans_id, d.trans_id);
        EXPECT_EQ(r->flags, c.flags);
        continue;
      }
      const std::uint64_t detail = c.detail_is_offset ? at : c.code == Errc::unknown_packet_type ? c.type : c.flags;
      EXPECT_TRUE(HasError(v, c.code, detail));
      EXPECT_TRUE(v.ok() || v.error().is_corruption());
      EXPECT_TRUE(HasError(ring.rx().read(buffer), c.code, detail));
      EXPECT_TRUE(HasError(ring.rx().peek(), c.code, detail)) << "the error repeats: the cursor did not move";
      EXPECT_EQ(ring.rx().uncommitted_bytes(), 0u);
      EXPECT_FALSE(ring.rx().commit());
      EXPECT_EQ(ring.read_index(), at);
    }
  }
}

TEST(RingMalformed, GoodPacketBeforeACorruptOneIsStillDelivered) {
  TestRing ring(kDataSize);
  ASSERT_TRUE(ring.attach());
  const ExpectedPacket p{.type = PacketType::data_inband, .flags = 0, .trans_id = 5, .header = {},
                         .payload = vmbus::test::pattern_bytes(100, 5), .cuts = {}};
  ASSERT_TRUE(IsOk(ring.tx().write(p.outgoing())));
  EXPECT_TRUE(ring.tx().commit());
  // The peer then publishes a packet of type 0x42 behind it.
  const std::uint32_t second = p.ring_size();
  ring.put_descriptor_at(second, {.type = 0x42, .offset8 = 2, .len8 = 2, .flags = 0, .trans_id = 6});
  ring.set_write_index(second + 24);

  alignas(8) std::byte buffer[kDataSize];
  auto first = ring.rx().read(buffer);
  ASSERT_TRUE(IsOk(first));
  EXPECT_TRUE(p.matches(*first));
  EXPECT_TRUE(HasError(ring.rx().read(buffer), Errc::unknown_packet_type, 0x42));
  EXPECT_FALSE(ring.rx().commit());
  EXPECT_EQ(ring.read_index(), second) << "the good packet is consumed, the bad one is not";
}

// ---- Caller buffers ---------------------------------------------------------

TEST(RingMalformed, BufferTooSmallReportsTheSizeNeededAndLeavesTheCursor) {
  TestRing ring(kDataSize);
  ring.set_indices(kDataSize - 64, kDataSize - 64);  // the packet wraps too
  ASSERT_TRUE(ring.attach());
  const ExpectedPacket p{.type = PacketType::data_inband, .flags = 1, .trans_id = 9, .header = {},
                         .payload = vmbus::test::pattern_bytes(100, 9), .cuts = {}};
  ASSERT_TRUE(IsOk(ring.tx().write(p.outgoing())));
  EXPECT_TRUE(ring.tx().commit());
  ASSERT_EQ(p.length(), 120u);  // 16 + 100, padded to 8; the trailer is not copied

  alignas(8) std::byte buffer[kDataSize];
  for (std::size_t size : {std::size_t{0}, std::size_t{16}, std::size_t{119}}) {
    SCOPED_TRACE(::testing::Message() << "buffer of " << size);
    EXPECT_TRUE(HasError(ring.rx().read(std::span<std::byte>(buffer, size)), Errc::buffer_too_small, 120));
    EXPECT_EQ(ring.rx().uncommitted_bytes(), 0u);
  }
  auto r = ring.rx().read(std::span<std::byte>(buffer, 120));
  ASSERT_TRUE(IsOk(r)) << "exactly len8 * 8 bytes is enough";
  EXPECT_TRUE(p.matches(*r));
  EXPECT_TRUE(HasError(ring.rx().read(buffer), Errc::empty));
}

// ---- Fuzz -------------------------------------------------------------------

bool inside(std::span<const std::byte> inner, std::span<const std::byte> outer) {
  if (inner.empty()) return true;
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

bool known_type(std::uint16_t t) { return t == 6 || t == 7 || t == 9 || t == 0xb; }

// Checks one successful peek(): a packet that is possible, inside the data area.
::testing::AssertionResult ValidView(const vmbus::PacketView& v, const TestRing& ring, std::uint32_t cursor) {
  const PacketDescriptor& d = v.descriptor;
  const std::uint32_t ds = ring.data_size();
  if (d.offset8 < 2 || d.len8 < d.offset8) return ::testing::AssertionFailure() << "offset8/len8 accepted";
  if (!known_type(d.type)) return ::testing::AssertionFailure() << "type " << d.type << " accepted";
  if ((d.flags & ~vmbus::kPacketKnownFlags) != 0) return ::testing::AssertionFailure() << "flags " << d.flags;
  if (v.ring_offset != cursor) return ::testing::AssertionFailure() << "ring_offset " << v.ring_offset << " != " << cursor;
  if (v.ring_size != std::uint32_t{d.len8} * 8 + 8) return ::testing::AssertionFailure() << "ring_size";
  if (v.ring_size >= ds) return ::testing::AssertionFailure() << "packet as large as the ring";
  if (v.header.size() != std::uint32_t{d.offset8} * 8 - 16) return ::testing::AssertionFailure() << "header size";
  if (v.payload.size() != (std::uint32_t{d.len8} - d.offset8) * 8u) return ::testing::AssertionFailure() << "payload size";
  const std::span<const std::byte> data = ring.data();
  for (const vmbus::RingBytes* w : {&v.header, &v.payload}) {
    if (!inside(w->first, data) || !inside(w->second, data)) return ::testing::AssertionFailure() << "window outside data";
  }
  if (auto h = vmbus::test::IsRingWindow(v.header, ring, (cursor + 16) % ds, static_cast<std::uint32_t>(v.header.size())); !h) return h;
  if (auto p = vmbus::test::IsRingWindow(v.payload, ring, (cursor + std::uint32_t{d.offset8} * 8) % ds,
                                         static_cast<std::uint32_t>(v.payload.size()));
      !p) {
    return p;
  }
  return ::testing::AssertionSuccess();
}

// Checks one successful read(): everything inside the caller's buffer.
::testing::AssertionResult ValidPacket(const vmbus::IncomingPacket& p, std::span<const std::byte> buffer) {
  PacketDescriptor d;
  std::memcpy(&d, buffer.data(), sizeof d);
  if (d.offset8 < 2 || d.len8 < d.offset8) return ::testing::AssertionFailure() << "offset8/len8 in the copy";
  if (std::size_t{d.len8} * 8 > buffer.size()) return ::testing::AssertionFailure() << "longer than the buffer";
  if (static_cast<std::uint16_t>(p.type) != d.type || p.flags != d.flags || p.trans_id != d.trans_id) {
    return ::testing::AssertionFailure() << "packet fields differ from the copied descriptor";
  }
  if (!known_type(d.type) || (d.flags & ~vmbus::kPacketKnownFlags) != 0) return ::testing::AssertionFailure() << "type/flags";
  if (p.header.data() != buffer.data() + 16 || p.header.size() != std::size_t{d.offset8} * 8 - 16) {
    return ::testing::AssertionFailure() << "header span";
  }
  if (p.payload.data() != buffer.data() + std::size_t{d.offset8} * 8 ||
      p.payload.size() != (std::size_t{d.len8} - d.offset8) * 8) {
    return ::testing::AssertionFailure() << "payload span";
  }
  if (!inside(p.header, buffer) || !inside(p.payload, buffer)) return ::testing::AssertionFailure() << "outside buffer";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ExpectedFamily(const vmbus::Error& e) {
  if (e.is_corruption() || e.is_flow_control()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "unexpected error " << vmbus::test::describe(e);
}

class Fuzzer {
 public:
  explicit Fuzzer(std::uint64_t seed) : rng_(seed) {}

  std::uint32_t uniform(std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng_);
  }
  std::uint32_t any_u32() { return static_cast<std::uint32_t>(rng_()); }
  // A write/read index as a peer might publish it: mostly plausible.
  std::uint32_t index(std::uint32_t ds) {
    const std::uint32_t kind = uniform(0, 9);
    if (kind < 7) return uniform(0, ds / 8 - 1) * 8;
    if (kind < 8) return uniform(0, ds - 1);
    return any_u32();
  }
  void scribble(TestRing& ring, std::uint32_t bytes) {
    const std::uint32_t at = uniform(0, ring.data_size() - 1);
    std::vector<std::byte> junk(bytes);
    for (std::byte& b : junk) b = static_cast<std::byte>(rng_());
    ring.put_bytes_at(at, junk);
  }
  // A descriptor that passes some checks and fails others.
  void plant_descriptor(TestRing& ring, std::uint32_t at) {
    static constexpr std::uint16_t kTypes[] = {6, 7, 9, 0xb, 0, 1, 8, 0xa, 0x42};
    PacketDescriptor d{};
    d.type = kTypes[uniform(0, 8)];
    d.offset8 = static_cast<std::uint16_t>(uniform(0, 6));
    d.len8 = static_cast<std::uint16_t>(uniform(0, 3) == 0 ? any_u32() : d.offset8 + uniform(0, 40));
    d.flags = static_cast<std::uint16_t>(uniform(0, 3) == 0 ? uniform(0, 3) : 0);
    d.trans_id = rng_();
    ring.put_descriptor_at(at, d);
  }

  std::mt19937_64 rng_;
};

// Random bytes in the data area and random write indices under a reader that
// peeks, reads, consumes, commits and reverts: only valid packets or errors of
// the corruption and flow-control families come out.
TEST(RingMalformed, FuzzedDataAndWriteIndexNeverEscapeTheReader) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "VMBUS_TEST_SEED=" << seed);
  Fuzzer f(seed);
  int packets = 0, errors = 0;
  std::vector<std::byte> buffer(2 * kDataSize);
  for (int iteration = 0; iteration < 4000 && !HasFailure(); ++iteration) {
    SCOPED_TRACE(::testing::Message() << "iteration " << iteration);
    TestRing ring(f.uniform(0, 1) == 0 ? kDataSize : 2 * kDataSize);
    const std::uint32_t ds = ring.data_size();
    f.scribble(ring, ds);
    const std::uint32_t read = f.uniform(0, ds / 8 - 1) * 8;
    // Plant plausible descriptors along a chain from the read index.
    std::uint32_t at = read;
    for (std::uint32_t n = f.uniform(0, 6); n > 0; --n) {
      f.plant_descriptor(ring, at);
      at = (at + 8 * f.uniform(3, 60)) % ds;
    }
    const std::uint32_t write = f.uniform(0, 1) == 0 ? at : f.index(ds);
    ring.set_indices(read, write);
    ASSERT_TRUE(ring.attach_reader());
    std::uint32_t committed = read;
    std::optional<vmbus::PacketView> last_view;

    for (int op = 0; op < 40; ++op) {
      const std::uint32_t cursor = (committed + ring.rx().uncommitted_bytes()) % ds;
      switch (f.uniform(0, 9)) {
        case 0:
        case 1:
        case 2: {
          auto v = ring.rx().peek();
          if (v) {
            ++packets;
            EXPECT_TRUE(ValidView(*v, ring, cursor));
            last_view = *v;
          } else {
            ++errors;
            EXPECT_TRUE(ExpectedFamily(v.error()));
            EXPECT_NE(v.error().code, Errc::buffer_too_small);
          }
          break;
        }
        case 3:
        case 4: {
          const std::size_t size = f.uniform(0, 3) == 0 ? f.uniform(0, 64) : buffer.size();
          const std::span<std::byte> into(buffer.data(), size);
          auto r = ring.rx().read(into);
          if (r) {
            ++packets;
            EXPECT_TRUE(ValidPacket(*r, into));
          } else {
            ++errors;
            EXPECT_TRUE(ExpectedFamily(r.error()));
            if (r.error().code == Errc::buffer_too_small) {
              EXPECT_GT(r.error().detail, size);
              EXPECT_EQ((committed + ring.rx().uncommitted_bytes()) % ds, cursor);
            }
          }
          break;
        }
        case 5:
          if (last_view) {
            const bool consumed = ring.rx().consume(*last_view);
            if (consumed) {
              EXPECT_EQ(last_view->ring_offset, cursor);
              EXPECT_EQ((committed + ring.rx().uncommitted_bytes()) % ds, (cursor + last_view->ring_size) % ds);
            }
            last_view.reset();
          }
          break;
        case 6:
          (void)ring.rx().commit();
          committed = ring.read_index();
          EXPECT_TRUE(ring.memory().valid_index(committed)) << "published read_index " << committed;
          EXPECT_EQ(ring.rx().uncommitted_bytes(), 0u);
          break;
        case 7:
          ring.rx().revert();
          break;
        case 8:
          ring.set_write_index(f.index(ds));
          if (f.uniform(0, 1) == 0) ring.set_pending_send_size(f.any_u32());
          break;
        default:
          if (f.uniform(0, 1) == 0) f.scribble(ring, f.uniform(1, 64));
          else f.plant_descriptor(ring, cursor);
          (void)ring.rx().empty();
          (void)ring.rx().unmask_interrupts();
          break;
      }
      EXPECT_LT(ring.rx().uncommitted_bytes(), ds);
      if (HasFailure()) break;
    }
  }
  // Both outcomes must occur often, or the fuzzing tested little.
  EXPECT_GT(packets, 1000);
  EXPECT_GT(errors, 1000);
}

// Random read indices (valid, misaligned, garbage) under a writer. The test
// mirrors the writer's cached read_index (reloaded only when the cached room
// is too small, kept only if valid) and predicts every outcome exactly; the
// writer must write only the packet's own bytes, inside the room the index it
// trusted leaves, and never into the header page.
TEST(RingMalformed, FuzzedReadIndexNeverMakesTheWriterOverwriteUnreadData) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "VMBUS_TEST_SEED=" << seed);
  Fuzzer f(seed);
  int writes = 0, full = 0, corrupt = 0, too_large = 0;
  for (int iteration = 0; iteration < 1500 && !HasFailure(); ++iteration) {
    SCOPED_TRACE(::testing::Message() << "iteration " << iteration);
    TestRing ring(kDataSize);
    const std::uint32_t ds = ring.data_size();
    const std::uint32_t start = f.uniform(0, ds / 8 - 1) * 8;
    ring.set_indices(start, start);
    ASSERT_TRUE(ring.attach_writer());
    const std::vector<std::byte> header_before(ring.header_page().begin(), ring.header_page().end());
    std::uint32_t next = start;       // the writer's cursor
    std::uint32_t committed = start;  // its published write_index
    std::uint32_t cached = start;     // the read_index it last loaded and found valid
    auto room = [&](std::uint32_t r) { return r > next ? r - next : ds - (next - r); };

    for (int op = 0; op < 30; ++op) {
      const std::uint32_t published_read = ring.read_index();
      const bool read_valid = ring.memory().valid_index(published_read);
      switch (f.uniform(0, 5)) {
        case 0:
        case 1:
        case 2: {
          const std::size_t payload = f.uniform(0, 3) == 0 ? f.uniform(0, ds + 100) : f.uniform(0, 400);
          const ExpectedPacket p{.type = PacketType::data_inband, .flags = 0, .trans_id = f.rng_(), .header = {},
                                 .payload = vmbus::test::pattern_bytes(payload, payload), .cuts = {}};
          const std::uint32_t total = p.ring_size();
          const std::vector<std::byte> data_before(ring.data().begin(), ring.data().end());
          const vmbus::Status s = ring.tx().write(p.outgoing());
          if (total >= ds) {
            ++too_large;
            EXPECT_TRUE(HasError(s, Errc::packet_too_large, total));
          } else if (room(cached) <= total && !read_valid) {
            ++corrupt;
            EXPECT_TRUE(HasError(s, Errc::corrupt_index, published_read));
          } else {
            if (room(cached) <= total) cached = published_read;  // reloaded
            if (room(cached) <= total) {
              ++full;
              EXPECT_TRUE(HasError(s, Errc::full, total));
            } else {
              ++writes;
              EXPECT_TRUE(IsOk(s)) << "room " << room(cached) << ", packet " << total;
            }
          }
          if (s.ok()) {
            // Only the packet's own bytes changed, and they are exactly its wire image.
            std::vector<std::byte> expected = data_before;
            const std::vector<std::byte> image = p.wire_image(next);
            for (std::uint32_t i = 0; i < total; ++i) expected[(next + i) % ds] = image[i];
            EXPECT_TRUE(vmbus::test::SameBytes(ring.data(), expected)) << "packet of " << total << " at " << next;
            next = (next + total) % ds;
          } else {
            EXPECT_TRUE(vmbus::test::SameBytes(ring.data(), data_before)) << "a refused write changed the ring";
          }
          EXPECT_EQ(ring.tx().uncommitted_bytes(), (next + ds - committed) % ds);
          break;
        }
        case 3: {
          // hv_signal_on_write, with whatever the peer left in read_index.
          const bool expected = next != committed && ring.interrupt_mask() == 0 && published_read == committed;
          EXPECT_EQ(ring.tx().commit(), expected);
          committed = next;
          EXPECT_EQ(ring.write_index(), next);
          break;
        }
        case 4: {
          auto free = ring.tx().bytes_free();
          if (read_valid) {
            cached = published_read;
            EXPECT_TRUE(IsOk(free));
            if (free) {
              EXPECT_EQ(*free, room(cached) - 1);
            }
          } else {
            EXPECT_TRUE(HasError(free, Errc::corrupt_index, published_read));
          }
          const std::uint32_t asked = f.uniform(0, 2 * ds);
          EXPECT_EQ(ring.tx().request_space_signal(asked), read_valid && room(cached) > asked);
          EXPECT_GE(ring.pending_send_size(), asked) << "the request reaches the reader";
          ring.tx().cancel_space_signal();
          break;
        }
        default:
          ring.set_read_index(f.index(ds));
          if (f.uniform(0, 1) == 0) ring.set_interrupt_mask(f.uniform(0, 1));
          break;
      }
      // The writer stores only write_index (bytes 0..3) and pending_send_sz
      // (12..15); everything from byte 16 on must be as the creator left it.
      const std::span<const std::byte> header = ring.header_page();
      EXPECT_TRUE(vmbus::test::SameBytes(header.subspan(16), std::span<const std::byte>(header_before).subspan(16)))
          << "the writer wrote into the header page";
      if (HasFailure()) break;
    }
  }
  EXPECT_GT(writes, 1000);
  EXPECT_GT(full, 100);
  EXPECT_GT(corrupt, 100);
  EXPECT_GT(too_large, 100);
}

}  // namespace
