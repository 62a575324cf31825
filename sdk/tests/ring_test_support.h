// Test support for the ring tests: an owned, page-aligned VMBus ring (4 KiB
// header page + data area) with both ends attached over the same memory, the
// packets the tests expect to read back, and assertion helpers for Result /
// Status that print the SDK's error text.
//
// Usage:
//   vmbus::test::TestRing ring(4096);      // 1 data page, header initialized
//   ring.set_indices(/*read=*/24, /*write=*/24);
//   ASSERT_TRUE(ring.attach());
//   EXPECT_TRUE(vmbus::test::IsOk(ring.tx().write(packet)));
//   EXPECT_TRUE(vmbus::test::HasError(ring.rx().peek(), vmbus::Errc::empty));
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "vmbus/packet/descriptor.h"
#include "vmbus/packet/incoming_packet.h"
#include "vmbus/packet/outgoing_packet.h"
#include "vmbus/result.h"
#include "vmbus/ring/incoming_ring.h"
#include "vmbus/ring/outgoing_ring.h"
#include "vmbus/ring/ring_header.h"
#include "vmbus/ring/ring_memory.h"

namespace vmbus::test {

// Header field offsets (struct hv_ring_buffer).
inline constexpr std::size_t kWriteIndexOffset = 0;
inline constexpr std::size_t kReadIndexOffset = 4;
inline constexpr std::size_t kInterruptMaskOffset = 8;
inline constexpr std::size_t kPendingSendSizeOffset = 12;
inline constexpr std::size_t kFeatureBitsOffset = 64;

// The byte the data area is filled with before a test writes anything, so that
// a writer that skips its zero padding is caught.
inline constexpr std::byte kPoison{0xa5};

// One ring in memory the test owns: exactly kRingHeaderSize + data_size bytes,
// 4 KiB aligned, so AddressSanitizer flags any access past the data area.
class TestRing {
 public:
  explicit TestRing(std::uint32_t data_size = 4096)
      : size_(std::size_t{kRingHeaderSize} + data_size),
        bytes_(static_cast<std::byte*>(::operator new(size_, std::align_val_t{kHvAlign}))),
        memory_(make_memory()) {
    std::memset(bytes_.get(), 0, kRingHeaderSize);
    std::memset(bytes_.get() + kRingHeaderSize, static_cast<int>(kPoison), data_size);
    initialize();
  }
  TestRing(const TestRing&) = delete;
  TestRing& operator=(const TestRing&) = delete;

  // hv_ringbuffer_init: zero header, feat_pending_send_sz advertised.
  void initialize() noexcept { memory_.initialize(); }

  // Attaches a fresh OutgoingRing and IncomingRing at the published indices.
  ::testing::AssertionResult attach() {
    rx_.reset();
    if (auto writer = attach_writer(); !writer) return writer;
    return attach_reader();
  }
  ::testing::AssertionResult attach_writer() {
    tx_.reset();
    auto tx = OutgoingRing::attach(memory_);
    if (!tx) return ::testing::AssertionFailure() << "OutgoingRing::attach: " << tx.error().message();
    tx_.emplace(*tx);
    return ::testing::AssertionSuccess();
  }
  ::testing::AssertionResult attach_reader() {
    rx_.reset();
    auto rx = IncomingRing::attach(memory_);
    if (!rx) return ::testing::AssertionFailure() << "IncomingRing::attach: " << rx.error().message();
    rx_.emplace(*rx);
    return ::testing::AssertionSuccess();
  }

  OutgoingRing& tx() { return *tx_; }
  IncomingRing& rx() { return *rx_; }
  RingMemory& memory() noexcept { return memory_; }

  std::uint32_t data_size() const noexcept { return memory_.data_size(); }
  std::span<std::byte> whole() const noexcept { return {bytes_.get(), size_}; }
  std::span<std::byte> header_page() const noexcept { return {bytes_.get(), kRingHeaderSize}; }
  std::span<std::byte> data() const noexcept { return {memory_.data(), memory_.data_size()}; }

  // What the peer would do: store indices directly in the header.
  void set_indices(std::uint32_t read, std::uint32_t write) noexcept {
    memory_.store_read_index(read);
    memory_.store_write_index(write);
  }
  void set_read_index(std::uint32_t v) noexcept { memory_.store_read_index(v); }
  void set_write_index(std::uint32_t v) noexcept { memory_.store_write_index(v); }
  void set_interrupt_mask(std::uint32_t v) noexcept { memory_.store_interrupt_mask(v); }
  void set_pending_send_size(std::uint32_t v) noexcept { memory_.store_pending_send_size(v); }
  // Single-threaded tests only: RingMemory has no store for this field.
  void set_feature_bits(std::uint32_t v) noexcept { std::memcpy(bytes_.get() + kFeatureBitsOffset, &v, sizeof v); }

  std::uint32_t write_index() const noexcept { return memory_.load_write_index(); }
  std::uint32_t read_index() const noexcept { return memory_.load_read_index(); }
  std::uint32_t interrupt_mask() const noexcept { return memory_.load_interrupt_mask(); }
  std::uint32_t pending_send_size() const noexcept { return memory_.load_pending_send_size(); }
  std::uint32_t feature_bits() const noexcept { return memory_.load_feature_bits(); }

  // `len` data-area bytes starting at ring offset `at`, across the wrap.
  std::vector<std::byte> bytes_at(std::uint32_t at, std::uint32_t len) const {
    std::vector<std::byte> out(len);
    for (std::uint32_t i = 0; i < len; ++i) out[i] = memory_.data()[(std::size_t{at} + i) % memory_.data_size()];
    return out;
  }
  void put_bytes_at(std::uint32_t at, std::span<const std::byte> bytes) noexcept {
    for (std::size_t i = 0; i < bytes.size(); ++i) memory_.data()[(at + i) % memory_.data_size()] = bytes[i];
  }
  void put_descriptor_at(std::uint32_t at, const PacketDescriptor& d) noexcept {
    std::byte raw[sizeof d];
    std::memcpy(raw, &d, sizeof d);
    put_bytes_at(at, raw);
  }

 private:
  static constexpr std::size_t kHvAlign = 4096;
  struct Free {
    void operator()(std::byte* p) const noexcept { ::operator delete(p, std::align_val_t{kHvAlign}); }
  };

  RingMemory make_memory() const {
    auto m = RingMemory::from({bytes_.get(), size_});
    if (!m) {
      ADD_FAILURE() << "RingMemory::from: " << m.error().message();
      std::abort();
    }
    return *m;
  }

  std::size_t size_;
  std::unique_ptr<std::byte, Free> bytes_;
  RingMemory memory_;
  std::optional<OutgoingRing> tx_;
  std::optional<IncomingRing> rx_;
};

// ---- Assertions on Result<T> / Status -------------------------------------

inline std::string describe(const Error& e) { return e.message() + " [code " + std::to_string(static_cast<int>(e.code)) + "]"; }

template <typename R>
::testing::AssertionResult IsOk(const R& r) {
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected success, got " << describe(r.error());
}

template <typename R>
::testing::AssertionResult HasError(const R& r, Errc code) {
  if (r.ok()) return ::testing::AssertionFailure() << "expected " << make_error_code(code).message() << ", got success";
  if (r.error().code != code) {
    return ::testing::AssertionFailure() << "expected " << make_error_code(code).message() << ", got "
                                         << describe(r.error());
  }
  return ::testing::AssertionSuccess();
}

template <typename R>
::testing::AssertionResult HasError(const R& r, Errc code, std::uint64_t detail) {
  auto same_code = HasError(r, code);
  if (!same_code) return same_code;
  if (r.error().detail != detail) {
    return ::testing::AssertionFailure() << "expected " << make_error_code(code).message() << " with detail "
                                         << detail << ", got detail " << r.error().detail;
  }
  return ::testing::AssertionSuccess();
}

// Byte-for-byte equality that reports the first difference instead of
// printing two kilobyte-long vectors.
inline ::testing::AssertionResult SameBytes(std::span<const std::byte> actual, std::span<const std::byte> expected) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure() << "size " << actual.size() << ", expected " << expected.size();
  }
  if (actual.empty() || std::memcmp(actual.data(), expected.data(), actual.size()) == 0) {
    return ::testing::AssertionSuccess();
  }
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (actual[i] != expected[i]) {
      return ::testing::AssertionFailure() << "byte " << i << " is 0x" << std::hex << static_cast<int>(actual[i])
                                           << ", expected 0x" << static_cast<int>(expected[i]) << std::dec
                                           << " (of " << actual.size() << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

inline std::vector<std::byte> flatten(const RingBytes& bytes) {
  std::vector<std::byte> out(bytes.size());
  const std::size_t copied = bytes.copy_to(out);
  out.resize(copied);
  return out;
}

// ---- Deterministic data -----------------------------------------------------

// The data area most ring tests use: one page, so the wrap comes quickly.
inline constexpr std::uint32_t kDataSize = 4096;

// The seed of a randomized test: $VMBUS_TEST_SEED if set (to replay a
// failure), otherwise a fresh one from std::random_device. Tests print it.
inline std::uint64_t test_seed() {
  if (const char* s = std::getenv("VMBUS_TEST_SEED"); s != nullptr && *s != '\0') {
    return std::strtoull(s, nullptr, 0);
  }
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) ^ rd();
}

// splitmix64: a cheap, well-mixed sequence for payloads and sizes.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline std::vector<std::byte> pattern_bytes(std::size_t n, std::uint64_t seed) {
  std::vector<std::byte> out(n);
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 8 == 0) word = mix64(seed + i);
    out[i] = static_cast<std::byte>(word >> (8 * (i % 8)));
  }
  return out;
}

// ---- Expected packets -------------------------------------------------------

// A packet as the writer hands it over, and everything a reader must see.
struct ExpectedPacket {
  PacketType type = PacketType::data_inband;
  std::uint16_t flags = 0;
  std::uint64_t trans_id = 0;
  std::vector<std::byte> header;   // type-specific header, a multiple of 8
  std::vector<std::byte> payload;  // unpadded, as written
  std::vector<std::size_t> cuts;   // gather: payload split at these offsets (at most 3)

  std::uint32_t header_size() const noexcept { return static_cast<std::uint32_t>(header.size()); }
  std::uint32_t payload_size() const noexcept { return static_cast<std::uint32_t>(payload.size()); }
  std::uint16_t offset8() const noexcept { return static_cast<std::uint16_t>((kPacketDescriptorSize + header_size()) / 8); }
  std::uint16_t len8() const noexcept {
    return static_cast<std::uint16_t>(align8(kPacketDescriptorSize + header_size() + payload_size()) / 8);
  }
  std::uint32_t length() const noexcept { return std::uint32_t{len8()} * 8; }
  std::uint32_t ring_size() const noexcept { return packet_ring_size(len8()); }

  // The payload as a reader sees it: padded with zeros to len8.
  std::vector<std::byte> padded_payload() const {
    std::vector<std::byte> out = payload;
    out.resize(length() - std::uint32_t{offset8()} * 8, std::byte{0});
    return out;
  }

  // Refers to this object's vectors: keep it alive until write() returns.
  OutgoingPacket outgoing() const {
    OutgoingPacket p;
    p.type = type;
    p.flags = flags;
    p.trans_id = trans_id;
    p.header = header;
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
      p.add_payload(std::span<const std::byte>(payload).subspan(from, cut - from));
      from = cut;
    }
    p.add_payload(std::span<const std::byte>(payload).subspan(from));
    return p;
  }

  // The bytes the packet occupies in the ring when it starts at ring offset
  // `start`: descriptor, header, payload, zero padding, trailer (start << 32).
  std::vector<std::byte> wire_image(std::uint32_t start) const {
    const PacketDescriptor d{.type = static_cast<std::uint16_t>(type),
                             .offset8 = offset8(),
                             .len8 = len8(),
                             .flags = flags,
                             .trans_id = trans_id};
    std::vector<std::byte> out(ring_size(), std::byte{0});
    std::memcpy(out.data(), &d, sizeof d);
    if (!header.empty()) std::memcpy(out.data() + sizeof d, header.data(), header.size());
    if (!payload.empty()) std::memcpy(out.data() + std::size_t{offset8()} * 8, payload.data(), payload.size());
    const std::uint64_t trailer = std::uint64_t{start} << 32;
    std::memcpy(out.data() + length(), &trailer, sizeof trailer);
    return out;
  }

  ::testing::AssertionResult matches(const IncomingPacket& p) const {
    if (p.type != type) return ::testing::AssertionFailure() << "type " << static_cast<int>(p.type) << ", expected " << static_cast<int>(type);
    if (p.flags != flags) return ::testing::AssertionFailure() << "flags " << p.flags << ", expected " << flags;
    if (p.trans_id != trans_id) return ::testing::AssertionFailure() << "trans_id " << p.trans_id << ", expected " << trans_id;
    if (auto r = SameBytes(p.header, header); !r) return ::testing::AssertionFailure() << "header: " << r.message();
    if (auto r = SameBytes(p.payload, padded_payload()); !r) return ::testing::AssertionFailure() << "payload: " << r.message();
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult matches(const PacketView& v) const {
    const PacketDescriptor& d = v.descriptor;
    if (d.type != static_cast<std::uint16_t>(type)) return ::testing::AssertionFailure() << "type " << d.type << ", expected " << static_cast<int>(type);
    if (d.flags != flags) return ::testing::AssertionFailure() << "flags " << d.flags << ", expected " << flags;
    if (d.trans_id != trans_id) return ::testing::AssertionFailure() << "trans_id " << d.trans_id << ", expected " << trans_id;
    if (d.offset8 != offset8()) return ::testing::AssertionFailure() << "offset8 " << d.offset8 << ", expected " << offset8();
    if (d.len8 != len8()) return ::testing::AssertionFailure() << "len8 " << d.len8 << ", expected " << len8();
    if (v.ring_size != ring_size()) return ::testing::AssertionFailure() << "ring_size " << v.ring_size << ", expected " << ring_size();
    if (auto r = SameBytes(flatten(v.header), header); !r) return ::testing::AssertionFailure() << "header: " << r.message();
    if (auto r = SameBytes(flatten(v.payload), padded_payload()); !r) return ::testing::AssertionFailure() << "payload: " << r.message();
    return ::testing::AssertionSuccess();
  }
};

// ---- Where a window into the ring must be ----------------------------------

// `window` must be the `len` data-area bytes starting at ring offset `start`:
// one span up to the end of the data area, the rest from its beginning.
inline ::testing::AssertionResult IsRingWindow(const RingBytes& window, const TestRing& ring, std::uint32_t start,
                                               std::uint32_t len) {
  const std::uint32_t ds = ring.data_size();
  const std::uint32_t first = len < ds - start ? len : ds - start;
  const std::uint32_t second = len - first;
  if (window.first.size() != first || window.second.size() != second) {
    return ::testing::AssertionFailure() << "split " << window.first.size() << "+" << window.second.size()
                                         << ", expected " << first << "+" << second << " (start " << start
                                         << ", len " << len << ")";
  }
  if (first != 0 && window.first.data() != ring.data().data() + start) {
    return ::testing::AssertionFailure() << "first span starts at ring offset "
                                         << (window.first.data() - ring.data().data()) << ", expected " << start;
  }
  if (second != 0 && window.second.data() != ring.data().data()) {
    return ::testing::AssertionFailure() << "second span starts at ring offset "
                                         << (window.second.data() - ring.data().data()) << ", expected 0";
  }
  if (window.contiguous() != (second == 0)) return ::testing::AssertionFailure() << "contiguous() is wrong";
  if (window.size() != len) return ::testing::AssertionFailure() << "size() " << window.size() << ", expected " << len;
  return ::testing::AssertionSuccess();
}

}  // namespace vmbus::test
