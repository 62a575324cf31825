// File: bench/echo/vmbus_echo_device.h
//
// The measured path: hvsim's echo device, claimed for uio_hv_generic
// (vmbus::claim_device) for the object's lifetime, opened (vmbus::Device::open)
// in this process only while it is measured, and driven through its primary
// channel in poll mode (RX interrupt_mask set: the host never interrupts, the
// guest spins on receive()). hvsim runs a host thread for a device only while
// it is open, scanning for signals every monitor latency; closed, the device
// leaves the CPUs to the reference.
//
//   latency     send_inband() one packet (one flush, a signal if the host
//               waits for one), spin on receive() until its echo, check it,
//               finish_receive(); repeat.
//   throughput  keep up to `window` packets in flight: whenever half or more
//               came back, write() packets until the window is full or the
//               TX ring is, then one flush() (at most one signal); meanwhile
//               receive() every echo there is and finish_receive() once per
//               poll that found some. At the end, every packet in flight is
//               drained, so hvsim's counters cover exactly the run.
// Empty polls yield the CPU every 64 tries: on two cores hvsim's host thread
// may need this one. No echo within 5 s is an error, as is any echo that is
// not the next packet, byte for byte where checked (echo_payload.h).
//
// Usage:
//   VmbusEchoDevice echo(vmbus::SysfsRoot(sim.sysfs_root()), instance);  // throws vmbus::DeviceError
//   echo.open();
//   LatencyRun l = echo.latency(64, 1000);
//   ThroughputRun t = echo.throughput(64, 64, std::chrono::milliseconds(1000));
//   echo.close();
//   echo.release();  // or let the destructor give the device back
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "echo/echo_measurement.h"
#include "vmbus/channel/channel.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"
#include "vmbus/device/sysfs.h"

namespace bench::echo {

class VmbusEchoDevice {
 public:
  VmbusEchoDevice(const vmbus::SysfsRoot& root, const vmbus::Guid& instance);
  ~VmbusEchoDevice();
  VmbusEchoDevice(const VmbusEchoDevice&) = delete;
  VmbusEchoDevice& operator=(const VmbusEchoDevice&) = delete;

  // Maps the device and attaches its primary channel (throws
  // vmbus::DeviceError); close() unmaps it. Measuring needs it open.
  void open();
  void close() noexcept;
  bool is_open() const noexcept { return channel_ != nullptr; }

  // Closes the device and gives it back to its previous driver; throws
  // vmbus::DeviceError naming the step that failed.
  void release();
  // Closes the device and gives nothing back: the host is gone (hvsim died),
  // so a release would only wait for it to time out.
  void abandon() noexcept;

  const vmbus::DeviceInfo& info() const noexcept { return claim_.device(); }
  // "endpoint /dev/shm/.../dev/uio0", once it was opened.
  const std::string& describe() const noexcept { return backing_; }
  std::uint32_t ring_bytes() const noexcept { return ring_bytes_; }  // per direction, header page included
  std::uint32_t ring_data_bytes() const noexcept { return ring_bytes_ - 4096; }
  // The monitor latency hvsim scans this channel at (channels/<relid>/latency, 100 ns units).
  std::optional<std::uint32_t> monitor_latency_100ns() const;
  // An inband packet of `payload` bytes (descriptor + padding + trailer) fits the ring.
  bool fits(std::uint32_t payload) const noexcept;
  // The SDK's counters of the open channel (they start at 0 with each open).
  vmbus::ChannelCountersSnapshot counters() const noexcept;

  LatencyRun latency(std::uint32_t payload, std::uint32_t round_trips);
  ThroughputRun throughput(std::uint32_t payload, std::uint32_t window, std::chrono::milliseconds duration);

 private:
  vmbus::Claim claim_;
  std::unique_ptr<vmbus::Device> device_;
  vmbus::Channel* channel_ = nullptr;
  std::string backing_;
  std::uint32_t ring_bytes_ = 0;
  std::vector<std::uint64_t> rx_buffer_;  // 8-aligned room for any packet the RX ring can hold
  std::uint64_t next_id_ = 1;             // trans_id and sequence number, continued across runs
};

}  // namespace bench::echo
