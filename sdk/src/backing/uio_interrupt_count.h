// File: src/backing/uio_interrupt_count.h (internal)
//
// Turns the kernel uio's running interrupt total into "interrupts since the
// last call", for every backing that reads a /dev/uioN file: the kernel's
// own (KernelUioBacking) and an endpoint whose server passed the kernel's
// file on (a vmbusd lease of a kernel device, InterruptKind::uio).
//
// uio_read returns the total (idev->event) once it differs from what this
// open file last read, and a non-blocking file with nothing new gives
// EAGAIN; after hv_uio_rescind (info.irq = 0) it gives EIO.
//
// Usage:
//   UioInterruptCount count;                       // one per open file
//   vmbus::Result<std::uint32_t> n = count.take(fd);  // fd is O_NONBLOCK
#pragma once

#include <atomic>
#include <cstdint>

#include "vmbus/result.h"

namespace vmbus::detail {

class UioInterruptCount {
 public:
  // Errc::rescinded for EIO, Errc::io_error (detail = errno) otherwise.
  Result<std::uint32_t> take(int fd) noexcept;

 private:
  // The total at open() is kept only in the kernel's listener: until the
  // first read there is no baseline (kHasCount clear). Atomic: a netvsc port
  // probes for a rescind from its queue threads while the application may
  // also wait() on the device.
  static constexpr std::uint64_t kHasCount = std::uint64_t{1} << 32;
  std::atomic<std::uint64_t> last_count_{0};
};

}  // namespace vmbus::detail
