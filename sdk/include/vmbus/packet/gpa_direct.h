// File: vmbus/packet/gpa_direct.h
//
// GPA-direct packets (type 9): a packet whose header names guest memory by
// 4 KiB frame, so the host reads or writes it in place. Two encodings share
// the type, and this file builds and parses both:
//   - page buffers (vmbus_sendpacket_pagebuffer, DPDK's vmbus_chanpkt_sglist):
//     ranges of {u32 len, u32 offset, u64 pfn}, each inside one page;
//   - multi-page buffers, MPB (vmbus_sendpacket_mpb_desc; several ranges back
//     to back since May 2025): {u32 len, u32 offset, u64 pfn[HVPFN_UP(offset+len)]}.
// A page-buffer entry is exactly an MPB range of one frame, so one parser
// reads both. Layout after the 16-byte descriptor (struct
// vmbus_channel_packet_page_buffer / vmbus_packet_mpb_array):
//   +16 u32 reserved | +20 u32 rangecount | +24 ranges...
//
// Usage (guest, sending a buffer the host should read):
//   vmbus::GpaDirectHeader ranges;
//   if (auto s = ranges.add_buffer(gpa, len); !s) return s;  // split per 4 KiB page
//   tx.write(vmbus::packet::gpa_direct(ranges, nvsp_message, trans_id));
//
// Usage (host, reading what the guest named):
//   auto gpa = vmbus::GpaDirectPacket::parse(packet);  // an IncomingPacket
//   for (vmbus::GpaRange r : *gpa) copy_from_guest(r.pfn(0), r.offset, r.len);
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <span>

#include "vmbus/packet/incoming_packet.h"
#include "vmbus/result.h"

namespace vmbus {

// MAX_PAGE_BUFFER_COUNT and MAX_MULTIPAGE_BUFFER_COUNT (include/linux/hyperv.h).
inline constexpr std::uint32_t kMaxPageBufferCount = 32;
inline constexpr std::uint32_t kMaxMultiPageBufferCount = 32;

// struct hv_page_buffer; also the first 16 bytes of a struct hv_mpb_array.
struct [[gnu::packed]] PageBuffer {
  std::uint32_t len;
  std::uint32_t offset;
  std::uint64_t pfn;
};
static_assert(offsetof(PageBuffer, len) == 0);
static_assert(offsetof(PageBuffer, offset) == 4);
static_assert(offsetof(PageBuffer, pfn) == 8);
static_assert(sizeof(PageBuffer) == 16);

// The part of struct vmbus_channel_packet_page_buffer after the descriptor.
struct [[gnu::packed]] GpaDirectPrefix {
  std::uint32_t reserved;
  std::uint32_t rangecount;
};
static_assert(offsetof(GpaDirectPrefix, reserved) == 0);   // +16 in the packet
static_assert(offsetof(GpaDirectPrefix, rangecount) == 4);  // +20 in the packet
static_assert(sizeof(GpaDirectPrefix) == 8);                // ranges at +24

// Builds the GPA-direct header in place, with room for the kernel's limit of
// 32 frames in total. No allocation.
class GpaDirectHeader {
 public:
  // One page-buffer entry: `len` bytes at `offset` inside frame `pfn`.
  // Errors: invalid_argument (len 0, or offset + len past the 4 KiB frame;
  // detail = offset + len), too_many_pages (detail = frames asked for).
  Status add_page(std::uint32_t len, std::uint32_t offset, std::uint64_t pfn) noexcept;

  // Page-buffer entries for a guest-physical byte range, split at every 4 KiB
  // boundary (as netvsc's fill_pg_buf and DPDK's hn_fill_sg do).
  Status add_buffer(std::uint64_t gpa, std::uint32_t len) noexcept;

  // One MPB range: `len` bytes starting `offset` bytes into pfns[0], running
  // through the following frames. pfns.size() must be
  // hv_pages_spanned(offset, len). Errors: invalid_argument (len 0, offset
  // >= 4096, or a wrong frame count; detail = the frames needed),
  // too_many_pages.
  Status add_range(std::uint32_t len, std::uint32_t offset, std::span<const std::uint64_t> pfns) noexcept;

  void clear() noexcept { size_ = sizeof(GpaDirectPrefix), ranges_ = 0, pages_ = 0; }

  std::uint32_t range_count() const noexcept { return ranges_; }
  std::uint32_t page_count() const noexcept { return pages_; }
  // The header as it goes on the wire: reserved (0), rangecount, ranges.
  std::span<const std::byte> bytes() noexcept;

 private:
  Status reserve(std::uint64_t pages) noexcept;
  void put(const void* src, std::size_t n) noexcept {
    std::memcpy(storage_ + size_, src, n);
    size_ += static_cast<std::uint32_t>(n);
  }

  // Worst case: 32 single-frame ranges of 16 bytes.
  alignas(8) std::byte storage_[sizeof(GpaDirectPrefix) + kMaxPageBufferCount * sizeof(PageBuffer)];
  std::uint32_t size_ = sizeof(GpaDirectPrefix);
  std::uint32_t ranges_ = 0;
  std::uint32_t pages_ = 0;
};

// One range of a parsed GPA-direct packet.
struct GpaRange {
  std::uint32_t len = 0;
  std::uint32_t offset = 0;               // into the first frame, < 4096
  std::span<const std::byte> pfn_bytes;   // page_count() little-endian u64s

  std::uint32_t page_count() const noexcept { return static_cast<std::uint32_t>(pfn_bytes.size() / 8); }
  std::uint64_t pfn(std::uint32_t i) const noexcept {
    std::uint64_t v;
    std::memcpy(&v, pfn_bytes.data() + std::size_t{i} * 8, sizeof v);
    return v;
  }
};

// A validated view of a type-9 packet's ranges (over the packet's copy).
class GpaDirectPacket {
 public:
  // Checks, as OpenVMM's gparange::validate_gpa_ranges does: the type is 9,
  // rangecount > 0, and every range has len > 0, offset < 4096, and all its
  // frames inside the header. Error: malformed_packet, detail = the byte
  // offset in the header where it broke (or the type for a wrong type).
  static Result<GpaDirectPacket> parse(const IncomingPacket& packet) noexcept;

  std::uint32_t range_count() const noexcept { return count_; }

  // An input iterator over the ranges; each GpaRange is read on dereference.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = GpaRange;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = GpaRange;

    GpaRange operator*() const noexcept;
    Iterator& operator++() noexcept;
    Iterator operator++(int) noexcept {
      Iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const Iterator& o) const noexcept { return left_ == o.left_; }

   private:
    friend class GpaDirectPacket;
    Iterator(std::span<const std::byte> rest, std::uint32_t left) : rest_(rest), left_(left) {}
    std::span<const std::byte> rest_;
    std::uint32_t left_;
  };
  Iterator begin() const noexcept { return Iterator(ranges_, count_); }
  Iterator end() const noexcept { return Iterator({}, 0); }

 private:
  GpaDirectPacket(std::span<const std::byte> ranges, std::uint32_t count) : ranges_(ranges), count_(count) {}
  std::span<const std::byte> ranges_;
  std::uint32_t count_;
};

}  // namespace vmbus
