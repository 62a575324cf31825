// The Simulator's inside, shared by the files that implement it:
//   simulator.cc               lifecycle, the control thread, the public API
//   simulator_devices.cc       offer, rescind, probe (bind), remove (unbind), uio
//   simulator_sysfs_writes.cc  what writes to bind/unbind/new_id/driver_override do
//   control_commands.cc        the ctl requests
// Everything here runs with `mutex` held (the control thread holds it while
// dispatching events; public methods take it).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

#include "control_server.h"
#include "device.h"
#include "driver_binding.h"
#include "event_loop.h"
#include "hvsim/simulator.h"
#include "sysfs_tree.h"
#include "unique_fd.h"

namespace hvsim {

// drivers/hv/connection.c: next_gpadl_handle starts here; handles are
// atomic_inc_return'ed from it.
inline constexpr std::uint32_t kFirstGpadlHandle = 0xE1E10;

struct Simulator::Impl final : BindingTarget {
  explicit Impl(SimulatorOptions o) : options(std::move(o)), paths(options.root), initial(resolve_all(options.config)) {}

  SimulatorOptions options;
  TreePaths paths;
  std::vector<DeviceSpec> initial;

  mutable std::recursive_mutex mutex;
  HostPages pages;
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<SysfsTree> tree;
  std::unique_ptr<DriverFileWatcher> watcher;
  std::unique_ptr<ControlServer> control;
  BindingRules rules;
  std::vector<std::unique_ptr<Device>> devices;  // in offer order
  std::set<unsigned> uio_in_use;
  std::uint32_t gpadl = kFirstGpadlHandle;
  UniqueFd stop_event;
  UniqueFd timer;
  std::thread thread;
  std::atomic<bool> running{false};
  bool started = false;
  bool created_root = false;

  const Logger& log() const { return options.log; }

  // --- lifecycle ---
  void prepare_root();
  void start();
  void stop() noexcept;
  void run() noexcept;
  void refresh_all() noexcept;

  // --- devices (mutex held) ---
  Device* find(std::string_view name_or_instance);
  Device& get(std::string_view name_or_instance);
  Device& offer(DeviceSpec spec);
  void rescind(Device& d);
  void probe(Device& d, std::string_view driver);  // bind, no match check
  void remove(Device& d);                          // unbind
  void attach_uio(Device& d);
  void detach_uio(Device& d, bool rescinded) noexcept;
  DeviceStatus status_of(const Device& d) const;
  nlohmann::json handle_control(const nlohmann::json& request);

  // --- BindingTarget: writes to the sysfs files ---
  Device& by_sysfs_name(std::string_view name);
  void bind_write(std::string_view driver, std::string_view device_name) override;
  void unbind_write(std::string_view driver, std::string_view device_name) override;
  void new_id_write(std::string_view driver, const Guid& class_id) override;
  void remove_id_write(std::string_view driver, const Guid& class_id) override;
  void driver_override_write(const Guid& instance, std::string value) override;
};

}  // namespace hvsim
