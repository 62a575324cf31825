// Driver binding as the kernel's driver core does it, driven by writes to the
// simulated sysfs files:
//   drivers/<driver>/bind       <instance>  bind_store: bind an unbound device
//   drivers/<driver>/unbind     <instance>  unbind_store: release it
//   drivers/<driver>/new_id     <class>     new_id_store: add a dynamic id, then
//                                           driver_attach (bind every unbound match)
//   drivers/<driver>/remove_id  <class>     remove_id_store
//   devices/<instance>/driver_override      driver_override_store
// A driver matches a device as hv_vmbus_get_id decides: with driver_override
// set, only the driver it names, and that one always; otherwise by the
// driver's dynamic ids (new_id), then its static id table (hv_netvsc: the
// NIC; hv_utils: KVP, heartbeat, shutdown, timesync, VSS; uio_hv_generic:
// none, "only dynamic id's").
//
// DriverFileWatcher sees the writes with inotify (IN_CLOSE_WRITE on the
// driver directories and on each device directory), reads what was written,
// and calls the BindingTarget (the Simulator), which acts and may refuse with
// BindError; the refusal is logged, as the kernel's error would have been
// returned to write(2). Writes are handled asynchronously: a script must wait
// for the result (for example for uio/uioN to appear), unlike with sysfs.
//
// Usage:
//   hvsim::BindingRules rules;
//   if (rules.matches("uio_hv_generic", class_id, override)) ...
//   hvsim::DriverFileWatcher watcher(paths, target, log);
//   loop.add(watcher.fd(), EPOLLIN, [&](std::uint32_t) { watcher.on_readable(); });
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include "hvsim/guid.h"
#include "hvsim/log.h"
#include "hvsim/tree_paths.h"
#include "unique_fd.h"

namespace hvsim {

class BindError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class BindingRules {
 public:
  // hv_vmbus_get_id: whether `driver` may bind a device of `class_id` with `driver_override`.
  bool matches(std::string_view driver, const Guid& class_id, std::string_view driver_override) const;
  // new_id_store / remove_id_store; BindError on a duplicate or unknown id.
  void add_dynid(std::string_view driver, const Guid& class_id);
  void remove_dynid(std::string_view driver, const Guid& class_id);
  bool has_static_id(std::string_view driver, const Guid& class_id) const;

 private:
  std::map<std::string, std::set<Guid>, std::less<>> dynids_;
};

// What a write does; implemented by the Simulator. Each may throw BindError.
class BindingTarget {
 public:
  virtual ~BindingTarget() = default;
  virtual void bind_write(std::string_view driver, std::string_view device_name) = 0;
  virtual void unbind_write(std::string_view driver, std::string_view device_name) = 0;
  virtual void new_id_write(std::string_view driver, const Guid& class_id) = 0;
  virtual void remove_id_write(std::string_view driver, const Guid& class_id) = 0;
  // `value` is what was written, one trailing newline removed; "" clears it.
  virtual void driver_override_write(const Guid& instance, std::string value) = 0;
};

// sysfs_streq-style: the written text without one trailing newline.
std::string strip_newline(std::string text);
// guid_parse: the first 36 characters in 8-4-4-4-12 form (no braces).
std::optional<Guid> parse_written_guid(std::string_view text);

class DriverFileWatcher {
 public:
  DriverFileWatcher(const TreePaths& paths, BindingTarget& target, const Logger& log);  // throws
  int fd() const noexcept { return inotify_.get(); }
  void watch_driver(std::string_view driver);
  // Returns the watch to pass to unwatch() when the device goes.
  int watch_device(const Guid& instance);
  void unwatch(int watch) noexcept;
  // Reads the pending events and acts on each write.
  void on_readable();

 private:
  void on_driver_write(const std::string& driver, const std::string& file);
  void on_device_write(const Guid& instance, const std::string& file);

  const TreePaths& paths_;
  BindingTarget& target_;
  const Logger& log_;
  UniqueFd inotify_;
  std::map<int, std::string> drivers_;  // watch -> driver name
  std::map<int, Guid> devices_;         // watch -> device instance
};

}  // namespace hvsim
