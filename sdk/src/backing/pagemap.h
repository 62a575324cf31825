// File: src/backing/pagemap.h (internal)
//
// Guest-physical frame numbers of this process's memory, read once from
// /proc/self/pagemap (Documentation/admin-guide/mm/pagemap.rst): one u64 per
// system page at offset (address / page size) * 8, with
//   bit 63     page present in RAM
//   bit 62     page swapped (then bits 0-54 are swap type and offset)
//   bits 0-54  the page frame number, in system pages
// Since Linux 4.2 the frame number reads as 0 unless the reader has
// CAP_SYS_ADMIN (pagemap_read: show_pfn); that is reported as an error
// saying so, never returned as frame 0.
//
// The result is in Hyper-V's 4 KiB frames (HV_HYP_PAGE_SHIFT 12), one per
// 4 KiB of the span, whatever the system page size: a 64 KiB system page is
// 16 consecutive Hyper-V frames.
//
// Usage:
//   std::vector<std::uint64_t> frames = vmbus::detail::physical_frames("uio /dev/uio0", data, size);
//   std::uint64_t gpa = (frames[offset / 4096] << 12) | (offset % 4096);
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace vmbus::detail {

// `data` is system-page-aligned and `size` a multiple of the system page
// size; every page must be resident (locked). Throws DeviceError starting
// with `what`: pagemap cannot be opened or read, a page not present (or
// swapped out), or frame numbers hidden (no CAP_SYS_ADMIN).
std::vector<std::uint64_t> physical_frames(std::string_view what, const std::byte* data, std::size_t size,
                                           const std::filesystem::path& pagemap = "/proc/self/pagemap");

}  // namespace vmbus::detail
