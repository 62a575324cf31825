// BindingRules and DriverFileWatcher: the driver core's sysfs files.
#include "driver_binding.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

#include "fs_util.h"
#include "hvsim/device_class.h"

namespace hvsim {

bool BindingRules::has_static_id(std::string_view driver, const Guid& class_id) const {
  // uio_hv_generic has no id table; the others list their classes.
  if (driver == kDriverUio) return false;
  const DeviceClass& c = class_of(class_id);
  return !c.kernel_driver.empty() && c.kernel_driver == driver;
}

bool BindingRules::matches(std::string_view driver, const Guid& class_id, std::string_view driver_override) const {
  // "When driver_override is set, only bind to the matching driver".
  if (!driver_override.empty() && driver_override != driver) return false;
  // Dynamic ids first, then the static table.
  auto it = dynids_.find(driver);
  if (it != dynids_.end() && it->second.count(class_id)) return true;
  if (has_static_id(driver, class_id)) return true;
  // "driver_override will always match, send a dummy id".
  return !driver_override.empty();
}

void BindingRules::add_dynid(std::string_view driver, const Guid& class_id) {
  auto& ids = dynids_[std::string(driver)];
  if (!ids.insert(class_id).second) throw BindError(class_id.str() + " is already a dynamic id of " + std::string(driver) + " (EEXIST)");
}

void BindingRules::remove_dynid(std::string_view driver, const Guid& class_id) {
  auto it = dynids_.find(driver);
  if (it == dynids_.end() || it->second.erase(class_id) == 0) {
    throw BindError(class_id.str() + " is not a dynamic id of " + std::string(driver) + " (ENODEV)");
  }
}

std::string strip_newline(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::optional<Guid> parse_written_guid(std::string_view text) {
  // uuid_is_valid looks at exactly 36 characters; what follows is ignored.
  if (text.size() < 36) return std::nullopt;
  if (text.size() > 36 && text[36] != '\n') return std::nullopt;  // stricter: no trailing garbage
  return Guid::parse(text.substr(0, 36));
}

DriverFileWatcher::DriverFileWatcher(const TreePaths& paths, BindingTarget& target, const Logger& log)
    : paths_(paths), target_(target), log_(log), inotify_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (!inotify_) throw std::runtime_error("inotify_init1: " + fs::errno_text(errno));
}

void DriverFileWatcher::watch_driver(std::string_view driver) {
  const auto dir = paths_.driver_dir(driver);
  const int wd = ::inotify_add_watch(inotify_.get(), dir.c_str(), IN_CLOSE_WRITE);
  if (wd < 0) fs::throw_errno("cannot watch", dir, errno);
  drivers_[wd] = std::string(driver);
}

int DriverFileWatcher::watch_device(const Guid& instance) {
  const auto dir = paths_.device_dir(instance);
  const int wd = ::inotify_add_watch(inotify_.get(), dir.c_str(), IN_CLOSE_WRITE);
  if (wd < 0) fs::throw_errno("cannot watch", dir, errno);
  devices_[wd] = instance;
  return wd;
}

void DriverFileWatcher::unwatch(int watch) noexcept {
  if (watch < 0) return;
  ::inotify_rm_watch(inotify_.get(), watch);
  devices_.erase(watch);
}

void DriverFileWatcher::on_readable() {
  alignas(inotify_event) char buffer[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(inotify_.get(), buffer, sizeof buffer);
    if (n <= 0) return;  // EAGAIN: all read
    for (ssize_t at = 0; at < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if ((ev->mask & IN_Q_OVERFLOW) != 0) {
        log_.warn("too many sysfs writes at once: some bind/unbind/new_id/driver_override writes were missed; write them again");
        continue;
      }
      if ((ev->mask & IN_CLOSE_WRITE) == 0 || ev->len == 0) continue;
      const std::string file = ev->name;
      if (auto d = drivers_.find(ev->wd); d != drivers_.end()) {
        on_driver_write(d->second, file);
      } else if (auto v = devices_.find(ev->wd); v != devices_.end()) {
        on_device_write(v->second, file);
      }
    }
  }
}

void DriverFileWatcher::on_driver_write(const std::string& driver, const std::string& file) {
  if (file != "bind" && file != "unbind" && file != "new_id" && file != "remove_id") return;
  const auto path = paths_.driver_dir(driver) / file;
  const auto text = fs::read_small(path, 4096);
  if (!text || text->empty()) return;  // our own emptying, or nothing written
  try {
    fs::replace(path, "", 0200, paths_.staging);  // write-only: empty it for the next writer
  } catch (const std::exception& e) {
    log_.warn(e.what());
  }
  try {
    if (file == "bind" || file == "unbind") {
      const std::string name = strip_newline(*text);
      if (file == "bind") target_.bind_write(driver, name);
      else target_.unbind_write(driver, name);
    } else {
      const auto guid = parse_written_guid(*text);
      if (!guid) throw BindError("\"" + strip_newline(*text) + "\" is not a class GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, no braces)");
      if (file == "new_id") target_.new_id_write(driver, *guid);
      else target_.remove_id_write(driver, *guid);
    }
  } catch (const std::exception& e) {
    log_.warn("write to " + path.string() + " refused: " + e.what());
  }
}

void DriverFileWatcher::on_device_write(const Guid& instance, const std::string& file) {
  if (file != "driver_override") return;
  const auto path = paths_.device_dir(instance) / file;
  const auto text = fs::read_small(path, 8192);
  // Nothing written (opened and closed): the kernel's store is not called.
  if (!text || text->empty()) return;
  try {
    target_.driver_override_write(instance, strip_newline(*text));
  } catch (const std::exception& e) {
    log_.warn("write to " + path.string() + " refused: " + e.what());
  }
}

}  // namespace hvsim
