// Device: open (map everything, sizes from sysfs), channels, subchannels,
// interrupts and rescind. See vmbus/device/device.h.
#include "vmbus/device/device.h"

#include <poll.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "../backing/backing_errors.h"
#include "file_watch.h"
#include "subchannel_ring.h"
#include "vmbus/channel/counters_table.h"
#include "uio_map_layout.h"
#include "vmbus/device/discovery.h"
#include "vmbus/device/sysfs.h"
#include "vmbus/hv_monitor_page.h"

namespace vmbus {

struct Device::State {
  // Declaration order is teardown order, reversed: channels go first, then
  // the maps they point into, then the node (whose last close disconnects
  // the rings: hv_uio_release -> vmbus_disconnect_ring).
  DeviceInfo info;
  detail::UioMapLayout layout;
  std::unique_ptr<DeviceBacking> backing;
  CountersTable counters;  // in the backing's memory; slot i is slots[i]
  MappedRegion rings;
  MappedRegion int_page;
  MappedRegion monitor_page;
  MappedRegion recv;
  MappedRegion send;
  // Bumped after each irqcontrol(1); see vmbus/channel/signaller.h.
  std::atomic<std::uint64_t> unmask_epoch{0};
  std::atomic<bool> rescinded{false};
  std::mutex open_mutex;  // open_subchannel

  struct Slot {
    MappedRegion ring_file;  // subchannels only
    std::unique_ptr<Signaller> signaller;
    std::unique_ptr<Channel> channel;
  };
  std::array<Slot, kMaxChannels> slots;
  std::atomic<std::uint32_t> count{0};  // slots [0, count) are published

  std::unique_ptr<Signaller> make_signaller(std::uint32_t relid, std::optional<std::uint8_t> monitor_id,
                                            const std::filesystem::path& id_file,
                                            const std::filesystem::path& monitor_id_file);
  Channel& publish(Slot slot);
  // Slot `index`'s counters in the shared table, or null (the channel keeps its own).
  ChannelCounters* counters_for(std::uint32_t index, std::uint32_t relid) noexcept {
    return index < counters.slot_count() ? &counters.open_slot(index, relid) : nullptr;
  }
};

namespace {

using detail::throw_file_error;

std::string ms(std::chrono::milliseconds t) { return std::to_string(t.count()) + " ms"; }

void check_owner(const DeviceInfo& info) {
  const std::string claim = "claim it first: vmbus claim " + info.instance.str();
  switch (info.owner) {
    case DeviceOwner::uio_hv_generic:
      break;
    case DeviceOwner::none:
      throw_file_error(info.sysfs_dir, "no driver is bound (expected uio_hv_generic): " + claim);
    case DeviceOwner::kernel_driver:
      throw_file_error(info.sysfs_dir, "bound to " + (info.driver.empty() ? std::string("a kernel driver") : info.driver) +
                                             ", not uio_hv_generic: " + claim);
  }
  if (info.uio_name.empty() || info.uio_node.empty()) {
    throw_file_error(info.sysfs_dir / "uio", "no uio device under it: is uio_hv_generic's probe done? (" + claim + ")");
  }
}

}  // namespace

std::unique_ptr<Signaller> Device::State::make_signaller(std::uint32_t relid, std::optional<std::uint8_t> monitor_id,
                                                         const std::filesystem::path& id_file,
                                                         const std::filesystem::path& monitor_id_file) {
  if (!monitor_id) return std::make_unique<IrqControlSignaller>(*backing, unmask_epoch);
  if (relid > kMaxSignalRelid) {
    throw_file_error(id_file, "relid " + std::to_string(relid) + " does not fit the int page's 2048-byte bitmap (at most " +
                                    std::to_string(kMaxSignalRelid) + ")");
  }
  if (*monitor_id > kMaxMonitorId) {
    throw_file_error(monitor_id_file, std::to_string(*monitor_id) + ", expected 0 to " +
                                            std::to_string(kMaxMonitorId) + " (4 trigger groups of 32)");
  }
  auto s = MonitoredSignaller::create(int_page.data(), monitor_page.data(), relid, *monitor_id);
  return std::make_unique<MonitoredSignaller>(*s);  // checked above: cannot fail
}

Channel& Device::State::publish(Slot slot) {
  const std::uint32_t n = count.load(std::memory_order_relaxed);
  slots[n] = std::move(slot);
  count.store(n + 1, std::memory_order_release);
  return *slots[n].channel;
}

Device::Device(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
Device::~Device() = default;

std::unique_ptr<Device> Device::open(const DeviceInfo& info, DeviceOptions options) {
  check_owner(info);
  auto state = std::make_unique<State>();
  state->info = info;
  state->layout = detail::check_uio_maps(info);
  const detail::UioMapLayout& layout = state->layout;

  state->backing = open_backing(info.uio_node);
  DeviceBacking& backing = *state->backing;
  state->rings = backing.map(0, layout.rings_size);
  state->int_page = backing.map(1, layout.int_page_size);
  state->monitor_page = backing.map(2, layout.monitor_page_size);
  if (options.map_shared_buffers) {
    if (layout.recv) state->recv = backing.map(layout.recv->index, layout.recv->size);
    if (layout.send) state->send = backing.map(layout.send->index, layout.send->size);
  }

  state->counters = backing.share_counters(kMaxChannels);

  // hv_uio_probe: TX (guest -> host) at +0, RX at +ring_size.
  const std::span<std::byte> rings(state->rings.data(), state->rings.size());
  State::Slot primary;
  primary.signaller = state->make_signaller(info.relid, info.monitor_id, info.sysfs_dir / "id",
                                            info.sysfs_dir / "monitor_id");
  auto channel = Channel::attach(rings.subspan(0, layout.ring_size), rings.subspan(layout.ring_size, layout.ring_size),
                                 *primary.signaller,
                                 ChannelConfig{.relid = info.relid,
                                               .monitor_id = info.monitor_id,
                                               .unmask_epoch = &state->unmask_epoch,
                                               .counters = state->counters_for(0, info.relid)});
  if (!channel) {
    throw_file_error(detail::uio_map_dir(info, 0),
                       "the txrx_rings headers are unusable (" + channel.error().message() +
                           "): the host or a previous user left them corrupt");
  }
  primary.channel = std::move(*channel);
  state->publish(std::move(primary));
  return std::unique_ptr<Device>(new Device(std::move(state)));
}

Channel& Device::channel(std::uint32_t index) {
  if (index >= channel_count()) {
    throw std::out_of_range("vmbus::Device::channel(" + std::to_string(index) + "): " +
                            std::to_string(channel_count()) + " channels open");
  }
  return *state_->slots[index].channel;
}

std::uint32_t Device::channel_count() const noexcept { return state_->count.load(std::memory_order_acquire); }

Channel* Device::find_channel(std::uint32_t relid) noexcept {
  const std::uint32_t n = channel_count();
  for (std::uint32_t i = 0; i < n; ++i) {
    if (state_->slots[i].channel->relid() == relid) return state_->slots[i].channel.get();
  }
  return nullptr;
}

Channel& Device::open_subchannel(std::uint32_t relid, std::chrono::milliseconds timeout) {
  std::lock_guard lock(state_->open_mutex);
  if (Channel* existing = find_channel(relid)) return *existing;
  const DeviceInfo& info = state_->info;
  if (rescinded()) throw_file_error(info.sysfs_dir, "the device was rescinded: no subchannel can be opened");
  if (channel_count() == kMaxChannels) {
    throw_file_error(info.sysfs_dir, "cannot open subchannel " + std::to_string(relid) + ": already " +
                                           std::to_string(kMaxChannels) + " channels open");
  }

  const std::filesystem::path channel_dir = info.sysfs_dir / "channels" / std::to_string(relid);
  const std::filesystem::path ring_file = channel_dir / "ring";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  switch (detail::wait_for_file(ring_file, info.sysfs_dir, deadline)) {
    case detail::WaitResult::appeared:
      break;
    case detail::WaitResult::timed_out:
      throw_file_error(ring_file, "did not appear within " + ms(timeout) + ": the host has not offered subchannel " +
                                        std::to_string(relid) + ", or uio_hv_generic could not open it (see dmesg: "
                                        "\"vmbus_open subchannel failed\")");
    case detail::WaitResult::device_gone:
      mark_all_rescinded();
      throw_file_error(info.sysfs_dir, "disappeared while waiting for subchannel " + std::to_string(relid) +
                                             ": the device was rescinded");
  }

  State::Slot slot;
  slot.ring_file = detail::map_ring_file(ring_file, deadline);
  // monitor_id is hidden for channels without one (vmbus_chan_attr_is_visible).
  const std::filesystem::path monitor_file = channel_dir / "monitor_id";
  std::optional<std::uint8_t> monitor_id;
  if (auto id = sysfs::read_optional_decimal(monitor_file)) {
    if (*id > kMaxMonitorId) {
      throw_file_error(monitor_file, std::to_string(*id) + ", expected 0 to " + std::to_string(kMaxMonitorId));
    }
    monitor_id = static_cast<std::uint8_t>(*id);
  }
  slot.signaller = state_->make_signaller(relid, monitor_id, channel_dir, monitor_file);
  // TX is the first half, RX the second (hv_uio_ring_mmap; DPDK vmbus_uio_map_subchan).
  const std::size_t half = slot.ring_file.size() / 2;
  const std::span<std::byte> ring(slot.ring_file.data(), slot.ring_file.size());
  auto channel = Channel::attach(ring.subspan(0, half), ring.subspan(half, half), *slot.signaller,
                                 ChannelConfig{.relid = relid,
                                               .monitor_id = monitor_id,
                                               .unmask_epoch = &state_->unmask_epoch,
                                               .counters = state_->counters_for(channel_count(), relid)});
  if (!channel) {
    throw_file_error(ring_file, "the ring headers are unusable (" + channel.error().message() + ")");
  }
  slot.channel = std::move(*channel);
  return state_->publish(std::move(slot));
}

Channel& Device::open_subchannel_by_id(std::uint32_t subchannel_id, std::chrono::milliseconds timeout) {
  if (subchannel_id == 0) return channel(0);
  const DeviceInfo& info = state_->info;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // The offer shows up as a new channels/<relid>/ directory; its ring file
  // follows (open_subchannel waits for that). Polled: setup, not data path.
  for (;;) {
    if (check_rescinded()) throw_file_error(info.sysfs_dir, "the device was rescinded: no subchannel can be opened");
    for (const ChannelInfo& c : read_channels(info.sysfs_dir)) {
      if (c.subchannel_id != subchannel_id) continue;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      return open_subchannel(c.relid, std::max(left, std::chrono::milliseconds(1)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw_file_error(info.sysfs_dir / "channels", "no channel with subchannel_id " + std::to_string(subchannel_id) +
                                                        " appeared within " + ms(timeout) +
                                                        ": the host has not offered it (did the device protocol "
                                                        "ask for subchannels?)");
    }
    ::poll(nullptr, 0, 5);
  }
}

int Device::event_fd() const noexcept { return state_->backing->event_fd(); }

void Device::mark_all_rescinded() noexcept {
  state_->rescinded.store(true, std::memory_order_release);
  const std::uint32_t n = channel_count();
  for (std::uint32_t i = 0; i < n; ++i) state_->slots[i].channel->mark_rescinded();
}

Result<std::uint32_t> Device::take_interrupts() noexcept {
  if (rescinded()) return Error{Errc::rescinded, 0};
  Result<std::uint32_t> n = state_->backing->take_interrupts();
  if (!n) {
    if (n.error().code == Errc::rescinded) mark_all_rescinded();
    return n;
  }
  if (*n != 0) state_->slots[0].channel->count_interrupts(*n);
  return n;
}

Result<std::uint32_t> Device::wait(std::chrono::milliseconds timeout) noexcept {
  if (rescinded()) return Error{Errc::rescinded, 0};
  const auto count = timeout.count();
  const int wait_ms = count < 0 ? 0 : count > INT_MAX ? INT_MAX : static_cast<int>(count);
  pollfd p{event_fd(), POLLIN, 0};
  const int r = ::poll(&p, 1, wait_ms);
  if (r < 0) {
    if (errno == EINTR) return std::uint32_t{0};  // a signal: the caller re-checks its loop
    return Error{Errc::io_error, static_cast<std::uint64_t>(errno)};
  }
  if (r == 0) {
    if (check_rescinded()) return Error{Errc::rescinded, 0};
    return std::uint32_t{0};
  }
  // Readable, or POLLERR/POLLHUP: uio_poll returns -EIO after a rescind,
  // which reads as every event bit; take_interrupts() sorts it out.
  return take_interrupts();
}

bool Device::rescinded() const noexcept { return state_->rescinded.load(std::memory_order_acquire); }

bool Device::check_rescinded() noexcept {
  if (rescinded()) return true;
  std::error_code ec;
  const DeviceInfo& info = state_->info;
  if (!std::filesystem::exists(info.sysfs_dir, ec) && !ec) {
    // vmbus_device_unregister() after hv_uio_rescind removes the directory.
    mark_all_rescinded();
    return true;
  }
  // A rescinded subchannel only loses its channels/<relid> directory.
  const std::uint32_t n = channel_count();
  for (std::uint32_t i = 1; i < n; ++i) {
    Channel& ch = *state_->slots[i].channel;
    if (ch.rescinded()) continue;
    try {
      const std::filesystem::path dir = info.sysfs_dir / "channels" / std::to_string(ch.relid());
      if (!std::filesystem::exists(dir, ec) && !ec) ch.mark_rescinded();
    } catch (...) {
      // Path building allocates; out of memory here is not a rescind.
    }
  }
  return false;
}

DmaRegion Device::allocate_dma(std::size_t bytes, DmaOptions options) {
  // Memory for a device the host took away could never be named to it.
  if (rescinded()) throw_file_error(state_->info.sysfs_dir, "the device was rescinded: no DMA memory for it");
  return state_->backing->allocate_dma(bytes, options);
}

std::optional<SharedBuffer> Device::recv_buffer() const noexcept {
  if (!state_->recv || !state_->layout.recv) return std::nullopt;
  return SharedBuffer{{state_->recv.data(), state_->recv.size()}, state_->layout.recv->gpadl};
}

std::optional<SharedBuffer> Device::send_buffer() const noexcept {
  if (!state_->send || !state_->layout.send) return std::nullopt;
  return SharedBuffer{{state_->send.data(), state_->send.size()}, state_->layout.send->gpadl};
}

const DeviceInfo& Device::info() const noexcept { return state_->info; }

std::string Device::describe() const { return state_->backing->describe(); }

}  // namespace vmbus
