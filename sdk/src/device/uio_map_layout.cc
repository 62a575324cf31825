// Validation of a device's uio maps, as sysfs describes them.
#include "uio_map_layout.h"

#include <unistd.h>

#include <string>

#include "../backing/backing_errors.h"
#include "vmbus/hv_page.h"
#include "vmbus/ring/ring_header.h"

namespace vmbus::detail {
namespace {

std::string str(std::uint64_t v) { return std::to_string(v); }

void check_name(const DeviceInfo& info, const UioMapInfo& map, std::string_view expected) {
  if (map.name != expected) {
    throw_file_error(uio_map_dir(info, map.index) / "name",
                       "\"" + map.name + "\", expected \"" + std::string(expected) + "\" (uio_hv_generic's map " +
                           str(map.index) + ")");
  }
}

// int_page and monitor_page: HV_HYP_PAGE_SIZE since "Use correct size for
// interrupt and monitor pages" (2025); PAGE_SIZE before, which differs only on
// 64 KiB-page kernels. The SDK uses the first 4096 bytes either way.
std::size_t check_page_map(const DeviceInfo& info, const UioMapInfo& map) {
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  if (map.size != kHvPageSize && map.size != page) {
    throw_file_error(uio_map_dir(info, map.index) / "size",
                       str(map.size) + " bytes, expected 4096 (one Hyper-V page) for " + map.name);
  }
  return static_cast<std::size_t>(map.size);
}

SharedBufferMap check_buffer_map(const DeviceInfo& info, const UioMapInfo& map, std::string_view prefix) {
  const auto gpadl = parse_gpadl_name(map.name, prefix);
  if (!gpadl) {
    throw_file_error(uio_map_dir(info, map.index) / "name",
                       "\"" + map.name + "\", expected \"" + std::string(prefix) +
                           "<GPADL handle>\" with a non-zero decimal handle");
  }
  if (map.size == 0 || map.size % kHvPageSize != 0) {
    throw_file_error(uio_map_dir(info, map.index) / "size",
                       str(map.size) + " bytes, expected a non-zero multiple of 4096 for " + map.name);
  }
  return {map.index, static_cast<std::size_t>(map.size), *gpadl};
}

}  // namespace

std::filesystem::path uio_map_dir(const DeviceInfo& info, std::uint32_t index) {
  return info.sysfs_dir / "uio" / info.uio_name / "maps" / ("map" + std::to_string(index));
}

std::optional<std::uint32_t> parse_gpadl_name(std::string_view name, std::string_view prefix) noexcept {
  if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view digits = name.substr(prefix.size());
  if (digits.empty() || digits.size() > 10 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value == 0 || value > UINT32_MAX) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

UioMapLayout check_uio_maps(const DeviceInfo& info) {
  const std::filesystem::path maps_dir = info.sysfs_dir / "uio" / info.uio_name / "maps";
  if (info.maps.size() < 3) {
    throw_file_error(maps_dir, str(info.maps.size()) +
                                     " maps, expected at least 3 (txrx_rings, int_page, monitor_page)");
  }
  for (std::size_t k = 0; k < info.maps.size(); ++k) {
    if (info.maps[k].index != k) {
      throw_file_error(maps_dir, "map list out of order: entry " + str(k) + " is map" + str(info.maps[k].index));
    }
  }

  UioMapLayout layout;
  const UioMapInfo& rings = info.maps[0];
  check_name(info, rings, "txrx_rings");
  // Two rings of equal size, each a 4 KiB header plus at least one 4 KiB data
  // page, in 4 KiB units (VMBUS_RING_SIZE; RingMemory::from checks the same).
  const std::uint64_t max_rings = 2 * (std::uint64_t{kRingMaxDataSize} + kRingHeaderSize);
  if (rings.size < 4 * kHvPageSize || rings.size % (2 * kHvPageSize) != 0 || rings.size > max_rings) {
    throw_file_error(uio_map_dir(info, 0) / "size",
                       str(rings.size) + " bytes, expected two equal rings (TX then RX), each a multiple of 4096 "
                                         "of at least 8192 bytes: a multiple of 8192 from 16384 to " +
                           str(max_rings));
  }
  layout.rings_size = static_cast<std::size_t>(rings.size);
  layout.ring_size = layout.rings_size / 2;

  check_name(info, info.maps[1], "int_page");
  layout.int_page_size = check_page_map(info, info.maps[1]);
  check_name(info, info.maps[2], "monitor_page");
  layout.monitor_page_size = check_page_map(info, info.maps[2]);

  if (info.maps.size() > 3) layout.recv = check_buffer_map(info, info.maps[3], "recv:");
  if (info.maps.size() > 4) layout.send = check_buffer_map(info, info.maps[4], "send:");
  if (info.maps.size() > 5) {
    throw_file_error(maps_dir, str(info.maps.size()) + " maps, expected at most 5 (MAX_UIO_MAPS)");
  }
  return layout;
}

}  // namespace vmbus::detail
