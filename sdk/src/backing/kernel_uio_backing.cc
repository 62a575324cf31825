// KernelUioBacking: /dev/uioN of a device bound to uio_hv_generic.
#include "kernel_uio_backing.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "backing_errors.h"

namespace vmbus::detail {

KernelUioBacking::KernelUioBacking(std::filesystem::path node) : node_(std::move(node)) {
  // O_NONBLOCK makes the count read of take_interrupts() a probe: uio_read
  // returns -EAGAIN for a non-blocking file with no new event.
  fd_.reset(::open(node_.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (!fd_) throw_open_error(node_, errno);
}

MappedRegion KernelUioBacking::map(std::uint32_t index, std::size_t size) {
  const std::string what = node_.string() + " map " + std::to_string(index);
  if (size == 0) throw_device_error(what, "size 0 (maps/map" + std::to_string(index) + "/size must be non-zero)");
  const long page = ::sysconf(_SC_PAGESIZE);
  const auto offset = static_cast<off_t>(index) * static_cast<off_t>(page);
  void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), offset);
  if (address == MAP_FAILED) {
    const int err = errno;
    // uio_mmap: -EINVAL for an index past the device's maps or a length
    // beyond the map's pages (uio_mmap_logical/physical), and also when
    // info is gone; -ENODEV from hv_uio's mmap of a closed channel.
    if (err == EINVAL) {
      throw_device_error(what, "mmap of " + std::to_string(size) +
                                   " bytes refused (EINVAL): the map does not exist or is smaller than its sysfs size");
    }
    throw_device_error(what, "mmap of " + std::to_string(size) + " bytes failed: " + errno_text(err));
  }
  return MappedRegion(address, size);
}

Result<std::uint32_t> KernelUioBacking::take_interrupts() noexcept { return count_.take(fd_.get()); }

Status KernelUioBacking::irqcontrol(std::int32_t value) noexcept {
  ssize_t n;
  do {
    n = ::write(fd_.get(), &value, sizeof value);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EIO) return Error{Errc::rescinded, 0};  // uio_write: !info->irq -> -EIO
    return Error{Errc::io_error, static_cast<std::uint64_t>(errno)};
  }
  if (n != sizeof value) return Error{Errc::io_error, static_cast<std::uint64_t>(EIO)};
  return {};
}

}  // namespace vmbus::detail
