// File: daemon/src/device_registry.h
//
// The devices vmbusd serves: what the bus has (read from sysfs on every
// query, so a rescind or an offer shows at once) and which of them vmbusd
// has claimed (bound to uio_hv_generic through vmbus::claim_device, with
// what to undo kept in the vmbus::Claim). Releasing, or destroying the
// registry, gives each device back to the driver it had before the claim.
//
// Thread-safe: gRPC calls arrive on several threads; one mutex guards the
// claims (control-plane only, never the data path).
//
// Usage:
//   DeviceRegistry registry(vmbus::SysfsRoot("/sys"));
//   DeviceView nic = registry.claim("network");          // throws ControlError
//   for (const DeviceView& d : registry.list().devices) show(d);
//   registry.release(nic.info.instance.str());
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control_error.h"
#include "event_bus.h"
#include "lease_server.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device_info.h"
#include "vmbus/device/guid.h"
#include "vmbus/device/sysfs.h"

namespace vmbusd {

using SystemClock = std::chrono::system_clock;

// One device as the control API shows it.
struct DeviceView {
  vmbus::DeviceInfo info;
  bool claimed = false;  // by this vmbusd
  SystemClock::time_point claimed_at{};
  std::filesystem::path lease_endpoint;  // while claimed: where a driver connects
  std::filesystem::path lease_root;      // while claimed: the SysfsRoot to give the SDK
  std::optional<LeaseRecord> lease;      // the active lease, if any
};

struct DeviceListing {
  std::vector<DeviceView> devices;    // by instance GUID
  std::vector<std::string> problems;  // device directories that could not be read
};

class DeviceRegistry {
 public:
  // `lease_root` empty: devices can be claimed but not leased.
  explicit DeviceRegistry(vmbus::SysfsRoot root, std::filesystem::path lease_root = {},
                          vmbus::ClaimOptions options = {});
  ~DeviceRegistry();  // release_all()

  // Starts the lease server (creates the lease root). Throws std::runtime_error.
  void start();
  LeaseServer* leases() noexcept { return leases_.get(); }
  DeviceRegistry(const DeviceRegistry&) = delete;
  DeviceRegistry& operator=(const DeviceRegistry&) = delete;

  const vmbus::SysfsRoot& root() const noexcept { return root_; }

  DeviceListing list() const;
  // Errors: invalid_argument (not a GUID), not_found (not on the bus),
  // failed_precondition (its sysfs files are malformed: the message names one).
  DeviceView get(std::string_view device_id) const;

  // Claims the device `selector` names: an instance GUID, or a class (name
  // or GUID) exactly one device has. A device this vmbusd claimed already
  // is returned as it is. Errors: invalid_argument (neither a GUID nor a
  // known class), not_found, failed_precondition (several devices of that
  // class, or a claim step failed: the message names the sysfs write).
  DeviceView claim(std::string_view selector);
  // Ends the device's lease, if any (`ended` receives it), and gives the
  // device back to its previous driver. Errors: invalid_argument,
  // not_found, failed_precondition (not claimed by this vmbusd, or the
  // release failed: the device stays claimed).
  DeviceView release(std::string_view device_id, std::optional<LeaseRecord>* ended = nullptr);
  // Releases every claim; failures are logged, not thrown (shutdown).
  void release_all() noexcept;
  // The host rescinded `instance`: if vmbusd had claimed it, the claim is
  // dropped (nothing is left to give back) and its lease ended. Returns the
  // lease that was active, if any.
  std::optional<LeaseRecord> forget_rescinded(const vmbus::Guid& instance);

  // Where claims, releases and leases are published (WatchEvents); set
  // before start().
  void publish_to(EventBus* bus);

  // A device id as a GUID; ControlError invalid_argument naming it if malformed.
  static vmbus::Guid parse_instance(std::string_view device_id);

 private:
  struct Claimed {
    vmbus::Claim claim;
    SystemClock::time_point at;
  };
  DeviceView view_locked(const vmbus::DeviceInfo& info) const;
  vmbus::Guid resolve(std::string_view selector) const;

  vmbus::SysfsRoot root_;
  vmbus::ClaimOptions options_;
  std::unique_ptr<LeaseServer> leases_;  // null without a lease root
  EventBus* bus_ = nullptr;
  mutable std::mutex mutex_;
  std::map<vmbus::Guid, Claimed> claims_;

  // What describe_device() read, for get(): GetChannel at 1000 calls/s
  // otherwise re-reads a dozen sysfs files per call. An entry is used only
  // while the device's directory is the same one (its inode: a rescinded and
  // re-offered device is a new directory) and for kInfoTtl, so a change made
  // outside vmbusd (a driver bound by hand, a channel's cpu moved) shows
  // within that time; vmbusd's own claims and releases drop the entry.
  struct CachedInfo {
    vmbus::DeviceInfo info;
    ino_t directory = 0;
    std::chrono::steady_clock::time_point read_at;
  };
  static constexpr std::chrono::milliseconds kInfoTtl{250};
  mutable std::mutex cache_mutex_;
  mutable std::map<vmbus::Guid, CachedInfo> cache_;
  void forget_cached(const vmbus::Guid& instance) const;
};

}  // namespace vmbusd
