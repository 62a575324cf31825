// File: bindings/python/src/device.h
//
// The state behind vmbus.Device and vmbus.Channel, shared by device.cc and
// channel.cc.
//
// Lifetimes: a Device owns one OpenedDevice (the claim and the C++ Device)
// through a shared_ptr. close() drops it; a call that is waiting with the
// GIL released holds its own copy, so the C++ objects outlive that wait and
// go away when it returns (it notices the close within kWaitSlice and
// raises). Channels keep their DeviceHandle, not the device: after close()
// they raise vmbus.Error(EBADF) instead of touching freed memory.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"

namespace vmbus_py {

struct OpenedDevice {
  std::optional<vmbus::Claim> claim;     // declared first: released last
  std::unique_ptr<vmbus::Device> device;
  // One thread at a time waits on the device's interrupt fd (a receiver and
  // a sender waiting for room may be two): Device::wait keeps state (uio's
  // last interrupt count) that is not meant for concurrent callers. Taken
  // only with the GIL released.
  std::mutex wait_mutex;
};

struct DeviceHandle {
  std::shared_ptr<OpenedDevice> opened;  // null once closed; read and written with the GIL held
  std::string instance;
  vmbus::DeviceInfo info;  // as bound

  // The open device, or vmbus.Error(EBADF) naming `what`.
  std::shared_ptr<OpenedDevice> require(const char* what) const;
};

struct ChannelHandle {
  std::shared_ptr<DeviceHandle> device;
  std::uint32_t index = 0;
};

// Waits up to `slice` on the device's interrupts with the GIL released (and
// then wait_mutex: never the other way round, so a thread holding the mutex
// never waits for the GIL). Returns the SDK's result (rescinded, io_error,
// or the interrupts seen). Another thread's wait may take the interrupt
// meant for this one: the caller re-checks its ring after each slice.
vmbus::Result<std::uint32_t> wait_without_gil(OpenedDevice& opened, std::chrono::milliseconds slice);

}  // namespace vmbus_py
