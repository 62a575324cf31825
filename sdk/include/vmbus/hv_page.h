// File: vmbus/hv_page.h
//
// Hyper-V's page: always 4 KiB, whatever the guest's own page size (a 64 KiB
// arm64 guest still names memory to the host in 4 KiB frames). Every PFN the
// SDK puts on the wire is in these units (include/linux/hyperv.h:
// HV_HYP_PAGE_SHIFT, HVPFN_UP, HVPFN_DOWN).
//
// Usage:
//   std::uint64_t pfn = vmbus::hv_pfn(gpa);
//   std::uint32_t off = vmbus::hv_page_offset(gpa);
//   std::uint32_t n   = vmbus::hv_pages_spanned(off, len);  // PFNs a range needs
#pragma once

#include <cstdint>

namespace vmbus {

inline constexpr std::uint32_t kHvPageShift = 12;
inline constexpr std::uint32_t kHvPageSize = 1u << kHvPageShift;

constexpr std::uint64_t hv_pfn(std::uint64_t address) noexcept { return address >> kHvPageShift; }

constexpr std::uint32_t hv_page_offset(std::uint64_t address) noexcept {
  return static_cast<std::uint32_t>(address & (kHvPageSize - 1));
}

// HVPFN_UP(offset + len): the 4 KiB frames a byte range starting `offset`
// bytes into its first frame touches. 64-bit arithmetic, so it cannot wrap.
constexpr std::uint64_t hv_pages_spanned(std::uint64_t offset, std::uint64_t len) noexcept {
  return (offset + len + kHvPageSize - 1) >> kHvPageShift;
}

}  // namespace vmbus
