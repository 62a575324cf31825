// SharedMemory: memfd_create, size, seal, map.
#include "shared_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <utility>

#include "fs_util.h"

namespace hvsim {

SharedMemory SharedMemory::create(const std::string& name, std::size_t size) {
  auto fail = [&](const char* what) {
    throw std::runtime_error("shared memory \"" + name + "\" (" + std::to_string(size) + " bytes): " + what + ": " +
                             fs::errno_text(errno));
  };
  SharedMemory m;
  m.fd_ = UniqueFd(::memfd_create(("hvsim:" + name).c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!m.fd_) fail("memfd_create");
  if (::ftruncate(m.fd_.get(), static_cast<off_t>(size)) != 0) fail("ftruncate");
  if (::fcntl(m.fd_.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) fail("F_ADD_SEALS");
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, m.fd_.get(), 0);
  if (p == MAP_FAILED) fail("mmap");
  m.data_ = static_cast<std::byte*>(p);
  m.size_ = size;
  return m;
}

SharedMemory::SharedMemory(SharedMemory&& o) noexcept
    : fd_(std::move(o.fd_)), data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& o) noexcept {
  if (this != &o) {
    if (data_) ::munmap(data_, size_);
    fd_ = std::move(o.fd_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

SharedMemory::~SharedMemory() {
  if (data_) ::munmap(data_, size_);
}

}  // namespace hvsim
