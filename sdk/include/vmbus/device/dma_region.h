// File: vmbus/device/dma_region.h
//
// Memory the host can reach by guest physical address (GPA), for GPA-direct
// packets (page buffers and multi-page buffers, vmbus/packet/gpa_direct.h):
// a driver puts a large frame in a DmaRegion and names it by 4 KiB frame
// number instead of copying it into the ring (the kernel's netvsc does this
// in netvsc_build_page_buffer, DPDK's in hn_xmit_sg).
//
// Get one from Device::allocate_dma(bytes, options). The device's backing
// decides what a frame number means:
//   - the kernel (/dev/uioN): real guest-physical frames. The memory is a
//     memfd mapped shared (fork() cannot copy-on-write it away from its
//     frames), locked (mlock), touched, and each 4 KiB page is translated
//     once through /proc/self/pagemap, which shows frame numbers only to
//     CAP_SYS_ADMIN (Linux 4.2+ zeroes them otherwise: a clear error here).
//   - an hvsim endpoint (or a vmbusd lease): the memfd is registered with the
//     host (endpoint RegisterMemory) at GPA = its virtual address in this
//     process, and the host reads and writes it through its own mapping. With
//     GPA = VA, hvsim's fallback for memory nobody registered (reading this
//     process by address, IOVA = VA as DPDK --no-huge) agrees on every GPA.
// Either way the frame table is computed when the region is made: pfn(),
// gpa(), range() and the add_* helpers are array reads, with no allocation,
// lock or system call, so they belong on the per-packet path.
//
// Frames are Hyper-V's 4 KiB units (HV_HYP_PAGE_SHIFT 12) whatever the system
// page size. Consecutive pages need not have consecutive frames (they do not
// on the kernel): a byte span is named page by page (add_page_buffers) or as
// one multi-page range listing every frame (add_mpb_range).
//
// Lifetime: the caller owns the region. The host reads or writes it after the
// send returns, up to the completion it sends for the packet (a type 0xb
// packet echoing the trans_id; NVSP's SEND_RNDIS_PKT_COMPLETE for netvsc):
// keep the region alive, and those bytes unchanged, until then. A region may
// outlive its Device: its memory stays mapped, and hvsim keeps its own
// mapping until the device is closed.
//
// Threads: a region does not change after it is made; its lookups may run
// on any number of threads at once. Its bytes are the caller's to share.
//
// On the kernel, mlock keeps pages resident, not in place: compaction may
// still migrate locked pages (vm.compact_unevictable_allowed, default 1), and
// their frames then change under the host. Hugepages (DmaOptions::hugepages,
// which need vm.nr_hugepages) are not moved by compaction; this is why DPDK
// wants hugepages for uio devices.
//
// Usage:
//   vmbus::DmaRegion dma = device->allocate_dma(1 << 20);  // throws DeviceError
//   std::memcpy(dma.data() + 8000, frame, frame_len);       // crosses a page
//   vmbus::GpaDirectHeader ranges;
//   if (vmbus::Status s = dma.add_page_buffers(ranges, 8000, frame_len); !s) return s;
//   ch.send_gpa_direct(ranges, rndis_message, trans_id);
//   // ... keep `dma` and the frame until the completion for trans_id arrives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "vmbus/backing/device_backing.h"
#include "vmbus/hv_page.h"
#include "vmbus/packet/gpa_direct.h"
#include "vmbus/result.h"

namespace vmbus {

// What a region's frame numbers are.
enum class DmaAddressing : std::uint8_t {
  none,        // an empty region (default-constructed or moved from)
  physical,    // guest-physical frames read from /proc/self/pagemap (kernel uio)
  registered,  // GPA = this process's virtual address, registered with the endpoint's host (hvsim)
};

struct DmaOptions {
  // Back the region with hugetlb pages (the system's default size, 2 MiB on
  // x86; the size is rounded up to a multiple of it) when enough are free
  // (HugePages_Free in /proc/meminfo, reserved with vm.nr_hugepages), and
  // with 4 KiB pages otherwise. DmaRegion::page_size() says which it got.
  bool hugepages = false;
  // With `hugepages`: throw DeviceError instead of falling back to 4 KiB.
  bool require_hugepages = false;
};

class DmaRegion {
 public:
  // Bytes a region can hold: the frame table must fit GpaDirectHeader's u64
  // frames and size_t offsets (128 TiB, the x86-64 user address space).
  static constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 47;

  DmaRegion() = default;  // empty: size() 0, addressing() none

  // For backings, and tests: `memory`, page-aligned and a multiple of 4 KiB,
  // whose 4 KiB page i the host reaches as frame `frames[i]`, backed by pages
  // of `page_size` bytes (4096, or a hugepage size). The region shares
  // ownership of the mapping, so a backing can keep it mapped too. Throws
  // DeviceError naming what is wrong: no memory, misaligned, not a 4 KiB
  // multiple, larger than kMaxSize, frames.size() != size / 4096, a frame
  // beyond 2^52 (GPAs are 64-bit), page_size not a 4 KiB multiple dividing
  // the size, or addressing none.
  DmaRegion(std::shared_ptr<const MappedRegion> memory, std::vector<std::uint64_t> frames, DmaAddressing addressing,
            std::size_t page_size = kHvPageSize);

  DmaRegion(DmaRegion&& other) noexcept;
  DmaRegion& operator=(DmaRegion&& other) noexcept;
  DmaRegion(const DmaRegion&) = delete;
  DmaRegion& operator=(const DmaRegion&) = delete;
  ~DmaRegion() = default;

  explicit operator bool() const noexcept { return size_ != 0; }
  std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::span<std::byte> memory() const noexcept { return {data_, size_}; }
  DmaAddressing addressing() const noexcept { return addressing_; }
  // The size of the pages behind the region: 4096, or a hugepage size.
  std::size_t page_size() const noexcept { return page_size_; }
  // 4 KiB pages, whatever page_size() is.
  std::size_t page_count() const noexcept { return frames_.size(); }
  // The whole frame table: frames()[i] is page i's frame.
  std::span<const std::uint64_t> frames() const noexcept { return frames_; }

  // The frame of 4 KiB page `page`. Error: invalid_argument (detail = page)
  // past page_count().
  Result<std::uint64_t> pfn(std::size_t page) const noexcept;
  // The GPA of byte `offset`. Error: invalid_argument (detail = offset) at or
  // past size().
  Result<std::uint64_t> gpa(std::size_t offset) const noexcept;
  // Where `bytes` lie in memory(). Error: invalid_argument (detail 0) if any
  // of them lies outside it, or `bytes` is empty.
  Result<std::size_t> offset_of(std::span<const std::byte> bytes) const noexcept;

  // The bytes [offset, offset + len) as one GPA-direct range: `offset % 4096`
  // into the first frame, through every frame they touch. pfn_bytes points
  // into the frame table (valid while the region lives). Error:
  // invalid_argument (len 0: detail 0; past size(): detail = offset + len).
  Result<GpaRange> range(std::size_t offset, std::uint32_t len) const noexcept;

  // Appends page-buffer entries for [offset, offset + len), one per 4 KiB
  // frame touched, split at every frame boundary (netvsc's fill_pg_buf, DPDK
  // hn_fill_sg). Errors: invalid_argument as range(); too_many_pages (detail
  // = the header's pages with these) if the header would pass 32 frames.
  // On error the header is unchanged.
  Status add_page_buffers(GpaDirectHeader& header, std::size_t offset, std::uint32_t len) const noexcept;
  // Appends one multi-page range (hv_mpb_array) for the same bytes: one
  // entry listing every frame. Errors and atomicity as add_page_buffers.
  Status add_mpb_range(GpaDirectHeader& header, std::size_t offset, std::uint32_t len) const noexcept;
  // The same for a span inside memory() (a frame the driver built in place).
  // Also invalid_argument (detail = bytes.size()) past 4 GiB - 1 bytes: a
  // range's len is a u32 on the wire.
  Status add_page_buffers(GpaDirectHeader& header, std::span<const std::byte> bytes) const noexcept;
  Status add_mpb_range(GpaDirectHeader& header, std::span<const std::byte> bytes) const noexcept;

 private:
  // Checks [offset, offset + len) and returns its first page.
  Result<std::size_t> first_page(std::size_t offset, std::uint32_t len) const noexcept;
  Result<std::size_t> span_offset(std::span<const std::byte> bytes) const noexcept;

  std::shared_ptr<const MappedRegion> memory_;
  std::vector<std::uint64_t> frames_;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t page_size_ = 0;
  DmaAddressing addressing_ = DmaAddressing::none;
};

}  // namespace vmbus
