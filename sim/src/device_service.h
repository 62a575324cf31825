// The host service thread of one open device: it waits for guest signals on
// the device's channels and lets each HostChannel drain. Started when a
// client opens the device (endpoint Hello), stopped when it closes, or on
// rescind/unbind/shutdown.
//
// Guest signals reach it two ways, as on Hyper-V:
//   - monitored channels: the guest sets bit monitor_id % 32 of
//     monitor_page.trigger_group[monitor_id / 32].pending (and the relid's
//     bit at int_page + 2048). This thread scans for them with atomic
//     fetch-and at the channel's latency from the monitor page
//     (latency[group][bit], 100 ns units; 0 = busy poll);
//   - channels without a monitor id: irqcontrol (hv_uio_irqcontrol calls
//     vmbus_setevent for them): the control thread calls signal_unmonitored(),
//     which counts a signal per channel and wakes this thread.
//
// Usage:
//   hvsim::DeviceService service(std::move(setup));
//   service.start();
//   service.signal_unmonitored();  // irqcontrol(1)
//   service.stop();
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hvsim/device_host.h"
#include "hvsim/host_channel.h"
#include "unique_fd.h"

namespace hvsim {

struct DeviceServiceSetup {
  std::string label;
  std::vector<HostChannelSetup> channels;  // host filled in by the service
  std::unique_ptr<DeviceHost> host;
  std::byte* int_page = nullptr;           // the whole 4 KiB page (map 1)
  std::byte* monitor_page = nullptr;       // struct hv_monitor_page (map 2)
  const Logger* log = nullptr;
};

class DeviceService {
 public:
  // Builds the channels (throws std::runtime_error if a ring is unusable).
  explicit DeviceService(DeviceServiceSetup setup);
  ~DeviceService();
  DeviceService(const DeviceService&) = delete;
  DeviceService& operator=(const DeviceService&) = delete;

  void start();
  void stop() noexcept;

  // hv_uio_irqcontrol(v): every channel's inbound interrupt_mask = !v; for
  // v != 0, a signal on each channel without a monitor id. Control thread.
  void irqcontrol(std::int32_t value) noexcept;

 private:
  void run() noexcept;
  // Takes the guest's signal bits / irqcontrol counts and serves the channels.
  void scan() noexcept;
  // Sleeps until the next scan: the shortest monitored latency, or a kick.
  void wait() noexcept;

  DeviceServiceSetup setup_;
  std::vector<std::unique_ptr<HostChannel>> channels_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> irq_signals_;  // per channel
  bool any_monitored_ = false;
  UniqueFd kick_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace hvsim
