// File: sim/dpdk/uio_preload_memory.h (internal to libhvsim_uio_preload.so)
//
// DPDK's memory, offered to hvsim as registered guest memory.
//
// With --no-huge, DPDK 22.11's EAL (eal_legacy_hugepage_init) takes all of
// its memory (-m) from one memfd named "nohuge", mapped MAP_SHARED at a
// fixed address, and uses IOVA = VA. hvsim can reach GPAs DPDK names in two
// ways (hvsim/guest_memory.h): by address in the DPDK process
// (process_vm_readv, a system call and a page walk per range), or through
// a registered memfd mapped into hvsim. A real Hyper-V host reads guest
// memory directly, so the second is the faithful one; it is also what our
// own SDK does (DmaRegion registers its memfds).
//
// The shim watches for that memfd: memfd_create("nohuge") gains
// MFD_ALLOW_SEALING (hvsim seals a registered memfd against shrinking, and
// DPDK never seals it itself), and the first MAP_SHARED mapping of it at
// offset 0 records the address and length. Each uio session then registers
// it (RegisterMemory{gpa = address, size = length}). If anything does not
// fit (no memfd, an unaligned mapping, hvsim refuses), the session logs why
// and hvsim keeps reading DPDK's memory by address: slower, still correct.
//
// Usage (from the hooks):
//   int fd = create_memfd(name, flags);            // memfd_create
//   note_mapping(result, length, flags, fd, offset);  // after a successful mmap
//   register_eal_memory(*session);                  // after a session opens
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "uio_preload_session.h"

namespace hvsim::uio_preload {

// memfd_create through libc (or the raw syscall), with MFD_ALLOW_SEALING
// added for EAL's "nohuge" memfd, whose fd is then remembered.
int create_memfd(const char* name, unsigned flags) noexcept;

// Records the EAL memory if `fd` is the "nohuge" memfd, mapped shared at
// offset 0 (the first such mapping wins). Cheap for every other fd.
void note_mapping(void* mapped, std::size_t length, int flags, int fd, off64_t offset) noexcept;

// The fd being closed: forgets it if it was the "nohuge" memfd (the
// recorded mapping stays; registration then has no memfd to pass).
void forget_fd(int fd) noexcept;

// Registers the recorded EAL memory with `session`'s hvsim. Logs and
// returns false if there is none or hvsim refuses; true when registered.
bool register_eal_memory(Session& session) noexcept;

}  // namespace hvsim::uio_preload
