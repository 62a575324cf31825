// File: src/backing/kernel_uio_backing.h (internal)
//
// The kernel's backing: /dev/uioN of a device bound to uio_hv_generic.
// Every operation is the uio ABI (drivers/uio/uio.c, uio_hv_generic.c):
//   map K        mmap(fd, K * getpagesize(), size): uio selects the map by the
//                offset in units of the *system* page size (uio_mmap:
//                vma->vm_pgoff is the map index), also on 64 KiB-page kernels
//   interrupts   read(fd, &u32): the cumulative event count (uio_read); the fd
//                is O_NONBLOCK, so "nothing new" is EAGAIN, never a block
//   irqcontrol   write(fd, &s32) (uio_write -> hv_uio_irqcontrol)
//   rescind      hv_uio_rescind sets info.irq = 0: read, write and poll then
//                fail with EIO, which becomes Errc::rescinded
//   DMA memory   not the node's business: a locked memfd whose 4 KiB pages
//                are translated to guest-physical frames through
//                /proc/self/pagemap (kernel_uio_dma.cc)
// The first open() of the node connects the rings (hv_uio_open ->
// vmbus_connect_ring); the last close() disconnects them.
//
// Usage (through vmbus::open_backing, which picks this for a char device):
//   auto b = std::make_unique<vmbus::detail::KernelUioBacking>("/dev/uio0");
//   vmbus::MappedRegion rings = b->map(0, size_from_sysfs);
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "uio_interrupt_count.h"
#include "unique_fd.h"
#include "vmbus/backing/device_backing.h"

namespace vmbus::detail {

class KernelUioBacking final : public DeviceBacking {
 public:
  // Opens `node` O_RDWR | O_CLOEXEC | O_NONBLOCK. Throws DeviceError naming it.
  explicit KernelUioBacking(std::filesystem::path node);

  MappedRegion map(std::uint32_t index, std::size_t size) override;
  int event_fd() const noexcept override { return fd_.get(); }
  Result<std::uint32_t> take_interrupts() noexcept override;
  Status irqcontrol(std::int32_t value) noexcept override;
  std::string describe() const override { return "uio " + node_.string(); }
  DmaRegion allocate_dma(std::size_t bytes, const DmaOptions& options) override;

 private:
  std::filesystem::path node_;
  UniqueFd fd_;
  UioInterruptCount count_;
};

}  // namespace vmbus::detail
