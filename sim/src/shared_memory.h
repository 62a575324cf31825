// Memory hvsim shares with a guest process: a sealed memfd mapped here, whose
// fd the endpoint passes to the client (SCM_RIGHTS) to map the same pages.
// Sealed against shrinking and growing (F_SEAL_SHRINK | F_SEAL_GROW), so a
// client cannot truncate it under the host, which would fault (SIGBUS) on the
// next access.
//
// Usage:
//   auto rings = hvsim::SharedMemory::create("txrx_rings", 2 * ring_size);
//   std::byte* tx = rings.data();
//   send_fd(rings.fd());
#pragma once

#include <cstddef>
#include <string>

#include "unique_fd.h"

namespace hvsim {

class SharedMemory {
 public:
  SharedMemory() = default;
  // Zero-filled. Throws std::runtime_error naming `name` on failure.
  static SharedMemory create(const std::string& name, std::size_t size);

  SharedMemory(SharedMemory&& o) noexcept;
  SharedMemory& operator=(SharedMemory&& o) noexcept;
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  ~SharedMemory();

  std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  int fd() const noexcept { return fd_.get(); }
  explicit operator bool() const noexcept { return data_ != nullptr; }

 private:
  UniqueFd fd_;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace hvsim
