// Memory hvsim shares with a guest process, mapped here and in the guest.
// Two kinds:
//   - create(): a sealed memfd whose fd the endpoint passes to the client
//     (SCM_RIGHTS) to map the same pages. Sealed against shrinking and
//     growing (F_SEAL_SHRINK | F_SEAL_GROW), so a client cannot truncate it
//     under the host, which would fault (SIGBUS) on the next access. The int
//     page, the monitor page, the NIC's recv/send buffers.
//   - create_file(): a regular file, created at a path in hvsim's staging
//     directory and then renamed into the tree by the caller, so it appears
//     whole: the rings, which the guest reaches both through uio map 0 (the
//     endpoint passes this fd) and through channels/<relid>/ring, the
//     kernel's binary attribute over the same pages (hv_create_ring_sysfs,
//     hv_uio_ring_mmap). A regular file cannot be sealed (tmpfs gives only
//     memfds F_ADD_SEALS), so a guest that truncates a ring file breaks the
//     host: a sysfs file cannot be truncated, and no well-behaved guest does.
//
// Usage:
//   auto pages = hvsim::SharedMemory::create("int_page", 4096);
//   auto rings = hvsim::SharedMemory::create_file(staging / "ring.tmp", 2 * ring_size);
//   ::rename((staging / "ring.tmp").c_str(), (channel_dir / "ring").c_str());
//   send_fd(rings.fd());
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

#include "unique_fd.h"

namespace hvsim {

class SharedMemory {
 public:
  SharedMemory() = default;
  // Zero-filled. Throws std::runtime_error naming `name` on failure.
  static SharedMemory create(const std::string& name, std::size_t size);
  // A new regular file at `path` (which must not exist), mode 0600 as the
  // kernel's ring attribute, zero-filled to `size` and mapped MAP_SHARED.
  // Throws std::runtime_error naming the path.
  static SharedMemory create_file(const std::filesystem::path& path, std::size_t size);

  SharedMemory(SharedMemory&& o) noexcept;
  SharedMemory& operator=(SharedMemory&& o) noexcept;
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  ~SharedMemory();

  std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
  int fd() const noexcept { return fd_.get(); }
  explicit operator bool() const noexcept { return data_ != nullptr; }

 private:
  void map(std::size_t size, const std::string& what);

  UniqueFd fd_;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace hvsim
