// File: bindings/python/src/discovery.h
//
// What device.cc, netvsc_port.cc and kvp_service.cc share with discovery:
// a sysfs root from a Python argument, and finding plus claiming the device
// a selector names, as the C ABI's find_and_claim does.
#pragma once

#include <optional>
#include <string>

#include "common.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device_info.h"
#include "vmbus/device/sysfs.h"

namespace vmbus_py {

// None or "": $VMBUS_SYSFS_ROOT, else /sys (vmbus::SysfsRoot::from_option).
vmbus::SysfsRoot sysfs_root_of(const std::optional<std::string>& sysfs_root);

struct ClaimRequest {
  bool claim = true;        // bind to uio_hv_generic if it is not
  bool keep_claim = false;  // leave it bound when closed
  std::optional<double> claim_timeout;  // seconds per claim step; None: the SDK's 5 s
};

// Finds the device `selector` names (an instance GUID, a class name or a
// class GUID) and claims it unless told not to. Call with the GIL released.
// Returns an empty string on success, else the failure's text with `errno_value`
// set (ENODEV: not found or ambiguous; EIO: not bound and claim=False).
// Claim failures throw vmbus::DeviceError (translated to vmbus.Error).
std::string find_and_claim(const vmbus::SysfsRoot& root, const std::string& selector, const ClaimRequest& request,
                           std::optional<vmbus::Claim>& claim, vmbus::DeviceInfo& info, int& errno_value);

}  // namespace vmbus_py
