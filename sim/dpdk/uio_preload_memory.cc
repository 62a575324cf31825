// DPDK's "nohuge" memfd, registered with hvsim (uio_preload_memory.h).
#include "uio_preload_memory.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>

namespace hvsim::uio_preload {
namespace {

// eal_legacy_hugepage_init: memfd_create("nohuge", 0).
constexpr const char* kEalMemfdName = "nohuge";
constexpr std::uint64_t kPage = 4096;

std::atomic<int> eal_memfd{-1};
std::mutex mapping_mutex;  // guards the two below, written once
std::uint64_t mapped_at = 0;
std::uint64_t mapped_length = 0;

using MemfdCreate = int(const char*, unsigned);

}  // namespace

int create_memfd(const char* name, unsigned flags) noexcept {
  const bool eal = name != nullptr && std::strcmp(name, kEalMemfdName) == 0;
  if (eal) flags |= MFD_ALLOW_SEALING;
  static std::atomic<void*> cache{nullptr};
  void* address = cache.load(std::memory_order_acquire);
  if (address == nullptr) {
    address = ::dlsym(RTLD_NEXT, "memfd_create");
    cache.store(address, std::memory_order_release);
  }
  int fd;
  if (address != nullptr) {
    MemfdCreate* next;
    std::memcpy(&next, &address, sizeof next);
    fd = next(name, flags);
  } else {
    fd = static_cast<int>(::syscall(SYS_memfd_create, name, flags));
  }
  if (eal && fd >= 0) {
    eal_memfd.store(fd, std::memory_order_release);
    if (verbose()) log_line("EAL memory memfd \"%s\" -> fd %d (sealable)", name, fd);
  }
  return fd;
}

void note_mapping(void* mapped, std::size_t length, int flags, int fd, off64_t offset) noexcept {
  if (fd < 0 || fd != eal_memfd.load(std::memory_order_acquire)) return;
  if (mapped == MAP_FAILED || offset != 0 || (flags & MAP_SHARED) == 0) return;
  std::lock_guard lock(mapping_mutex);
  if (mapped_length != 0) return;
  mapped_at = reinterpret_cast<std::uintptr_t>(mapped);
  mapped_length = length;
  if (verbose()) log_line("EAL memory mapped at %p, %zu bytes", mapped, length);
}

void forget_fd(int fd) noexcept {
  if (eal_memfd.load(std::memory_order_relaxed) != fd) return;  // every close passes here: stay cheap
  int expected = fd;
  (void)eal_memfd.compare_exchange_strong(expected, -1, std::memory_order_acq_rel);
}

bool register_eal_memory(Session& session) noexcept {
  std::uint64_t at, length;
  {
    std::lock_guard lock(mapping_mutex);
    at = mapped_at;
    length = mapped_length;
  }
  const int fd = eal_memfd.load(std::memory_order_acquire);
  if (fd < 0 || length == 0) {
    if (verbose()) log_line("/dev/uio%u: no EAL \"nohuge\" memory to register; hvsim reads by address", session.number);
    return false;
  }
  if (at % kPage != 0 || length % kPage != 0) {
    log_line("/dev/uio%u: EAL memory at 0x%llx, %llu bytes, is not in whole 4 KiB pages; hvsim reads it by address",
             session.number, static_cast<unsigned long long>(at), static_cast<unsigned long long>(length));
    return false;
  }
  if (const int error = session.register_memory(at, length, fd); error != 0) {
    log_line("/dev/uio%u: hvsim refused EAL memory at 0x%llx, %llu bytes (%s); it reads it by address",
             session.number, static_cast<unsigned long long>(at), static_cast<unsigned long long>(length),
             ::strerrordesc_np(error));
    return false;
  }
  if (verbose()) {
    log_line("/dev/uio%u: EAL memory 0x%llx..0x%llx registered", session.number, static_cast<unsigned long long>(at),
             static_cast<unsigned long long>(at + length));
  }
  return true;
}

}  // namespace hvsim::uio_preload
