// Simulator: what a write to the driver core's sysfs files does (the
// kernel's bind_store, unbind_store, new_id_store, remove_id_store,
// driver_override_store), with the kernel's refusals as BindError.
#include <algorithm>

#include "simulator_impl.h"

namespace hvsim {

Device& Simulator::Impl::by_sysfs_name(std::string_view name) {
  // bus_find_device_by_name: the directory name exactly.
  for (const auto& d : devices) {
    if (d->spec.instance.str() == name) return *d;
  }
  throw BindError("no device named \"" + std::string(name) +
                  "\" on the vmbus (ENODEV); names are the lowercase instance GUIDs in " + paths.devices.string());
}

void Simulator::Impl::bind_write(std::string_view driver, std::string_view device_name) {
  Device& d = by_sysfs_name(device_name);
  if (!d.driver.empty()) throw BindError(d.label() + " is already bound to " + d.driver + "; unbind it first (ENODEV)");
  if (!rules.matches(driver, d.spec.class_id, d.driver_override)) {
    throw BindError(std::string(driver) + " does not match " + d.label() + " (ENODEV): class " + d.spec.class_id.str() +
                    " is not in its new_id" + (rules.has_static_id(driver, d.spec.class_id) ? "" : " or id table") +
                    (d.driver_override.empty() ? "" : ", and driver_override is \"" + d.driver_override + "\"") +
                    "; write the class to " + std::string(driver) + "/new_id or " + std::string(driver) +
                    " to the device's driver_override");
  }
  probe(d, driver);
}

void Simulator::Impl::unbind_write(std::string_view driver, std::string_view device_name) {
  Device& d = by_sysfs_name(device_name);
  if (d.driver != driver) {
    throw BindError(d.label() + " is not bound to " + std::string(driver) +
                    (d.driver.empty() ? " (it has no driver)" : " (its driver is " + d.driver + ")") + " (ENODEV)");
  }
  remove(d);
}

void Simulator::Impl::new_id_write(std::string_view driver, const Guid& class_id) {
  rules.add_dynid(driver, class_id);
  log().info(std::string(driver) + ": new_id " + class_id.str());
  // driver_attach: every unbound device that now matches.
  for (const auto& d : devices) {
    if (d->driver.empty() && rules.matches(driver, d->spec.class_id, d->driver_override)) {
      try {
        probe(*d, driver);
      } catch (const std::exception& e) {
        log().warn(e.what());
      }
    }
  }
}

void Simulator::Impl::remove_id_write(std::string_view driver, const Guid& class_id) {
  rules.remove_dynid(driver, class_id);
}

void Simulator::Impl::driver_override_write(const Guid& instance, std::string value) {
  auto it = std::find_if(devices.begin(), devices.end(), [&](const auto& d) { return d->spec.instance == instance; });
  if (it == devices.end()) return;  // rescinded meanwhile
  Device& d = **it;
  const std::string shown = d.driver_override.empty() ? "(null)" : d.driver_override;
  if (value != shown) {
    // driver_set_override: at most PAGE_SIZE - 1 bytes; empty clears it.
    if (value.size() >= 4096) {
      tree->write_override(d);
      throw BindError("driver_override of " + d.label() + ": longer than 4095 bytes (EINVAL)");
    }
    d.driver_override = value;
    log().info(d.label() + ": driver_override " + (value.empty() ? "cleared" : "= " + value));
  }
  tree->write_override(d);  // the file shows the value as the kernel prints it
}

}  // namespace hvsim
