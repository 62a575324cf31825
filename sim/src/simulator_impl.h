// The Simulator's inside, shared by the files that implement it:
//   simulator.cc               lifecycle, the control thread, the public API
//   simulator_devices.cc       offer, rescind, probe (bind), remove (unbind), uio
//   simulator_subchannels.cc   subchannel offers (asked by device hosts), their
//                              ring files, and their rescind at the last close
//   simulator_sysfs_writes.cc  what writes to bind/unbind/new_id/driver_override do
//   control_commands.cc        the ctl requests
// Everything here runs with `mutex` held (the control thread holds it while
// dispatching events; public methods take it).
#pragma once

#include <atomic>
#include <chrono>
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
#include "subchannel_requests.h"
#include "sysfs_tree.h"
#include "unique_fd.h"

namespace hvsim {

// drivers/hv/connection.c: next_gpadl_handle starts here; handles are
// atomic_inc_return'ed from it.
inline constexpr std::uint32_t kFirstGpadlHandle = 0xE1E10;

// A subchannel offered whose ring is to be opened (hv_uio_new_channel ->
// vmbus_open) at `due`, if the open that asked for it is still current.
struct PendingRing {
  Guid instance;
  std::uint64_t open_id = 0;
  std::uint32_t relid = 0;
  std::chrono::steady_clock::time_point due;
};

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
  std::vector<DeviceSpec> rescinded;             // what the host rescinded, oldest first (for reoffer)
  std::set<unsigned> uio_in_use;
  std::uint32_t gpadl = kFirstGpadlHandle;
  UniqueFd stop_event;
  UniqueFd timer;
  std::unique_ptr<SubchannelRequests> subchannel_requests;  // from host service threads
  UniqueFd ring_timer;                                      // the earliest PendingRing
  std::vector<PendingRing> pending_rings;
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
  // simulator_runtime.cc: offer a rescinded device again; arm a fault.
  Device& reoffer(std::string_view name_or_instance);
  void inject_fault(Device& d, const FaultRequest& fault);
  void probe(Device& d, std::string_view driver);  // bind, no match check
  void remove(Device& d);                          // unbind
  void attach_uio(Device& d);
  void detach_uio(Device& d, bool by_rescind) noexcept;
  DeviceStatus status_of(const Device& d) const;
  // Every device's spec and every offered subchannel: what resolve() must
  // keep a new device clear of.
  std::vector<DeviceSpec> offered_specs() const;
  std::vector<OfferedSubchannel> offered_subchannels() const;
  // resolve() against all of that, then offer().
  Device& offer_config(const DeviceConfig& config);
  // What a channel's host side gets (rings, counters, label).
  HostChannelSetup channel_setup(const Device& d, ChannelRecord& c, std::span<std::byte> rings) const;

  // --- subchannels (mutex held; simulator_subchannels.cc) ---
  void start_subchannels();                // the request queue and the ring timer, in the loop
  void on_subchannel_requests();           // the queue is readable
  void offer_subchannel(Device& d, std::uint32_t subchannel_id, std::uint64_t open_id);
  void on_ring_timer();                    // open the rings that are due
  void open_subchannel_ring(Device& d, ChannelRecord& c) noexcept;
  void rescind_subchannels(Device& d) noexcept;  // the last close, unbind, rescind
  void arm_ring_timer() noexcept;
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
