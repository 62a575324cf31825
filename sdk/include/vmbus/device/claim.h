// File: vmbus/device/claim.h
//
// Claiming a VMBus device for user space: binding it to uio_hv_generic, and
// giving it back to the driver it had before. Needs root on a real guest.
//
// Claim, following DPDK's doc/guides/nics/netvsc.rst and the kernel's driver
// core (drivers/base/bus.c: bind_store, unbind_store):
//   1. make uio_hv_generic match the device: write "uio_hv_generic" to
//      <device>/driver_override where the kernel has it (hv_vmbus_get_id:
//      an override matches without any id), else write the class GUID to
//      drivers/uio_hv_generic/new_id (vmbus_drv.c: new_id_store; EEXIST
//      means it is there already);
//   2. write the instance GUID to drivers/<old driver>/unbind, if bound;
//   3. write it to drivers/uio_hv_generic/bind;
//   4. wait until <device>/uio/uioN, its maps and the device node exist.
// The kernel does 2-4 inside the write(2); hvsim does them a little later,
// so every step waits (polling) for its effect, up to ClaimOptions::timeout.
// If a step fails, what was done is undone before the DeviceError is thrown.
//
// Release undoes exactly what the claim did: unbind from uio_hv_generic and
// wait for uio/uioN to go, put driver_override back, remove the new_id the
// claim added, bind the previous driver again. A device that was already
// bound to uio_hv_generic gives a claim that releases nothing.
//
// Usage:
//   vmbus::Claim claim = vmbus::claim_device(root, instance);   // throws DeviceError
//   open_device(claim.device().uio_node, claim.device().maps);
//   ...                                  // ~Claim releases; or claim.keep() to stay bound
//   save(claim.record()); claim.keep();  // a daemon can release later, elsewhere:
//   vmbus::release_device(root, saved_record);
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "vmbus/device/device_info.h"
#include "vmbus/device/guid.h"
#include "vmbus/device/sysfs.h"

namespace vmbus {

struct ClaimOptions {
  // How long to wait for each step to take effect (the unbind, the bind, the
  // uio device appearing or going away).
  std::chrono::milliseconds timeout{5000};
};

// What a claim changed, so that it can be undone, also by another process.
struct ClaimRecord {
  Guid instance;
  Guid class_id;
  // False when the device was already bound to uio_hv_generic: release
  // then leaves it alone.
  bool owns_binding = false;
  std::string previous_driver;  // "" if no driver was bound
  // Set if the claim wrote driver_override: the value to put back ("" clears it).
  std::optional<std::string> previous_driver_override;
  // The claim added class_id to drivers/uio_hv_generic/new_id.
  bool added_new_id = false;
};

// A device bound to uio_hv_generic for as long as the Claim lives. Move-only.
class Claim {
 public:
  Claim() = default;  // claims nothing
  Claim(SysfsRoot root, ClaimRecord record, DeviceInfo device, ClaimOptions options);
  Claim(Claim&& other) noexcept;
  Claim& operator=(Claim&& other) noexcept;  // releases what this claimed first
  Claim(const Claim&) = delete;
  Claim& operator=(const Claim&) = delete;
  // Releases unless keep() or release() was called. A failure cannot be
  // thrown from here: it is printed to stderr. Call release() to see it.
  ~Claim();

  // The device as it is once bound: uio_name, uio_node and maps are set.
  const DeviceInfo& device() const noexcept { return device_; }
  const ClaimRecord& record() const noexcept { return record_; }
  // True while the destructor would release the device.
  bool active() const noexcept { return active_; }

  // Gives the device back now (see release_device). Throws DeviceError if
  // some step failed; the Claim is inactive afterwards either way.
  void release();
  // Leaves the device bound to uio_hv_generic when the Claim goes away.
  void keep() noexcept { active_ = false; }

 private:
  void release_noexcept() noexcept;

  SysfsRoot root_;
  ClaimRecord record_;
  DeviceInfo device_;
  ClaimOptions options_;
  bool active_ = false;
};

// Binds `instance` to uio_hv_generic (see the file comment). Throws
// DeviceError naming the file or the step that failed and what to do: no
// such device, uio_hv_generic not loaded, permission denied, a step that
// did not take effect within options.timeout.
Claim claim_device(const SysfsRoot& root, const Guid& instance, const ClaimOptions& options = {});

// Undoes what `record` says a claim did. Every step is tried; throws one
// DeviceError listing the steps that failed. Nothing to do if the device is
// gone (rescinded) or record.owns_binding is false.
void release_device(const SysfsRoot& root, const ClaimRecord& record, const ClaimOptions& options = {});

}  // namespace vmbus
