// The devices vmbusd serves and the ones it claimed (device_registry.h).
#include "device_registry.h"

#include <sys/stat.h>

#include <filesystem>

#include "daemon_log.h"
#include "proto_convert.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/device/device_class.h"
#include "vmbus/device/discovery.h"

namespace vmbusd {

DeviceRegistry::DeviceRegistry(vmbus::SysfsRoot root, std::filesystem::path lease_root, vmbus::ClaimOptions options)
    : root_(std::move(root)), options_(options) {
  if (!lease_root.empty()) leases_ = std::make_unique<LeaseServer>(std::move(lease_root), root_);
}

DeviceRegistry::~DeviceRegistry() { release_all(); }

void DeviceRegistry::publish_to(EventBus* bus) {
  bus_ = bus;
  if (leases_ && bus_) {
    leases_->observe([bus](const LeaseRecord& l) {
      vmbus::control::v1::Event e;
      if (l.active) {
        e.set_type(vmbus::control::v1::EVENT_TYPE_LEASE_STARTED);
        to_proto(l, *e.mutable_lease_started()->mutable_lease());
      } else {
        e.set_type(vmbus::control::v1::EVENT_TYPE_LEASE_ENDED);
        to_proto(l, *e.mutable_lease_ended()->mutable_lease());
      }
      bus->publish(std::move(e));
    });
  }
}

void DeviceRegistry::start() {
  if (leases_) leases_->start();
}

std::optional<LeaseRecord> DeviceRegistry::forget_rescinded(const vmbus::Guid& instance) {
  std::lock_guard lock(mutex_);
  const auto it = claims_.find(instance);
  if (it == claims_.end()) return std::nullopt;
  std::optional<LeaseRecord> lease;
  if (leases_) lease = leases_->remove_device(instance, LeaseEnd::device_rescinded);
  it->second.claim.keep();  // the device is gone: there is nothing to unbind
  claims_.erase(it);
  forget_cached(instance);
  log_info("claim of " + instance.str() + " dropped: the host rescinded the device");
  return lease;
}

vmbus::Guid DeviceRegistry::parse_instance(std::string_view device_id) {
  const auto guid = vmbus::Guid::parse(device_id);
  if (!guid) {
    throw ControlError(ControlCode::invalid_argument,
                       "'" + std::string(device_id) +
                           "' is not a device GUID (36 characters, as vmbusctl devices prints them)");
  }
  return *guid;
}

DeviceView DeviceRegistry::view_locked(const vmbus::DeviceInfo& info) const {
  DeviceView v;
  v.info = info;
  if (const auto it = claims_.find(info.instance); it != claims_.end()) {
    v.claimed = true;
    v.claimed_at = it->second.at;
    if (leases_) {
      v.lease_endpoint = leases_->endpoint(it->second.claim.device().uio_name);
      v.lease_root = leases_->root() / "sys";
      v.lease = leases_->active_lease(info.instance);
    }
  }
  return v;
}

DeviceListing DeviceRegistry::list() const {
  vmbus::DeviceScan scan;
  try {
    scan = vmbus::scan(root_);
  } catch (const vmbus::DeviceError& e) {
    throw ControlError(ControlCode::failed_precondition, e.what());
  }
  DeviceListing out;
  std::lock_guard lock(mutex_);
  for (const vmbus::DeviceInfo& d : scan.devices) out.devices.push_back(view_locked(d));
  for (const vmbus::DeviceProblem& p : scan.problems) out.problems.push_back(p.message);
  return out;
}

void DeviceRegistry::forget_cached(const vmbus::Guid& instance) const {
  std::lock_guard lock(cache_mutex_);
  cache_.erase(instance);
}

DeviceView DeviceRegistry::get(std::string_view device_id) const {
  const vmbus::Guid instance = parse_instance(device_id);
  struct stat st {};
  if (::stat(root_.device_dir(instance).c_str(), &st) != 0) {
    throw ControlError(ControlCode::not_found, "no VMBus device " + instance.str() + " under " +
                                                   root_.devices_dir().string() + " (vmbusctl devices lists them)");
  }
  const auto now = std::chrono::steady_clock::now();
  std::optional<vmbus::DeviceInfo> info;
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(instance);
        it != cache_.end() && it->second.directory == st.st_ino && now - it->second.read_at < kInfoTtl) {
      info = it->second.info;
    }
  }
  if (!info) {
    try {
      info = vmbus::describe_device(root_, instance);
    } catch (const vmbus::DeviceError& e) {
      // It went away between the two reads (rescinded), or a file is malformed.
      if (!std::filesystem::exists(root_.device_dir(instance))) {
        throw ControlError(ControlCode::not_found, "VMBus device " + instance.str() + " was just rescinded");
      }
      throw ControlError(ControlCode::failed_precondition, e.what());
    }
    std::lock_guard lock(cache_mutex_);
    cache_[instance] = CachedInfo{*info, st.st_ino, now};
  }
  std::lock_guard lock(mutex_);
  return view_locked(*info);
}

vmbus::Guid DeviceRegistry::resolve(std::string_view selector) const {
  if (const auto guid = vmbus::Guid::parse(selector)) {
    if (std::filesystem::exists(root_.device_dir(*guid))) return *guid;
  }
  const auto class_guid = vmbus::find_class_guid(selector);
  if (!class_guid) {
    throw ControlError(ControlCode::invalid_argument,
                       "'" + std::string(selector) + "' is neither a device GUID nor a class (" +
                           vmbus::known_class_names() + ", or a class GUID)");
  }
  std::vector<vmbus::DeviceInfo> of_class;
  try {
    of_class = vmbus::find_devices_of_class(root_, *class_guid);
  } catch (const vmbus::DeviceError& e) {
    throw ControlError(ControlCode::failed_precondition, e.what());
  }
  const bool is_guid = vmbus::Guid::parse(selector).has_value();
  if (of_class.empty()) {
    throw ControlError(ControlCode::not_found,
                       is_guid ? "no VMBus device or class " + std::string(selector) + " under " +
                                     root_.devices_dir().string() + " (vmbusctl devices lists them)"
                               : "no " + std::string(selector) + " device under " + root_.devices_dir().string());
  }
  if (of_class.size() > 1) {
    std::string which;
    for (const auto& d : of_class) which += (which.empty() ? "" : ", ") + d.instance.str();
    throw ControlError(ControlCode::failed_precondition, std::to_string(of_class.size()) + " " +
                                                             std::string(selector) +
                                                             " devices: name one by instance GUID (" + which + ")");
  }
  return of_class.front().instance;
}

DeviceView DeviceRegistry::claim(std::string_view selector) {
  const vmbus::Guid instance = resolve(selector);
  std::lock_guard lock(mutex_);
  if (claims_.contains(instance)) return view_locked(claims_.at(instance).claim.device());
  vmbus::Claim claim;
  try {
    claim = vmbus::claim_device(root_, instance, options_);
  } catch (const vmbus::DeviceError& e) {
    if (!std::filesystem::exists(root_.device_dir(instance))) {
      throw ControlError(ControlCode::not_found, "VMBus device " + instance.str() + " was rescinded during the claim");
    }
    throw ControlError(ControlCode::failed_precondition, "claiming " + instance.str() + ": " + e.what());
  }
  forget_cached(instance);  // bound to uio_hv_generic now
  const vmbus::DeviceInfo info = claim.device();
  if (leases_) leases_->add_device(info);  // throws ControlError; ~Claim then releases
  log_info("claimed " + info.class_name + " device " + instance.str() + " (" + info.uio_name + ", was " +
           (claim.record().previous_driver.empty() ? std::string("unbound") : claim.record().previous_driver) + ")");
  claims_.emplace(instance, Claimed{std::move(claim), SystemClock::now()});
  DeviceView view = view_locked(info);
  if (bus_) {
    vmbus::control::v1::Event e;
    e.set_type(vmbus::control::v1::EVENT_TYPE_DEVICE_CLAIMED);
    to_proto(view, *e.mutable_device_claimed()->mutable_device());
    bus_->publish(std::move(e));
  }
  return view;
}

DeviceView DeviceRegistry::release(std::string_view device_id, std::optional<LeaseRecord>* ended) {
  const vmbus::Guid instance = parse_instance(device_id);
  {
    std::lock_guard lock(mutex_);
    const auto it = claims_.find(instance);
    if (it == claims_.end()) {
      if (!std::filesystem::exists(root_.device_dir(instance))) {
        throw ControlError(ControlCode::not_found, "no VMBus device " + instance.str() + " (vmbusctl devices lists them)");
      }
      throw ControlError(ControlCode::failed_precondition,
                         "device " + instance.str() + " is not claimed by this vmbusd: nothing to release");
    }
    const std::string previous = it->second.claim.record().previous_driver;
    if (leases_) {
      std::optional<LeaseRecord> lease = leases_->remove_device(instance);
      if (ended != nullptr) *ended = std::move(lease);
    }
    forget_cached(instance);
    try {
      it->second.claim.release();
    } catch (const vmbus::DeviceError& e) {
      if (std::filesystem::exists(root_.device_dir(instance))) {
        throw ControlError(ControlCode::failed_precondition,
                           "releasing " + instance.str() + ": " + e.what() + " (it stays claimed)");
      }
      // Rescinded meanwhile: there is nothing left to give back.
    }
    claims_.erase(it);
    log_info("released device " + instance.str() + (previous.empty() ? "" : " back to " + previous));
  }
  if (!std::filesystem::exists(root_.device_dir(instance))) {
    throw ControlError(ControlCode::not_found, "device " + instance.str() + " was rescinded; its claim is gone");
  }
  DeviceView view = get(device_id);
  if (bus_) {
    vmbus::control::v1::Event e;
    e.set_type(vmbus::control::v1::EVENT_TYPE_DEVICE_RELEASED);
    e.mutable_device_released()->set_device_id(instance.str());
    e.mutable_device_released()->set_driver(view.info.driver);
    bus_->publish(std::move(e));
  }
  return view;
}

void DeviceRegistry::release_all() noexcept {
  if (leases_) leases_->stop();  // ends every lease first: nobody drives a device given back
  std::lock_guard lock(mutex_);
  for (auto& [instance, c] : claims_) {
    try {
      c.claim.release();
      log_info("released device " + instance.str() +
               (c.claim.record().previous_driver.empty() ? "" : " back to " + c.claim.record().previous_driver));
    } catch (const std::exception& e) {
      log_warn("releasing device " + instance.str() + ": " + e.what());
    }
  }
  claims_.clear();
}

}  // namespace vmbusd
