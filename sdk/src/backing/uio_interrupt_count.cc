// UioInterruptCount: uio's running total as deltas (uio_interrupt_count.h).
#include "uio_interrupt_count.h"

#include <unistd.h>

#include <cerrno>

namespace vmbus::detail {

Result<std::uint32_t> UioInterruptCount::take(int fd) noexcept {
  std::uint32_t count = 0;
  ssize_t n;
  do {
    n = ::read(fd, &count, sizeof count);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN) return std::uint32_t{0};
    if (errno == EIO) return Error{Errc::rescinded, 0};  // hv_uio_rescind: info.irq = 0
    return Error{Errc::io_error, static_cast<std::uint64_t>(errno)};
  }
  if (n != sizeof count) return Error{Errc::io_error, static_cast<std::uint64_t>(EIO)};
  // uio only returns when the count moved, so the first read (no baseline)
  // saw at least one interrupt. Later deltas are modulo 2^32, as the count.
  // Readers racing (a queue's rescind probe and wait()): each counts only
  // past what another already stored, so no interrupt is counted twice.
  std::uint64_t previous = last_count_.load(std::memory_order_relaxed);
  for (;;) {
    const bool has = (previous & kHasCount) != 0;
    const std::uint32_t delta = count - static_cast<std::uint32_t>(previous);
    if (has && static_cast<std::int32_t>(delta) <= 0) return std::uint32_t{0};  // already counted
    if (last_count_.compare_exchange_weak(previous, kHasCount | count, std::memory_order_relaxed)) {
      return has ? delta : 1u;
    }
  }
}

}  // namespace vmbus::detail
