// map_ring_file: a subchannel's sysfs ring file, mapped whole.
#include "subchannel_ring.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "../backing/backing_errors.h"
#include "../backing/unique_fd.h"
#include "vmbus/hv_page.h"
#include "vmbus/ring/ring_header.h"

namespace vmbus::detail {

MappedRegion map_ring_file(const std::filesystem::path& ring_file, std::chrono::steady_clock::time_point deadline) {
  UniqueFd fd(::open(ring_file.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    if (err == EACCES || err == EPERM) {
      throw_file_error(ring_file, "permission denied: the ring file is 0600 (root's): run as root or lease the "
                                    "device from vmbusd");
    }
    throw_file_error(ring_file, "cannot open: " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) throw_file_error(ring_file, "fstat: " + errno_text(errno));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  // Two equal rings, each a 4 KiB header plus whole 4 KiB data pages
  // (DPDK: non-zero and a 4 KiB multiple; RingMemory::from needs the rest).
  const std::uint64_t max_size = 2 * (std::uint64_t{kRingMaxDataSize} + kRingHeaderSize);
  if (size < 4 * kHvPageSize || size % (2 * kHvPageSize) != 0 || size > max_size) {
    throw_file_error(ring_file, "size " + std::to_string(size) +
                                      " bytes, expected two equal rings (TX then RX), each a multiple of 4096 of "
                                      "at least 8192 bytes");
  }
  for (;;) {
    void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (address != MAP_FAILED) return MappedRegion(address, size);
    const int err = errno;
    // hv_uio_ring_mmap: -ENODEV while the channel is not CHANNEL_OPENED_STATE.
    if (err == ENODEV && std::chrono::steady_clock::now() < deadline) {
      ::poll(nullptr, 0, 10);
      continue;
    }
    if (err == ENODEV) throw_file_error(ring_file, "mmap refused (ENODEV): the subchannel is not open");
    throw_file_error(ring_file, "mmap of " + std::to_string(size) + " bytes: " + errno_text(err));
  }
}

}  // namespace vmbus::detail
