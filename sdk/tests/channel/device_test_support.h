// Test support for the Device tests: a DeviceInfo built by hand, as
// discovery would fill it for a device bound to uio_hv_generic, pointing at
// a sysfs directory and a device node the test chose.
//
// Usage:
//   vmbus::DeviceInfo info = vmbus::test::uio_device_info(sysfs_dir, host.path(), maps, /*monitor_id=*/5);
//   auto dev = vmbus::Device::open(info);
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "endpoint_test_server.h"
#include "vmbus/device/device_info.h"
#include "vmbus/device/guid.h"

namespace vmbus::test {

inline constexpr const char* kDeviceGuid = "0a1b2c3d-0000-4000-8000-0000000000aa";
inline constexpr const char* kNicClassGuid = "f8615163-df3e-46c5-913f-f2d2f965ed0e";

inline DeviceInfo uio_device_info(const fs::path& sysfs_dir, const fs::path& node, const std::vector<MapSpec>& maps,
                                  std::optional<std::uint8_t> monitor_id = 5, std::uint32_t relid = 14) {
  DeviceInfo info;
  info.sysfs_dir = sysfs_dir;
  info.instance = Guid::parse(kDeviceGuid).value();
  info.class_id = Guid::parse(kNicClassGuid).value();
  info.class_name = "network";
  info.relid = relid;
  info.monitor_id = monitor_id;
  info.owner = DeviceOwner::uio_hv_generic;
  info.driver = "uio_hv_generic";
  info.uio_name = "uio0";
  info.uio_node = node;
  for (std::size_t k = 0; k < maps.size(); ++k) {
    info.maps.push_back(UioMapInfo{.index = static_cast<std::uint32_t>(k), .name = maps[k].name, .size = maps[k].size, .offset = 0});
  }
  return info;
}

// 2 x (4 KiB header + 16 KiB data), the two signal pages.
inline std::vector<MapSpec> small_maps() {
  return {{"txrx_rings", 2 * (4096 + 16384)}, {"int_page", 4096}, {"monitor_page", 4096}};
}

}  // namespace vmbus::test
