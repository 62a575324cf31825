// File: vmbus/device/discovery.h
//
// Finding VMBus devices under a sysfs root and describing each one: class,
// relid, monitor id, channels, the driver that owns it, and (when that is
// uio_hv_generic) its uio device and maps. Reads only; changes nothing.
//
// One broken device does not hide the others. scan() returns the devices it
// could read and, separately, a problem for each one it could not, whose
// message names the file and what was expected; discover() is scan().devices.
// A device that vanishes mid-scan (rescinded) is simply not listed. Asking
// for one device by instance (describe_device) throws DeviceError instead.
//
// Usage:
//   vmbus::SysfsRoot root = vmbus::SysfsRoot::from_environment();
//   vmbus::DeviceScan scan = vmbus::scan(root);
//   for (const vmbus::DeviceInfo& d : scan.devices) show(d);
//   for (const vmbus::DeviceProblem& p : scan.problems) warn(p.message);
//   vmbus::DeviceInfo nic = vmbus::find_device(root, "network");  // the only NIC, or throws
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "vmbus/device/device_info.h"
#include "vmbus/device/guid.h"
#include "vmbus/device/sysfs.h"

namespace vmbus {

// A device directory that could not be read.
struct DeviceProblem {
  std::filesystem::path sysfs_dir;  // devices/<name>
  std::string message;              // names the file and what was expected
};

struct DeviceScan {
  std::vector<DeviceInfo> devices;      // by instance GUID, in text order
  std::vector<DeviceProblem> problems;  // by directory name
};

// Every device under root.devices_dir(). Throws DeviceError only if that
// directory cannot be listed (no VMBus, wrong root).
DeviceScan scan(const SysfsRoot& root);

// scan(root).devices: the devices that could be read.
std::vector<DeviceInfo> discover(const SysfsRoot& root);

// One device. Throws DeviceError "no VMBus device <guid> under <dir>" if it
// does not exist, or one naming the file that is missing or malformed.
DeviceInfo describe_device(const SysfsRoot& root, const Guid& instance);

// The channels of one device directory (devices/<instance>/channels/*):
// the primary first, then subchannels by relid. A channel whose directory
// vanishes while it is read (the host rescinded that subchannel) is left
// out. Throws DeviceError naming a malformed file.
std::vector<ChannelInfo> read_channels(const std::filesystem::path& device_dir);

// Devices of one class, by instance. Throws DeviceError only as scan() does.
std::vector<DeviceInfo> find_devices_of_class(const SysfsRoot& root, const Guid& class_id);

// The device a user means by `selector`: an instance GUID, or a class (a
// name from device_class.h or a class GUID) that exactly one device has.
// Throws DeviceError saying what matched instead (none, several: listing
// their instances; devices that could not be read are named too).
DeviceInfo find_device(const SysfsRoot& root, std::string_view selector);

}  // namespace vmbus
