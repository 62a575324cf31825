// Test support: a fake of the kernel's driver core for VMBus, just enough to
// answer claim and release in a FakeSysfs tree. NOT hvsim, but like hvsim it
// watches drivers/*/{new_id,remove_id,unbind,bind} with inotify, handles the
// writes in the order they were made, and acts a little late (the kernel
// acts inside the write). For each it makes the change the kernel would:
//   - bind_store: only an unbound device the driver matches is bound;
//     matching is hv_vmbus_get_id: driver_override if set, else the static
//     ids (hv_netvsc: NIC; hv_utils: KVP) or the ids added with new_id;
//   - uio_hv_generic's probe: uio/uioN with its maps, and DIR/dev/uioN;
//   - new_id_store -> vmbus_add_dynid -> driver_attach: binds unbound
//     devices that now match;
//   - unbind_store: only if bound to that driver; uio/uioN goes with it.
// Every write it acts on is logged, for tests to compare with the sequence
// the kernel documentation prescribes.
//
// Usage:
//   FakeSysfs sys; sys.add_device(...);
//   FakeDriverCore core(sys);                 // starts watching
//   vmbus::Claim c = vmbus::claim_device(sys.root(), guid);
//   EXPECT_EQ(core.settled_operations(), (std::vector<std::string>{"unbind hv_netvsc <guid>", ...}));
#pragma once

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "fake_sysfs.h"

namespace vmbus::test {

class FakeDriverCore {
 public:
  struct Options {
    std::chrono::milliseconds delay{10};  // how late each bind/unbind takes effect
    bool refuse_uio_bind = false;         // uio_hv_generic's probe "fails": nothing appears
    bool create_node = true;              // false: uio/uioN appears but DIR/dev/uioN never does
  };

  explicit FakeDriverCore(FakeSysfs& sys) : FakeDriverCore(sys, Options{}) {}
  FakeDriverCore(FakeSysfs& sys, Options options)
      : sys_(sys),
        options_(options),
        inotify_(watch_drivers(sys, drivers_by_watch_)),
        thread_([this](std::stop_token stop) { run(stop); }) {}
  FakeDriverCore(const FakeDriverCore&) = delete;
  FakeDriverCore& operator=(const FakeDriverCore&) = delete;
  ~FakeDriverCore() {
    thread_.request_stop();
    thread_.join();
    ::close(inotify_);
  }

  std::vector<std::string> operations() const {
    std::lock_guard lock(mutex_);
    return operations_;
  }

  // The operations once every write made so far has been acted on: waits
  // for a whole pass that began after this call. The kernel needs no such
  // thing; the fake, like hvsim, acts late.
  std::vector<std::string> settled_operations() const {
    const std::uint64_t start = passes_.load();
    while (passes_.load() < start + 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return operations();
  }

 private:
  // IN_CLOSE_WRITE on every driver directory, set up before any test write.
  static int watch_drivers(FakeSysfs& sys, std::map<int, std::string>& drivers_by_watch) {
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) throw std::runtime_error("inotify_init1 failed");
    for (const auto& entry : fs::directory_iterator(sys.root().drivers_dir())) {
      const int watch = ::inotify_add_watch(fd, entry.path().c_str(), IN_CLOSE_WRITE);
      if (watch < 0) throw std::runtime_error("inotify_add_watch failed on " + entry.path().string());
      drivers_by_watch[watch] = entry.path().filename().string();
    }
    return fd;
  }

  void run(const std::stop_token& stop) {
    alignas(inotify_event) char buffer[4096];
    while (!stop.stop_requested()) {
      pollfd p{inotify_, POLLIN, 0};
      if (::poll(&p, 1, 1) > 0) {
        const ssize_t n = ::read(inotify_, buffer, sizeof buffer);
        for (ssize_t at = 0; n > 0 && at < n;) {
          const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
          at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
          const auto driver = drivers_by_watch_.find(event->wd);
          if (event->len == 0 || driver == drivers_by_watch_.end()) continue;
          try {
            handle(driver->second, event->name);
          } catch (const std::exception& error) {
            log(std::string("fake driver core error: ") + error.what());
          }
        }
      }
      ++passes_;
    }
  }

  void log(std::string operation) {
    std::lock_guard lock(mutex_);
    operations_.push_back(std::move(operation));
  }

  // A write's text, then the file is emptied for the next one.
  std::string take(const fs::path& file) {
    std::string text = read_file(file);
    if (text.empty()) return text;
    write_file(file, "");
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }

  static std::string trimmed_file(const fs::path& file) {
    std::string text = read_file(file);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }

  std::string driver_of(const fs::path& device) const {
    std::error_code error;
    const fs::path target = fs::read_symlink(device / "driver", error);
    return error ? std::string() : target.filename().string();
  }

  // hv_vmbus_get_id.
  bool matches(const std::string& driver, const fs::path& device) const {
    std::string override_name = trimmed_file(device / "driver_override");
    if (override_name == "(null)") override_name.clear();
    if (!override_name.empty()) return override_name == driver;
    std::string class_id = trimmed_file(device / "class_id");
    if (class_id.size() > 2) class_id = class_id.substr(1, class_id.size() - 2);
    const std::map<std::string, std::string> static_ids = {{"hv_netvsc", kNicClass}, {"hv_utils", kKvpClass}};
    const auto it = static_ids.find(driver);
    if (it != static_ids.end() && it->second == class_id) return true;
    const auto dyn = dynamic_ids_.find(driver);
    return dyn != dynamic_ids_.end() && dyn->second.count(class_id) != 0;
  }

  void bind(const std::string& driver, const fs::path& device, const std::string& how) {
    std::this_thread::sleep_for(options_.delay);
    if (driver == "uio_hv_generic") {
      if (options_.refuse_uio_bind) {
        log("refused " + how + " " + driver + " " + device.filename().string());
        return;
      }
      int n = 0;
      while (fs::exists(sys_.uio_node(n)) || used_uio_.count(n) != 0) ++n;
      used_uio_.insert(n);
      uio_of_[device.filename().string()] = n;
      const bool nic = trimmed_file(device / "class_id") == std::string("{") + kNicClass + "}";
      sys_.add_uio(device, n, nic ? nic_maps() : kvp_maps(), options_.create_node);
    }
    sys_.set_driver(device, driver);
    log(how + " " + driver + " " + device.filename().string());
  }

  void unbind(const std::string& driver, const fs::path& device) {
    std::this_thread::sleep_for(options_.delay);
    if (driver == "uio_hv_generic" && fs::exists(device / "uio")) {
      sys_.remove_uio(device);
      used_uio_.erase(uio_of_[device.filename().string()]);
    }
    sys_.set_driver(device, "");
    log("unbind " + driver + " " + device.filename().string());
  }

  // One write to drivers/<driver>/<file>, as its store() would take it.
  void handle(const std::string& driver, const std::string& file) {
    const std::string text = take(sys_.driver_dir(driver) / file);
    if (text.empty()) return;  // our own truncation, or not a driver-core file
    if (file == "new_id") {
      dynamic_ids_[driver].insert(text);
      log("new_id " + driver + " " + text);
      for (const auto& entry : fs::directory_iterator(sys_.devices_dir())) {  // driver_attach
        if (driver_of(entry.path()).empty() && matches(driver, entry.path()))
          bind(driver, entry.path(), "attach");
      }
    } else if (file == "remove_id") {
      dynamic_ids_[driver].erase(text);
      log("remove_id " + driver + " " + text);
    } else if (file == "unbind") {
      const fs::path device = sys_.devices_dir() / text;
      if (driver_of(device) == driver) {
        unbind(driver, device);
      } else {
        log("refused unbind " + driver + " " + text);
      }
    } else if (file == "bind") {
      const fs::path device = sys_.devices_dir() / text;
      if (fs::exists(device) && driver_of(device).empty() && matches(driver, device)) {
        bind(driver, device, "bind");
      } else {
        log("refused bind " + driver + " " + text);
      }
    }
  }

  FakeSysfs& sys_;
  Options options_;
  std::map<std::string, std::set<std::string>> dynamic_ids_;  // the fake's thread only
  std::set<int> used_uio_;
  std::map<std::string, int> uio_of_;
  mutable std::mutex mutex_;
  std::vector<std::string> operations_;
  std::atomic<std::uint64_t> passes_{0};
  std::map<int, std::string> drivers_by_watch_;  // written before the thread starts
  int inotify_;
  std::jthread thread_;  // last: starts after everything it uses exists
};

}  // namespace vmbus::test
