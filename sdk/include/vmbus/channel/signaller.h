// File: vmbus/channel/signaller.h
//
// How a channel tells the host "look at my rings". The ring commits decide
// *whether* to signal (at most once per batch, Linux's rules); a Signaller
// is *how*, and VMBus has two ways, chosen by whether the host allocated the
// channel a monitor id (the monitor_id file exists in sysfs):
//   - MonitoredSignaller: set the relid's bit in the int page (+2048) and the
//     monitor id's pending bit in the monitor page. Plain atomic ORs, no
//     syscall: the kernel's vmbus_setevent for monitor_allocated channels,
//     DPDK's vmbus_set_event (<= 20.08). The host scans the page.
//   - IrqControlSignaller: write(uio fd, 1). The kernel's hv_uio_irqcontrol
//     then makes the HvSignalEvent hypercall for each channel without a
//     monitor id (547fa4ffd799; for subchannels too since d062463edf17), which
//     user space cannot make itself. It also sets interrupt_mask = 0 on the RX
//     ring of *every* channel of the device: the signaller bumps an "unmask
//     epoch" so that channels in poll mode set their mask again (Channel does
//     this on its own thread; see vmbus/channel/channel.h).
// Tests substitute their own Signaller to count signals.
//
// signal() may be called from a channel's sending and receiving threads at
// once: implementations must be thread-safe.
//
// Usage:
//   auto s = vmbus::MonitoredSignaller::create(int_page, monitor_page, relid, monitor_id);
//   if (!s) return s.error();  // relid or monitor id out of range
//   auto channel = vmbus::Channel::attach(tx, rx, *s, {.relid = relid, .monitor_id = monitor_id});
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "vmbus/hv_monitor_page.h"
#include "vmbus/result.h"

namespace vmbus {

class DeviceBacking;

class Signaller {
 public:
  virtual ~Signaller() = default;
  // Signals the host once. Errors: rescinded, io_error (detail = errno).
  [[nodiscard]] virtual Status signal() noexcept = 0;
};

class MonitoredSignaller final : public Signaller {
 public:
  // `int_page` is the base of uio map 1 (the helpers add the +2048 of the
  // guest->host half); `monitor_page` the base of map 2. Errors:
  // invalid_argument with detail = relid (> kMaxSignalRelid) or
  // monitor_id (> kMaxMonitorId).
  static Result<MonitoredSignaller> create(std::byte* int_page, std::byte* monitor_page, std::uint32_t relid,
                                           std::uint32_t monitor_id) noexcept {
    if (relid > kMaxSignalRelid) return Error{Errc::invalid_argument, relid};
    if (monitor_id > kMaxMonitorId) return Error{Errc::invalid_argument, monitor_id};
    return MonitoredSignaller(int_page, monitor_page, relid, monitor_id);
  }

  // vmbus_setevent (monitor_allocated): vmbus_send_interrupt(relid), then
  // the monitor bit. Both are seq_cst ORs, so the ring index published just
  // before is visible to a host that sees either bit.
  Status signal() noexcept override {
    signal_int_page(int_page_, relid_);
    signal_monitor(monitor_page_, monitor_id_);
    return {};
  }

  std::uint32_t relid() const noexcept { return relid_; }
  std::uint32_t monitor_id() const noexcept { return monitor_id_; }

 private:
  MonitoredSignaller(std::byte* int_page, std::byte* monitor_page, std::uint32_t relid,
                     std::uint32_t monitor_id) noexcept
      : int_page_(int_page), monitor_page_(monitor_page), relid_(relid), monitor_id_(monitor_id) {}

  std::byte* int_page_;
  std::byte* monitor_page_;
  std::uint32_t relid_;
  std::uint32_t monitor_id_;
};

class IrqControlSignaller final : public Signaller {
 public:
  // `unmask_epoch` is shared by every channel of the device (Device owns it).
  IrqControlSignaller(DeviceBacking& backing, std::atomic<std::uint64_t>& unmask_epoch) noexcept
      : backing_(&backing), unmask_epoch_(&unmask_epoch) {}

  // irqcontrol(1), then the epoch bump (after: the kernel cleared the masks
  // inside the call, so a channel that sees the new epoch re-masks later).
  Status signal() noexcept override;

 private:
  DeviceBacking* backing_;
  std::atomic<std::uint64_t>* unmask_epoch_;
};

}  // namespace vmbus
