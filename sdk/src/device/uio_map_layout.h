// File: src/device/uio_map_layout.h (internal)
//
// Checks the uio maps discovery read from sysfs (DeviceInfo::maps) against
// what uio_hv_generic exposes, before anything is mapped, and says where each
// piece is:
//   map 0 txrx_rings    2 * ring_size: TX (guest->host) at +0, RX at +ring_size
//                       (hv_uio_probe; DPDK ring_size = map0.size / 2)
//   map 1 int_page      4096 (HV_HYP_PAGE_SIZE; PAGE_SIZE before 2025)
//   map 2 monitor_page  4096 (likewise), monitor_pages[1]
//   map 3 recv:<gpadl>  NIC only; the decimal GPADL handle of the receive buffer
//   map 4 send:<gpadl>  NIC only; of the send buffer
// Each violation is a DeviceError naming the sysfs file
// (<device>/uio/<uioN>/maps/mapK/{name,size}) and what was expected.
//
// Usage:
//   vmbus::detail::UioMapLayout layout = vmbus::detail::check_uio_maps(info);
//   auto tx = rings.subspan(0, layout.ring_size);
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "vmbus/device/device_info.h"

namespace vmbus::detail {

struct SharedBufferMap {
  std::uint32_t index = 0;
  std::size_t size = 0;
  std::uint32_t gpadl = 0;
};

struct UioMapLayout {
  std::size_t rings_size = 0;  // map 0
  std::size_t ring_size = 0;   // one direction: rings_size / 2
  std::size_t int_page_size = 0;
  std::size_t monitor_page_size = 0;
  std::optional<SharedBufferMap> recv;  // map 3
  std::optional<SharedBufferMap> send;  // map 4
};

// <sysfs_dir>/uio/<uio_name>/maps/map<index>
std::filesystem::path uio_map_dir(const DeviceInfo& info, std::uint32_t index);

// Throws DeviceError (see the file comment).
UioMapLayout check_uio_maps(const DeviceInfo& info);

// "recv:1234" with prefix "recv:" -> 1234. Decimal digits only, no sign, no
// leading zeros beyond "0", at most UINT32_MAX, non-zero (a GPADL handle of 0
// is never handed out: vmbus_establish_gpadl starts at a non-zero counter).
std::optional<std::uint32_t> parse_gpadl_name(std::string_view name, std::string_view prefix) noexcept;

}  // namespace vmbus::detail
