// vmbus_bus: a sysfs root (vmbus::SysfsRoot) and the devices its last scan
// found (vmbus::scan); find_and_claim, which every open shares
// (vmbus::find_device, then vmbus::claim_device as examples/echo does).
#include <chrono>
#include <string>

#include "c_api.h"
#include "vmbus/device/discovery.h"

extern "C" int vmbus_bus_open(const char* sysfs_root, vmbus_bus** out) {
  return vmbus_c::guarded("vmbus_bus_open", [&] {
    if (out == nullptr) return vmbus_c::fail(-EINVAL, "vmbus_bus_open: out is NULL");
    *out = nullptr;
    auto bus = std::make_unique<vmbus_bus>(vmbus_bus{
        vmbus::SysfsRoot::from_option(sysfs_root ? sysfs_root : ""), std::string(), {}});
    bus->root_text = bus->root.root().string();
    *out = bus.release();
    return 0;
  });
}

extern "C" void vmbus_bus_close(vmbus_bus* bus) { delete bus; }

extern "C" const char* vmbus_bus_root(const vmbus_bus* bus) { return bus ? bus->root_text.c_str() : ""; }

extern "C" int vmbus_bus_scan(vmbus_bus* bus) {
  return vmbus_c::guarded("vmbus_bus_scan", [&] {
    if (bus == nullptr) return vmbus_c::fail(-EINVAL, "vmbus_bus_scan: bus is NULL");
    bus->scanned = vmbus::scan(bus->root).devices;
    return static_cast<int>(bus->scanned.size());
  });
}

extern "C" int vmbus_bus_device_info(const vmbus_bus* bus, uint32_t index, vmbus_device_info* info) {
  return vmbus_c::guarded("vmbus_bus_device_info", [&] {
    if (bus == nullptr) return vmbus_c::fail(-EINVAL, "vmbus_bus_device_info: bus is NULL");
    if (index >= bus->scanned.size()) {
      return vmbus_c::fail(-EINVAL, "vmbus_bus_device_info: index " + std::to_string(index) +
                                        " is past the last scan's " + std::to_string(bus->scanned.size()) +
                                        " devices (call vmbus_bus_scan first)");
    }
    const vmbus::DeviceInfo& d = bus->scanned[index];
    vmbus_device_info full{};
    full.struct_size = sizeof full;
    full.relid = d.relid;
    full.monitor_id = d.monitor_id ? static_cast<int32_t>(*d.monitor_id) : -1;
    switch (d.owner) {
      case vmbus::DeviceOwner::none: full.owner = VMBUS_OWNER_NONE; break;
      case vmbus::DeviceOwner::uio_hv_generic: full.owner = VMBUS_OWNER_UIO_HV_GENERIC; break;
      case vmbus::DeviceOwner::kernel_driver: full.owner = VMBUS_OWNER_KERNEL_DRIVER; break;
    }
    full.channel_count = static_cast<uint32_t>(d.channels.size());
    vmbus_c::copy_text(full.instance, d.instance.str());
    vmbus_c::copy_text(full.class_id, d.class_id.str());
    vmbus_c::copy_text(full.class_name, d.class_name);
    vmbus_c::copy_text(full.driver, d.driver);
    return vmbus_c::write_output(info, full, sizeof(vmbus_device_info), "vmbus_bus_device_info");
  });
}

namespace vmbus_c {

int find_and_claim(const vmbus_bus* bus, const char* selector, std::uint32_t flags, std::uint32_t timeout_ms,
                   std::optional<vmbus::Claim>& claim, vmbus::DeviceInfo& info, const char* what) {
  if (bus == nullptr) return fail(-EINVAL, std::string(what) + ": bus is NULL");
  if (selector == nullptr || *selector == '\0') return fail(-EINVAL, std::string(what) + ": selector is empty");
  try {
    info = vmbus::find_device(bus->root, selector);
  } catch (const vmbus::DeviceError& e) {
    // None, several, or unreadable: the device the caller means is not there.
    return fail(-ENODEV, std::string(what) + ": " + e.what());
  }
  if ((flags & VMBUS_OPEN_NO_CLAIM) != 0) return 0;
  vmbus::ClaimOptions options;
  if (timeout_ms != 0) options.timeout = std::chrono::milliseconds(timeout_ms);
  claim.emplace(vmbus::claim_device(bus->root, info.instance, options));
  info = claim->device();
  if ((flags & VMBUS_OPEN_KEEP_CLAIM) != 0) claim->keep();
  return 0;
}

}  // namespace vmbus_c
