// File: hvsim/guest_memory.h
//
// Guest memory as the simulated host reaches it: a guest physical address
// (GPA) named in a GPA-direct packet (page buffer or MPB) is found
//   1. in a region the client registered (endpoint RegisterMemory: a memfd
//      whose bytes [0, size) are GPAs [gpa_base, gpa_base + size)): read and
//      written directly through a mapping; or
//   2. otherwise, in the client process itself, taking the GPA as a virtual
//      address (IOVA = VA, as DPDK runs with --no-huge): process_vm_readv /
//      process_vm_writev on the client's pid (SO_PEERCRED). This needs the
//      right to ptrace the client (same uid, and with Yama ptrace_scope 1 the
//      client must allow it: prctl(PR_SET_PTRACER, hvsim_pid)).
// The guest is untrusted: every access is bounds-checked and reports failure
// instead of faulting. A registered memfd is sealed against shrinking (or, if
// it cannot be sealed, read with pread/pwrite), so a client truncating it
// cannot crash the host.
//
// Threads: register_region() runs on the control thread, reads and writes on
// the host service thread; regions are append-only (an array plus an atomic
// count), so the data path takes no lock.
//
// Usage:
//   hvsim::GuestMemory memory(client_pid);
//   int err = memory.register_region(0x100000000, 1 << 20, std::move(memfd));  // 0 or -errno
//   vmbus::Result<std::uint32_t> n = memory.read_range(range, scratch);  // a GpaRange
#pragma once

#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "vmbus/packet/gpa_direct.h"
#include "vmbus/result.h"

namespace hvsim {

class GuestMemory {
 public:
  static constexpr std::size_t kMaxRegions = 64;

  // pid 0: no client process (only registered regions are reachable).
  explicit GuestMemory(pid_t client_pid) noexcept : pid_(client_pid) {}
  ~GuestMemory();
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;

  // Takes ownership of `fd`. Returns 0, or a negative errno: -EINVAL (not 4
  // KiB multiples, zero size, wraps, memfd smaller than size), -EEXIST
  // (overlaps a region), -ENOSPC (kMaxRegions reached), or mmap's error.
  int register_region(std::uint64_t gpa_base, std::uint64_t size, int fd);

  // Contiguous guest-physical bytes. False if any byte is unreachable.
  bool read(std::uint64_t gpa, std::span<std::byte> dst) noexcept;
  bool write(std::uint64_t gpa, std::span<const std::byte> src) noexcept;

  // The bytes a GPA-direct range names (range.len bytes from range.offset in
  // its first frame, through its frames in order), copied into `dst`.
  // Errors: buffer_too_small (detail = range.len), invalid_argument (a frame
  // number that overflows; detail = the frame), io_error (unreachable; detail
  // = errno).
  vmbus::Result<std::uint32_t> read_range(const vmbus::GpaRange& range, std::span<std::byte> dst) noexcept;
  vmbus::Status write_range(const vmbus::GpaRange& range, std::span<const std::byte> src) noexcept;

  pid_t client_pid() const noexcept { return pid_; }
  std::size_t region_count() const noexcept { return count_.load(std::memory_order_acquire); }
  // Accesses served by address in the client (path 2 above) so far: zero
  // when every GPA the guest named was in registered memory, as on Hyper-V.
  std::uint64_t by_address_accesses() const noexcept { return by_address_.load(std::memory_order_relaxed); }

 private:
  struct Region {
    std::uint64_t gpa = 0;
    std::uint64_t size = 0;
    std::byte* base = nullptr;  // mapped (sealed memfd), or nullptr: use pread/pwrite on fd
    int fd = -1;
  };
  const Region* find(std::uint64_t gpa) const noexcept;
  // Copies between guest bytes [gpa, gpa+len) and `local`, region by region,
  // the rest through process_vm_readv/writev. errno on failure, 0 on success.
  int access(std::uint64_t gpa, std::byte* local, std::size_t len, bool to_guest) noexcept;

  pid_t pid_;
  std::array<Region, kMaxRegions> regions_{};
  std::atomic<std::size_t> count_{0};
  std::atomic<std::uint64_t> by_address_{0};
};

}  // namespace hvsim
