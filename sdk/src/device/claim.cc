// claim_device / release_device: driving the driver core's bind, unbind,
// new_id and driver_override files, and waiting for their effects.
#include "vmbus/device/claim.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "vmbus/backing/device_backing.h"
#include "vmbus/device/discovery.h"

namespace vmbus {
namespace fs = std::filesystem;

namespace {


// Polls `missing` (what is not there yet, or std::nullopt when done) until
// done, else throws after `timeout` with its last answer. Polling, not
// inotify: kernfs does not report the directories the driver core creates,
// and on the real kernel the state is already there at the first look.
void wait_for(std::chrono::milliseconds timeout, const std::string& after,
              const std::function<std::optional<std::string>()>& missing) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::milliseconds pause{1};
  for (;;) {
    std::optional<std::string> what = missing();
    if (!what) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw DeviceError("timed out after " + std::to_string(timeout.count()) + " ms " + after +
                        ", waiting for " + *what);
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds{20});
  }
}

std::string current_driver(const fs::path& device_dir) {
  return sysfs::read_link_name(device_dir / "driver").value_or("");
}

std::string driver_or_none(const std::string& driver) { return driver.empty() ? "no driver" : driver; }

bool has_uio_device(const fs::path& device_dir) {
  std::error_code error;
  for (fs::directory_iterator it(device_dir / "uio", error); !error && it != fs::directory_iterator();
       it.increment(error)) {
    if (it->path().filename().string().starts_with("uio")) return true;
  }
  return false;
}

// Writes `text` to a driver-core file. An error is forgiven if `done` says
// the state wanted is there anyway (ENODEV from unbind of a device that went
// unbound meanwhile, EBUSY from bind of one new_id's driver_attach bound).
void write_step(const fs::path& file, const std::string& text, const std::function<bool()>& done,
                const std::string& hint) {
  const std::error_code error = sysfs::try_write_text(file, text);
  if (!error || done()) return;
  std::string message = sysfs::write_error_message(file, text, error);
  // The errors a store() returns when the driver core refuses (bind_store,
  // unbind_store); the others (EACCES, ENOENT...) already say what is wrong.
  const bool refused = error == std::errc::no_such_device || error == std::errc::device_or_resource_busy ||
                       error == std::errc::invalid_argument;
  if (!hint.empty() && refused) message += " (" + hint + ")";
  throw DeviceError(message);
}

// Waits for the whole uio device: the driver link, uio/uioN, its maps and
// the device node (what describe_device checks).
void wait_until_bound(const SysfsRoot& root, const fs::path& dir, const Guid& instance,
                      const ClaimOptions& options, const std::string& after) {
  wait_for(options.timeout, after, [&]() -> std::optional<std::string> {
    const std::string driver = current_driver(dir);
    if (driver != sysfs::kUioDriver) {
      return (dir / "driver").string() + " to point at uio_hv_generic (it shows " + driver_or_none(driver) +
             ")";
    }
    if (!has_uio_device(dir)) return (dir / "uio" / "uioN").string() + " to appear";
    try {
      (void)describe_device(root, instance);
    } catch (const DeviceError& error) {
      return std::string(error.what());
    }
    return std::nullopt;
  });
}

void bind_to_uio(const SysfsRoot& root, const fs::path& dir, ClaimRecord& record,
                 const ClaimOptions& options) {
  const fs::path uio_driver = root.driver_dir(sysfs::kUioDriver);
  const std::string instance = record.instance.str();

  // 1. Make uio_hv_generic match the device. Each change is recorded as soon
  //    as it is made, so that a failure later on undoes it.
  const fs::path override_file = dir / "driver_override";
  if (sysfs::exists_no_follow(override_file)) {
    std::string previous = sysfs::read_text(override_file);
    if (previous == "(null)") previous.clear();  // driver_override_show of NULL
    sysfs::write_text(override_file, sysfs::kUioDriver);
    record.previous_driver_override = std::move(previous);
  } else {
    const std::error_code error = sysfs::try_write_text(uio_driver / "new_id", record.class_id.str());
    if (!error) {
      record.added_new_id = true;
    } else if (error != std::errc::file_exists) {  // new_id_store: -EEXIST if already there
      throw DeviceError(sysfs::write_error_message(uio_driver / "new_id", record.class_id.str(), error));
    }
  }

  // 2. Take it from its driver (unbind_store: -ENODEV unless bound to that driver).
  if (!record.previous_driver.empty()) {
    const std::string& old = record.previous_driver;
    write_step(
        root.driver_dir(old) / "unbind", instance, [&] { return current_driver(dir) != old; },
        "the device is not bound to " + old);
    wait_for(options.timeout, "after unbinding " + instance + " from " + old,
             [&]() -> std::optional<std::string> {
               if (current_driver(dir) != old) return std::nullopt;
               return (dir / "driver").string() + " to stop pointing at " + old;
             });
  }

  // 3. Bind, unless new_id's driver_attach already did (vmbus_add_dynid).
  if (current_driver(dir) != sysfs::kUioDriver) {
    write_step(
        uio_driver / "bind", instance, [&] { return current_driver(dir) == sysfs::kUioDriver; },
        "uio_hv_generic does not match the device, or it is bound to another driver");
  }

  // 4. Wait for the whole uio device.
  wait_until_bound(root, dir, record.instance, options, "after binding " + instance + " to uio_hv_generic");
}

}  // namespace

Claim claim_device(const SysfsRoot& root, const Guid& instance, const ClaimOptions& options) {
  const fs::path dir = root.device_dir(instance);
  if (!sysfs::exists_no_follow(dir)) {
    throw DeviceError("no VMBus device " + instance.str() + " under " + root.devices_dir().string());
  }
  ClaimRecord record;
  record.instance = instance;
  record.class_id = sysfs::read_guid(dir / "class_id");
  record.previous_driver = current_driver(dir);

  if (record.previous_driver != sysfs::kUioDriver) {
    const fs::path uio_driver = root.driver_dir(sysfs::kUioDriver);
    if (!sysfs::exists_no_follow(uio_driver)) {
      throw DeviceError(uio_driver.string() + ": missing; load the driver first: modprobe uio_hv_generic");
    }
    record.owns_binding = true;
    try {
      bind_to_uio(root, dir, record, options);
    } catch (const DeviceError& error) {
      std::string message = std::string("cannot claim ") + instance.str() + ": " + error.what();
      try {
        release_device(root, record, options);
      } catch (const DeviceError& undo) {
        message += "; undoing the claim failed too: " + std::string(undo.what());
      }
      throw DeviceError(message);
    }
  } else {
    // Already uio_hv_generic's: nothing to undo, but hvsim may still be making it.
    wait_until_bound(root, dir, instance, options,
                     "for " + instance.str() + ", already bound to uio_hv_generic");
  }
  DeviceInfo device = describe_device(root, instance);
  return Claim(root, std::move(record), std::move(device), options);
}

void release_device(const SysfsRoot& root, const ClaimRecord& record, const ClaimOptions& options) {
  if (!record.owns_binding) return;
  const fs::path dir = root.device_dir(record.instance);
  if (!sysfs::exists_no_follow(dir)) return;  // rescinded: vmbus_device_unregister took everything
  const std::string instance = record.instance.str();
  std::vector<std::string> failures;
  const auto attempt = [&](const std::function<void()>& step) {
    try {
      step();
    } catch (const DeviceError& error) {
      failures.emplace_back(error.what());
    }
  };

  // 1. Unbind from uio_hv_generic: uio_unregister_device removes uio/uioN.
  attempt([&] {
    if (current_driver(dir) != sysfs::kUioDriver) return;
    write_step(
        root.driver_dir(sysfs::kUioDriver) / "unbind", instance, [&] { return current_driver(dir) != sysfs::kUioDriver; },
        "");
    wait_for(options.timeout, "after unbinding " + instance + " from uio_hv_generic",
             [&]() -> std::optional<std::string> {
               if (current_driver(dir) == sysfs::kUioDriver) return (dir / "driver").string() + " to go";
               if (has_uio_device(dir)) return (dir / "uio" / "uioN").string() + " to go";
               return std::nullopt;
             });
  });
  // 2. driver_override back; "\n" clears it (driver_set_override: empty or
  //    a lone newline sets NULL). Before 4, or the old driver cannot match.
  attempt([&] {
    if (!record.previous_driver_override) return;
    const std::string& value = *record.previous_driver_override;
    sysfs::write_text(dir / "driver_override", value.empty() ? std::string("\n") : value);
  });
  // 3. Remove the id the claim added (vmbus_drv.c: remove_id_store; -ENODEV if gone).
  attempt([&] {
    if (!record.added_new_id) return;
    const fs::path remove_id = root.driver_dir(sysfs::kUioDriver) / "remove_id";
    if (!sysfs::exists_no_follow(remove_id)) return;
    const std::error_code error = sysfs::try_write_text(remove_id, record.class_id.str());
    if (error && error != std::errc::no_such_device) {
      throw DeviceError(sysfs::write_error_message(remove_id, record.class_id.str(), error));
    }
  });
  // 4. Back to the previous driver, unless something else took the device.
  attempt([&] {
    const std::string& old = record.previous_driver;
    if (old.empty() || old == sysfs::kUioDriver || !current_driver(dir).empty()) return;
    const fs::path bind = root.driver_dir(old) / "bind";
    try {
      write_step(
          bind, instance, [&] { return current_driver(dir) == old; }, old + " does not match the device");
      wait_for(options.timeout, "after binding " + instance + " back to " + old,
               [&]() -> std::optional<std::string> {
                 const std::string driver = current_driver(dir);
                 if (driver == old) return std::nullopt;
                 return (dir / "driver").string() + " to point at " + old + " (it shows " +
                        driver_or_none(driver) + ")";
               });
    } catch (const DeviceError& error) {
      throw DeviceError(std::string(error.what()) +
                        "; the device is left without a driver: give it back with echo -n " + instance +
                        " > " + bind.string());
    }
  });

  if (!failures.empty()) {
    std::string message = "releasing " + instance + " did not fully restore it: ";
    for (std::size_t i = 0; i < failures.size(); ++i) message += (i == 0 ? "" : "; ") + failures[i];
    throw DeviceError(message);
  }
}

Claim::Claim(SysfsRoot root, ClaimRecord record, DeviceInfo device, ClaimOptions options)
    : root_(std::move(root)),
      record_(std::move(record)),
      device_(std::move(device)),
      options_(options),
      active_(record_.owns_binding) {}

Claim::Claim(Claim&& other) noexcept
    : root_(std::move(other.root_)),
      record_(std::move(other.record_)),
      device_(std::move(other.device_)),
      options_(other.options_),
      active_(std::exchange(other.active_, false)) {}

Claim& Claim::operator=(Claim&& other) noexcept {
  if (this != &other) {
    release_noexcept();
    root_ = std::move(other.root_);
    record_ = std::move(other.record_);
    device_ = std::move(other.device_);
    options_ = other.options_;
    active_ = std::exchange(other.active_, false);
  }
  return *this;
}

Claim::~Claim() { release_noexcept(); }

void Claim::release() {
  if (!active_) return;
  active_ = false;
  release_device(root_, record_, options_);
}

void Claim::release_noexcept() noexcept {
  try {
    release();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "vmbus: %s\n", error.what());
  }
}

}  // namespace vmbus
