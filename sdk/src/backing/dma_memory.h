// File: src/backing/dma_memory.h (internal)
//
// The memory behind a DmaRegion (vmbus/device/dma_region.h), before anyone
// gave it frame numbers: a memfd, sized and sealed, mapped shared and
// populated; hugetlb pages when asked and free, else system pages; locked when
// asked (the kernel backing, whose frames must stay resident).
//   - memfd, not anonymous memory: the hvsim backing passes the fd to the
//     host (RegisterMemory), and a shared mapping is not copy-on-write, so a
//     fork() (popen, a helper) cannot move a private page of ours to a new
//     frame behind the host's back (the problem RDMA's ibv_fork_init solves
//     with MADV_DONTFORK).
//   - sealed against shrinking and growing: the host maps the fd, and a
//     shrunken memfd is SIGBUS in whoever touches the lost pages.
//   - hugetlb: the memfd's st_blksize is the hugepage size; the reservation
//     is made at mmap, which fails (ENOMEM) if not enough are free.
// Errors are DeviceErrors that start with `what` (the backing's describe()),
// name the size and the call that failed, and say what to do.
//
// Usage:
//   vmbus::detail::DmaMemory m = vmbus::detail::allocate_dma_memory("uio /dev/uio0", bytes, options, /*lock=*/true);
//   std::vector<std::uint64_t> frames = vmbus::detail::physical_frames(what, m.mapping->data(), m.mapping->size());
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "unique_fd.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/device/dma_region.h"

namespace vmbus::detail {

struct DmaMemory {
  std::shared_ptr<const MappedRegion> mapping;  // page-aligned, zeroed, resident
  UniqueFd memfd;                               // its bytes [0, size), sealed
  std::size_t page_size = 0;                    // the system's page size or the hugepage size
  bool hugetlb = false;                         // hugetlb pages (not locked: they are never swapped)
};

// At least `bytes` (rounded up to the page size used). Throws DeviceError:
// zero or more than DmaRegion::kMaxSize bytes, memfd_create/ftruncate/mmap
// failing, no free hugepages with require_hugepages, mlock refused (naming
// RLIMIT_MEMLOCK's value and how to raise it).
DmaMemory allocate_dma_memory(std::string_view what, std::size_t bytes, const DmaOptions& options, bool lock);

}  // namespace vmbus::detail
