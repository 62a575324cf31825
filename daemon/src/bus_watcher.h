// File: daemon/src/bus_watcher.h
//
// The part of WatchEvents nobody calls vmbusd about: devices the host offers
// or rescinds, and rings that fill up. A thread looks every `period`:
//   - scans the sysfs devices directory and publishes DEVICE_OFFERED for a
//     new instance and DEVICE_RESCINDED for one that is gone (sysfs has no
//     inotify; a scan of a few directories is cheap). A rescinded device
//     vmbusd had claimed is forgotten: its lease ends with the host's
//     Rescinded, and there is no driver to give it back to.
//   - reads the rings of every leased device (ring_probe.h) and publishes
//     RING_FULL, at most once a second per channel and direction, when a
//     ring is nearly full (under 1/64 of its data free) or its writer set
//     pending_send_sz to wait for room: the guest's TX ring (the host is not
//     reading) or its RX ring (the guest is not reading).
//
// Usage:
//   BusWatcher watcher(registry, bus);
//   watcher.start();  ...  watcher.stop();
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "device_registry.h"
#include "event_bus.h"

namespace vmbusd {

class BusWatcher {
 public:
  BusWatcher(DeviceRegistry& registry, EventBus& bus, std::chrono::milliseconds period = std::chrono::milliseconds(200))
      : registry_(registry), bus_(bus), period_(period) {}
  ~BusWatcher() { stop(); }
  BusWatcher(const BusWatcher&) = delete;
  BusWatcher& operator=(const BusWatcher&) = delete;

  void start();  // the devices present now are known, not offered
  void stop() noexcept;

  // A ring with less than 1/kNearlyFullDivisor of its data free counts as full.
  static constexpr std::uint32_t kNearlyFullDivisor = 64;

 private:
  void run() noexcept;
  void look() noexcept;
  void check_rings(const DeviceView& device) noexcept;

  DeviceRegistry& registry_;
  EventBus& bus_;
  std::chrono::milliseconds period_;
  std::set<vmbus::Guid> known_;
  // (device, relid, direction) -> last RING_FULL published
  std::map<std::tuple<vmbus::Guid, std::uint32_t, int>, std::chrono::steady_clock::time_point> last_full_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace vmbusd
