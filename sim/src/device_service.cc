// DeviceService: the per-device host thread.
#include "device_service.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "fs_util.h"
#include "monitor_page.h"
#include "vmbus/hv_monitor_page.h"

namespace hvsim {
namespace {

std::uint16_t monitor_latency(std::byte* monitor_page, std::uint8_t id) noexcept {
  // The guest may write it at any time (rte_vmbus_set_latency).
  return monitor::latency(monitor_page, id).load(std::memory_order_relaxed);
}

}  // namespace

DeviceService::DeviceService(DeviceServiceSetup setup) : setup_(std::move(setup)) {
  kick_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!kick_) throw std::runtime_error(setup_.label + ": eventfd: " + fs::errno_text(errno));
  setup_.host->services_ = this;
  std::vector<HostChannelSetup> initial = std::move(setup_.channels);
  setup_.channels.clear();
  for (HostChannelSetup& channel : initial) add_channel(std::move(channel));
}

DeviceService::~DeviceService() { stop(); }

void DeviceService::start() {
  // Open from the moment the client has its reply, not when the thread runs.
  for (std::uint32_t i = 0; i < channel_count(); ++i) channels_[i]->counters().set_state(ChannelState::open);
  thread_ = std::thread([this] { run(); });
}

void DeviceService::stop() noexcept {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  kick();
  thread_.join();
}

void DeviceService::add_channel(HostChannelSetup channel) {
  const std::uint32_t n = count_.load(std::memory_order_relaxed);  // only this (control) thread writes it
  if (n == kMaxChannels) {
    throw std::runtime_error(setup_.label + ": cannot serve " + channel.label + ": already " +
                             std::to_string(kMaxChannels) + " channels");
  }
  channel.host = setup_.host.get();
  channel.log = setup_.log;
  channels_[n] = std::make_unique<HostChannel>(std::move(channel));
  irq_signals_[n].store(0, std::memory_order_relaxed);
  if (thread_.joinable()) channels_[n]->counters().set_state(ChannelState::open);
  // The slot before the count: the host thread reads slots below what it loads.
  count_.store(n + 1, std::memory_order_release);
  kick();
}

std::uint32_t DeviceService::offer_subchannels(std::uint32_t count) noexcept {
  const std::uint32_t n = std::min(count, setup_.subchannels_granted - offered_);
  if (n == 0 || !setup_.request_subchannels) return 0;
  const std::uint32_t first = offered_ + 1;  // subchannel_id 0 is the primary
  offered_ += n;
  try {
    setup_.request_subchannels(first, n);
  } catch (const std::exception& e) {
    // Out of memory queueing the request: none will come.
    offered_ -= n;
    setup_.log->warn(setup_.label + ": cannot request subchannels: " + e.what());
    return 0;
  }
  return n;
}

void DeviceService::irqcontrol(std::int32_t value) noexcept {
  const std::uint32_t n = channel_count();
  for (std::uint32_t i = 0; i < n; ++i) {
    channels_[i]->set_guest_interrupt_mask(value == 0 ? 1u : 0u);
    if (value != 0 && !channels_[i]->spec().monitor_id) irq_signals_[i].fetch_add(1, std::memory_order_release);
  }
  if (value != 0) kick();
}

void DeviceService::kick() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(kick_.get(), &one, sizeof one);
}

void DeviceService::run() noexcept {
  // Sleeps of tens of microseconds: the default 50 us timer slack would double them.
  ::prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  while (!stopping_.load(std::memory_order_acquire)) {
    open_new_channels();
    scan();
    if (opened_ != 0) setup_.host->on_poll();
    wait();
  }
  for (std::uint32_t i = 0; i < opened_; ++i) channels_[i]->close();
}

void DeviceService::open_new_channels() noexcept {
  const std::uint32_t n = channel_count();
  for (; opened_ < n; ++opened_) channels_[opened_]->open();
}

void DeviceService::scan() noexcept {
  for (std::uint32_t i = 0; i < opened_; ++i) {
    HostChannel& channel = *channels_[i];
    const ChannelSpec& spec = channel.spec();
    std::uint64_t signals = 0;
    if (spec.monitor_id) {
      // The monitor bit is the signal (vmbus_set_event: DPDK 20.11+ sets only
      // it; the kernel and older DPDK also set the int page bit, which we
      // clear with it).
      if (vmbus::take_monitor_bit(setup_.monitor_page, *spec.monitor_id)) {
        signals = 1;
        (void)vmbus::take_int_page_bit(setup_.int_page, spec.relid);
      }
    } else {
      signals = irq_signals_[i].exchange(0, std::memory_order_acquire);
      // vmbus_setevent sets the relid's event flag before the hypercall.
      if (signals != 0) (void)vmbus::take_int_page_bit(setup_.int_page, spec.relid);
    }
    if (signals != 0) channel.on_guest_signal(signals);
  }
}

void DeviceService::wait() noexcept {
  int timeout_ns = -1;  // no monitored channel: sleep until irqcontrol, a new channel or stop
  std::uint32_t latency = UINT32_MAX;
  for (std::uint32_t i = 0; i < opened_; ++i) {
    if (const auto id = channels_[i]->spec().monitor_id) {
      latency = std::min<std::uint32_t>(latency, monitor_latency(setup_.monitor_page, *id));
    }
  }
  if (latency == 0) {  // busy poll, letting others run on a busy machine
    std::this_thread::yield();
    return;
  }
  if (latency != UINT32_MAX) timeout_ns = static_cast<int>(latency * 100);
  // A device host that polls (DeviceHost::poll_interval_us) wakes at least that often.
  if (const std::uint32_t us = std::min<std::uint32_t>(setup_.host->poll_interval_us(), 999'999); us != 0 && opened_ != 0) {
    const int ns = static_cast<int>(us) * 1000;
    if (timeout_ns < 0 || ns < timeout_ns) timeout_ns = ns;
  }
  pollfd p{kick_.get(), POLLIN, 0};
  timespec ts{0, timeout_ns};
  ::ppoll(&p, 1, timeout_ns < 0 ? nullptr : &ts, nullptr);
  if ((p.revents & POLLIN) != 0) {
    std::uint64_t drained;
    [[maybe_unused]] const ssize_t n = ::read(kick_.get(), &drained, sizeof drained);
  }
}

}  // namespace hvsim
