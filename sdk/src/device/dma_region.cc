// DmaRegion: the frame table of memory the host reaches by GPA, and the
// GPA-direct entries it gives for byte spans. See vmbus/device/dma_region.h.
#include "vmbus/device/dma_region.h"

#include <bit>
#include <cstring>
#include <string>
#include <utility>

#include "../backing/backing_errors.h"

namespace vmbus {

// range() hands out the table as GpaRange::pfn_bytes, which are the wire's
// little-endian u64s.
static_assert(std::endian::native == std::endian::little, "the frame table doubles as wire bytes");

namespace {

// A frame whose GPA (frame << 12) still fits 64 bits.
constexpr std::uint64_t kMaxFrame = (std::uint64_t{1} << (64 - kHvPageShift)) - 1;

[[noreturn]] void refuse(const std::string& detail) { detail::throw_device_error("vmbus::DmaRegion", detail); }

}  // namespace

DmaRegion::DmaRegion(std::shared_ptr<const MappedRegion> memory, std::vector<std::uint64_t> frames,
                     DmaAddressing addressing, std::size_t page_size)
    : memory_(std::move(memory)), frames_(std::move(frames)), page_size_(page_size), addressing_(addressing) {
  if (!memory_ || !*memory_) refuse("no memory");
  const std::size_t size = memory_->size();
  const auto address = reinterpret_cast<std::uintptr_t>(memory_->data());
  if (addressing == DmaAddressing::none) refuse("addressing none: say what the frame numbers are");
  if (address % kHvPageSize != 0) refuse("the memory at " + std::to_string(address) + " is not 4 KiB-aligned");
  if (size % kHvPageSize != 0) refuse(std::to_string(size) + " bytes is not a multiple of 4 KiB");
  if (size > kMaxSize) refuse(std::to_string(size) + " bytes is more than " + std::to_string(kMaxSize));
  if (frames_.size() != size / kHvPageSize) {
    refuse(std::to_string(frames_.size()) + " frames for " + std::to_string(size) + " bytes, expected one per 4 KiB (" +
           std::to_string(size / kHvPageSize) + ")");
  }
  if (page_size == 0 || page_size % kHvPageSize != 0 || size % page_size != 0) {
    refuse("page size " + std::to_string(page_size) + " is not a 4 KiB multiple dividing " + std::to_string(size) +
           " bytes");
  }
  for (std::size_t i = 0; i < frames_.size(); ++i) {
    if (frames_[i] > kMaxFrame) {
      refuse("page " + std::to_string(i) + ": frame " + std::to_string(frames_[i]) + " puts its GPA past 2^64");
    }
  }
  data_ = memory_->data();
  size_ = size;
}

DmaRegion::DmaRegion(DmaRegion&& other) noexcept
    : memory_(std::move(other.memory_)),
      frames_(std::move(other.frames_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      page_size_(std::exchange(other.page_size_, 0)),
      addressing_(std::exchange(other.addressing_, DmaAddressing::none)) {
  other.frames_.clear();
}

DmaRegion& DmaRegion::operator=(DmaRegion&& other) noexcept {
  if (this != &other) {
    memory_ = std::move(other.memory_);
    frames_ = std::move(other.frames_);
    other.frames_.clear();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    page_size_ = std::exchange(other.page_size_, 0);
    addressing_ = std::exchange(other.addressing_, DmaAddressing::none);
  }
  return *this;
}

Result<std::uint64_t> DmaRegion::pfn(std::size_t page) const noexcept {
  if (page >= frames_.size()) return Error{Errc::invalid_argument, page};
  return frames_[page];
}

Result<std::uint64_t> DmaRegion::gpa(std::size_t offset) const noexcept {
  if (offset >= size_) return Error{Errc::invalid_argument, offset};
  return (frames_[offset >> kHvPageShift] << kHvPageShift) | hv_page_offset(offset);
}

Result<std::size_t> DmaRegion::offset_of(std::span<const std::byte> bytes) const noexcept {
  // Compare addresses as integers: pointers into different objects do not
  // order in C++.
  const auto begin = reinterpret_cast<std::uintptr_t>(data_);
  const auto at = reinterpret_cast<std::uintptr_t>(bytes.data());
  if (bytes.empty() || at < begin || at - begin >= size_ || bytes.size() > size_ - (at - begin)) {
    return Error{Errc::invalid_argument, 0};
  }
  return static_cast<std::size_t>(at - begin);
}

Result<std::size_t> DmaRegion::first_page(std::size_t offset, std::uint32_t len) const noexcept {
  if (len == 0) return Error{Errc::invalid_argument, 0};
  // 64-bit end: size_t offset + u32 len cannot wrap below a 2^47 region.
  if (offset > size_ || len > size_ - offset) {
    return Error{Errc::invalid_argument, static_cast<std::uint64_t>(offset) + len};
  }
  return offset >> kHvPageShift;
}

Result<GpaRange> DmaRegion::range(std::size_t offset, std::uint32_t len) const noexcept {
  Result<std::size_t> first = first_page(offset, len);
  if (!first) return first.error();
  const std::uint32_t in_page = hv_page_offset(offset);
  const auto pages = static_cast<std::size_t>(hv_pages_spanned(in_page, len));
  GpaRange r;
  r.len = len;
  r.offset = in_page;
  r.pfn_bytes = std::as_bytes(std::span<const std::uint64_t>(frames_).subspan(*first, pages));
  return r;
}

Status DmaRegion::add_page_buffers(GpaDirectHeader& header, std::size_t offset, std::uint32_t len) const noexcept {
  Result<std::size_t> first = first_page(offset, len);
  if (!first) return first.error();
  std::uint32_t in_page = hv_page_offset(offset);
  // Check the total first, so a refused span leaves the header as it was.
  const std::uint64_t total = header.page_count() + hv_pages_spanned(in_page, len);
  if (total > kMaxPageBufferCount) return Error{Errc::too_many_pages, total};
  std::size_t page = *first;
  std::uint32_t left = len;
  while (left != 0) {
    const std::uint32_t chunk = left < kHvPageSize - in_page ? left : kHvPageSize - in_page;
    // Cannot fail: chunk stays inside the frame and the count was checked.
    if (Status s = header.add_page(chunk, in_page, frames_[page]); !s) return s;
    left -= chunk;
    in_page = 0;
    ++page;
  }
  return {};
}

Status DmaRegion::add_mpb_range(GpaDirectHeader& header, std::size_t offset, std::uint32_t len) const noexcept {
  Result<std::size_t> first = first_page(offset, len);
  if (!first) return first.error();
  const std::uint32_t in_page = hv_page_offset(offset);
  const auto pages = static_cast<std::size_t>(hv_pages_spanned(in_page, len));
  // add_range checks the frame count before writing anything.
  return header.add_range(len, in_page, std::span<const std::uint64_t>(frames_).subspan(*first, pages));
}

Result<std::size_t> DmaRegion::span_offset(std::span<const std::byte> bytes) const noexcept {
  if (bytes.size() > UINT32_MAX) return Error{Errc::invalid_argument, bytes.size()};
  return offset_of(bytes);
}

Status DmaRegion::add_page_buffers(GpaDirectHeader& header, std::span<const std::byte> bytes) const noexcept {
  Result<std::size_t> offset = span_offset(bytes);
  if (!offset) return offset.error();
  return add_page_buffers(header, *offset, static_cast<std::uint32_t>(bytes.size()));
}

Status DmaRegion::add_mpb_range(GpaDirectHeader& header, std::span<const std::byte> bytes) const noexcept {
  Result<std::size_t> offset = span_offset(bytes);
  if (!offset) return offset.error();
  return add_mpb_range(header, *offset, static_cast<std::uint32_t>(bytes.size()));
}

}  // namespace vmbus
