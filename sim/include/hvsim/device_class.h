// File: hvsim/device_class.h
//
// What hvsim knows of each VMBus device class beyond the SDK's class table
// (vmbus/device/device_class.h: short names, GUIDs, descriptions): the
// kernel driver that claims them by its static
// id table, the kernel's ring size for them when bound to uio_hv_generic
// (hv_dev_ring_size: vmbus_devs[].pref_ring_size in drivers/hv/channel_mgmt.c,
// 0 meaning SZ_2M, then VMBUS_RING_SIZE), whether Hyper-V gives them a monitor
// id, and which hvsim device host serves them by default.
//
// The `echo` class is hvsim's own (vmbus::kEchoClassGuid): a test device whose host
// returns every packet. To the kernel it is an unknown class (HV_UNKNOWN), so
// its rings are VMBUS_RING_SIZE(0x11000) = 72 KiB per direction.
//
// Usage:
//   const hvsim::DeviceClass& c = hvsim::class_of(guid);   // unknown_class() if not known
//   std::uint64_t ring = hvsim::kernel_ring_size(c);       // 2 MiB + 4 KiB for a NIC
//   if (const auto* nic = hvsim::find_class("network")) ...
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "hvsim/guid.h"
#include "vmbus/device/device_class.h"

namespace hvsim {

using vmbus::kEchoClassGuid;
using vmbus::kNicClassGuid;

// Drivers hvsim models (DIR/sys/bus/vmbus/drivers/<name>), in the order the
// kernel registered them (the order probing tries them in).
inline constexpr std::string_view kDriverNetvsc = "hv_netvsc";
inline constexpr std::string_view kDriverUtils = "hv_utils";
inline constexpr std::string_view kDriverUio = "uio_hv_generic";
inline constexpr std::string_view kDrivers[] = {kDriverNetvsc, kDriverUtils, kDriverUio};

struct DeviceClass {
  std::string_view name;           // the SDK's short name: "network", "kvp", "echo", ...
  std::string_view kernel_driver;  // the driver whose id table holds it ("" if none hvsim models)
  std::uint32_t pref_ring_size;    // vmbus_devs[].pref_ring_size; 0 = SZ_2M
  std::uint16_t device_type;       // enum vmbus_device_type (the `device` attribute)
  bool monitored;                  // Hyper-V allocates a monitor id (the perf devices)
  bool nic_buffers;                // uio maps 3 and 4 (recv/send buffers): HV_NIC only
  std::string_view default_host;   // hvsim device host when the config names none

  // From the SDK's table by name; the nil GUID for unknown_class().
  Guid guid() const;
};

std::span<const DeviceClass> known_classes();
// By short name or by GUID text; nullptr if neither.
const DeviceClass* find_class(std::string_view name_or_guid);
// The class with this GUID, or unknown_class().
const DeviceClass& class_of(const Guid& guid);
// HV_UNKNOWN: what the kernel makes of any GUID it does not know.
const DeviceClass& unknown_class();

// The per-direction ring size uio_hv_generic allocates for the class:
// VMBUS_RING_SIZE(pref_ring_size ? pref_ring_size : SZ_2M), i.e. the payload
// plus the 4 KiB header, page aligned (0315fef2aff9).
std::uint64_t kernel_ring_size(const DeviceClass& c);

}  // namespace hvsim
