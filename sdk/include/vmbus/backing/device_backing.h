// File: vmbus/backing/device_backing.h
//
// How a device's memory and signals reach this process. A driver never knows
// which provider it has. There are three, all with the same shape:
//   - the kernel: /dev/uioN, a character device (uio_hv_generic);
//   - an hvsim endpoint: DIR/dev/uioN, a UNIX socket speaking
//     vmbus/backing/endpoint_protocol.h;
//   - a vmbusd lease: the same protocol over the daemon's socket.
//
// The shape is:
//   - maps: uio map K, with its size read from sysfs by the caller;
//   - an interrupt source: a pollable fd, and a non-blocking count of
//     interrupts;
//   - irqcontrol: the kernel's write(fd, &s32) semantics;
//   - rescind: reported as Errc::rescinded by every operation once the host
//     took the device away;
//   - DMA memory: memory the host can address by GPA for GPA-direct packets
//     (vmbus/device/dma_region.h). The kernel's frames are guest-physical
//     (/proc/self/pagemap); an endpoint registers a memfd with its host at
//     GPA = its address here (RegisterMemory).
// Subchannel ring files (sysfs channels/<relid>/ring) are plain files on
// every provider, and are opened by path.
//
// Usage:
//   std::unique_ptr<vmbus::DeviceBacking> b = vmbus::open_backing("/dev/uio0");
//   vmbus::MappedRegion rings = b->map(0, size_from_sysfs);  // txrx_rings
//   pollfd p{b->event_fd(), POLLIN, 0};
//   poll(&p, 1, timeout_ms);
//   vmbus::Result<std::uint32_t> n = b->take_interrupts();  // 0 if none
//   if (!n && n.error().code == vmbus::Errc::rescinded) stop();
//   vmbus::DmaRegion dma = b->allocate_dma(1 << 20, {});     // needs vmbus/device/dma_region.h
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "vmbus/result.h"

namespace vmbus {

// vmbus/device/dma_region.h; callers of allocate_dma() include it.
class DmaRegion;
struct DmaOptions;
class CountersTable;  // vmbus/channel/counters_table.h

// Set-up errors (opening, mapping, sysfs) are exceptions that name the file or
// device and what was expected. The data path uses Result instead.
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A shared mapping that is unmapped when the region is destroyed. Move-only.
class MappedRegion {
 public:
  MappedRegion() = default;
  MappedRegion(void* address, std::size_t size) noexcept : address_(address), size_(size) {}
  MappedRegion(MappedRegion&& other) noexcept;
  MappedRegion& operator=(MappedRegion&& other) noexcept;
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;
  ~MappedRegion();

  std::byte* data() const noexcept { return static_cast<std::byte*>(address_); }
  std::size_t size() const noexcept { return size_; }
  explicit operator bool() const noexcept { return address_ != nullptr; }

 private:
  void* address_ = nullptr;
  std::size_t size_ = 0;
};

class DeviceBacking {
 public:
  virtual ~DeviceBacking() = default;

  // Maps uio map `index` read-write and shared. `size` comes from sysfs
  // (maps/mapK/size): never a constant. Throws DeviceError, naming the device
  // and the map, if the map does not exist or its size is not `size`.
  virtual MappedRegion map(std::uint32_t index, std::size_t size) = 0;

  // Readable when interrupts are pending or the device was rescinded. Put it
  // in an epoll set; it stays owned by the backing.
  virtual int event_fd() const noexcept = 0;

  // Interrupts since the last call, without blocking (0 if none).
  // Errc::rescinded after a rescind; Errc::io_error with errno otherwise.
  virtual Result<std::uint32_t> take_interrupts() noexcept = 0;

  // The kernel's hv_uio_irqcontrol: for every channel of the device, set the
  // inbound interrupt_mask to !value; if value != 0, also signal the host on
  // each channel without a monitor id. Errc::rescinded after a rescind.
  virtual Status irqcontrol(std::int32_t value) noexcept = 0;

  // What this is, for messages: "uio /dev/uio0", "endpoint /tmp/x/dev/uio0".
  virtual std::string describe() const = 0;

  // At least `bytes` of memory the host can address by GPA, with its frame
  // table (vmbus/device/dma_region.h says what the frames are on each
  // provider). Set-up only: it allocates, and may lock, read pagemap or ask
  // the host. Safe to call while channels run on other threads. Throws
  // DeviceError naming the device and what failed. The default throws: a
  // provider that cannot offer DMA memory says so.
  virtual DmaRegion allocate_dma(std::size_t bytes, const DmaOptions& options);

  // A CountersTable of `slots` slots in memory the provider's server can
  // read (an endpoint: a sealed memfd offered with ShareCounters, which
  // vmbusd shows in GetChannel). The backing owns the memory. An empty
  // table when there is no one to share with (the kernel) or the memory
  // could not be made: the channels then keep their counters privately.
  virtual CountersTable share_counters(std::uint32_t slots) noexcept;
};

// Opens the device node: a character device gives the kernel's uio backing,
// a UNIX socket gives the endpoint backing. Throws DeviceError naming the
// path and saying what to do (missing, wrong permission, wrong file type,
// refused by the server).
std::unique_ptr<DeviceBacking> open_backing(const std::filesystem::path& device_node);

}  // namespace vmbus
