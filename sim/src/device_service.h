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
//     vmbus_setevent for them): the control thread calls irqcontrol(),
//     which counts a signal per channel and wakes this thread.
//
// Subchannels join while it runs: add_channel() (control thread) builds the
// HostChannel, puts it in the next slot of a fixed array of kMaxChannels and
// publishes the count with release ordering; this thread loads the count
// (acquire) on every pass, calls open() on the channels it has not seen
// yet (DeviceHost::on_open) and serves them from then on. Channels are only
// removed with the whole service. The device host asks for subchannels
// through HostServices (hvsim/device_host.h), which this class implements:
// it counts what was granted and hands the request to `request_subchannels`,
// which must not block (the Simulator queues it for its control thread).
//
// Usage:
//   hvsim::DeviceService service(std::move(setup));
//   service.start();
//   service.irqcontrol(1);
//   service.add_channel(subchannel_setup);  // a subchannel's offer completed
//   service.stop();
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
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
  std::vector<HostChannelSetup> channels;  // at start (the primary); host and log filled in by the service
  std::unique_ptr<DeviceHost> host;
  std::byte* int_page = nullptr;           // the whole 4 KiB page (map 1)
  std::byte* monitor_page = nullptr;       // struct hv_monitor_page (map 2)
  const Logger* log = nullptr;
  std::uint32_t subchannels_granted = 0;   // DeviceSpec::subchannels
  // Subchannels first .. first + count - 1 are to be offered. Called on the
  // host service thread; must not block.
  std::function<void(std::uint32_t first, std::uint32_t count)> request_subchannels;
};

class DeviceService final : private HostServices {
 public:
  // The primary and up to 63 subchannels.
  static constexpr std::uint32_t kMaxChannels = 64;

  // Builds the channels (throws std::runtime_error if a ring is unusable).
  explicit DeviceService(DeviceServiceSetup setup);
  ~DeviceService() override;
  DeviceService(const DeviceService&) = delete;
  DeviceService& operator=(const DeviceService&) = delete;

  void start();
  void stop() noexcept;

  // A subchannel whose offer completed (its rings are initialized): served
  // from the next pass on. Control thread. Throws std::runtime_error if its
  // rings are unusable or all kMaxChannels slots are taken.
  void add_channel(HostChannelSetup channel);
  std::uint32_t channel_count() const noexcept { return count_.load(std::memory_order_acquire); }

  // hv_uio_irqcontrol(v): every channel's inbound interrupt_mask = !v; for
  // v != 0, a signal on each channel without a monitor id. Control thread.
  void irqcontrol(std::int32_t value) noexcept;

 private:
  // HostServices, for the device host (host service thread).
  std::uint32_t offer_subchannels(std::uint32_t count) noexcept override;
  std::uint32_t subchannels_granted() const noexcept override { return setup_.subchannels_granted; }
  std::uint32_t subchannels_offered() const noexcept override { return offered_; }

  void run() noexcept;
  // Opens the channels added since the last pass.
  void open_new_channels() noexcept;
  // Takes the guest's signal bits / irqcontrol counts and serves the channels.
  void scan() noexcept;
  // Sleeps until the next scan: the shortest monitored latency, or a kick.
  void wait() noexcept;
  void kick() noexcept;

  DeviceServiceSetup setup_;
  std::array<std::unique_ptr<HostChannel>, kMaxChannels> channels_;
  std::atomic<std::uint32_t> count_{0};                           // slots [0, count_) are published
  std::array<std::atomic<std::uint64_t>, kMaxChannels> irq_signals_{};  // per channel
  std::uint32_t opened_ = 0;    // host thread: channels whose open() ran
  std::uint32_t offered_ = 0;   // host thread: subchannels requested in this open
  UniqueFd kick_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace hvsim
