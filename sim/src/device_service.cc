// DeviceService: the per-device host thread.
#include "device_service.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

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
  irq_signals_.reset(new std::atomic<std::uint64_t>[setup_.channels.size()]);
  for (std::size_t i = 0; i < setup_.channels.size(); ++i) {
    irq_signals_[i].store(0, std::memory_order_relaxed);
    HostChannelSetup channel = setup_.channels[i];
    channel.host = setup_.host.get();
    channel.log = setup_.log;
    if (channel.spec.monitor_id) any_monitored_ = true;
    channels_.push_back(std::make_unique<HostChannel>(std::move(channel)));
  }
}

DeviceService::~DeviceService() { stop(); }

void DeviceService::start() {
  // Open from the moment the client has its reply, not when the thread runs.
  for (auto& channel : channels_) channel->counters().set_state(ChannelState::open);
  thread_ = std::thread([this] { run(); });
}

void DeviceService::stop() noexcept {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(kick_.get(), &one, sizeof one);
  thread_.join();
}

void DeviceService::irqcontrol(std::int32_t value) noexcept {
  for (std::size_t i = 0; i < channels_.size(); ++i) {
    channels_[i]->set_guest_interrupt_mask(value == 0 ? 1u : 0u);
    if (value != 0 && !channels_[i]->spec().monitor_id) irq_signals_[i].fetch_add(1, std::memory_order_release);
  }
  if (value != 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(kick_.get(), &one, sizeof one);
  }
}

void DeviceService::run() noexcept {
  // Sleeps of tens of microseconds: the default 50 us timer slack would double them.
  ::prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  for (auto& channel : channels_) channel->open();
  while (!stopping_.load(std::memory_order_acquire)) {
    scan();
    wait();
  }
  for (auto& channel : channels_) channel->close();
}

void DeviceService::scan() noexcept {
  for (std::size_t i = 0; i < channels_.size(); ++i) {
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
  int timeout_ns = -1;  // no monitored channel: sleep until irqcontrol or stop
  if (any_monitored_) {
    std::uint32_t latency = UINT32_MAX;
    for (const auto& channel : channels_) {
      if (const auto id = channel->spec().monitor_id) latency = std::min<std::uint32_t>(latency, monitor_latency(setup_.monitor_page, *id));
    }
    if (latency == 0) {  // busy poll, letting others run on a busy machine
      std::this_thread::yield();
      return;
    }
    timeout_ns = static_cast<int>(latency * 100);
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
