// File: vmbus/device/device_info.h
//
// What discovery learns about one VMBus device from sysfs: the data that
// claim, open and the tools work from. Filled by vmbus::discover()
// (vmbus/device/discovery.h), read by vmbus::Device::open (vmbus/device/device.h).
// Every field comes from a file under <sysfs root>/bus/vmbus/devices/<instance>/
// (Documentation/ABI/stable/sysfs-bus-vmbus); the comments name the file.
//
// Usage:
//   for (const vmbus::DeviceInfo& d : vmbus::discover(vmbus::SysfsRoot::from_environment()))
//     std::printf("%s %s relid %u\n", d.instance.str().c_str(), d.class_name.c_str(), d.relid);
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "vmbus/device/guid.h"

namespace vmbus {

// One uio map: uio/uioN/maps/mapK/{name,size,offset}.
struct UioMapInfo {
  std::uint32_t index = 0;
  std::string name;         // "txrx_rings", "int_page", "monitor_page", "recv:<gpadl>", "send:<gpadl>"
  std::uint64_t size = 0;   // bytes
  std::uint64_t offset = 0;
};

// One channel: channels/<relid>/.
struct ChannelInfo {
  std::uint32_t relid = 0;
  std::uint32_t subchannel_id = 0;           // subchannel_id; 0 is the primary
  std::optional<std::uint8_t> monitor_id;    // monitor_id; absent when not monitored
  std::uint32_t cpu = 0;                     // cpu (target VP)
  bool has_ring_file = false;                // ring exists (subchannels opened by uio_hv_generic)
};

// Who drives the device now: the `driver` symlink's target name.
enum class DeviceOwner { none, uio_hv_generic, kernel_driver };

struct DeviceInfo {
  std::filesystem::path sysfs_dir;        // <root>/bus/vmbus/devices/<instance>
  Guid instance;                          // device_id, and the directory's name
  Guid class_id;                          // class_id
  std::string class_name;                 // "network", "kvp", ... ("unknown" if not known)
  std::uint32_t relid = 0;                // id: the primary channel's relid
  std::optional<std::uint8_t> monitor_id; // monitor_id; absent when not monitored
  DeviceOwner owner = DeviceOwner::none;
  std::string driver;                     // the driver's name, empty if none
  std::string driver_override;            // driver_override, empty if "(null)" or absent
  std::vector<ChannelInfo> channels;      // channels/*, primary first, then by relid
  // Set when owned by uio_hv_generic: uio/uioN.
  std::string uio_name;                   // "uio0"
  std::filesystem::path uio_node;         // <root>/../dev/uio0 (the kernel's /dev/uio0)
  std::vector<UioMapInfo> maps;           // maps/map0.. in index order
};

}  // namespace vmbus
