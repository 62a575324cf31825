// SharedMemory: memfd_create or a regular file; size, seal, map.
#include "shared_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <utility>

#include "fs_util.h"

namespace hvsim {

void SharedMemory::map(std::size_t size, const std::string& what) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
  if (p == MAP_FAILED) throw std::runtime_error(what + ": mmap: " + fs::errno_text(errno));
  data_ = static_cast<std::byte*>(p);
  size_ = size;
}

SharedMemory SharedMemory::create(const std::string& name, std::size_t size) {
  const std::string what = "shared memory \"" + name + "\" (" + std::to_string(size) + " bytes)";
  auto fail = [&](const char* call) { throw std::runtime_error(what + ": " + call + ": " + fs::errno_text(errno)); };
  SharedMemory m;
  m.fd_ = UniqueFd(::memfd_create(("hvsim:" + name).c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!m.fd_) fail("memfd_create");
  if (::ftruncate(m.fd_.get(), static_cast<off_t>(size)) != 0) fail("ftruncate");
  if (::fcntl(m.fd_.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) fail("F_ADD_SEALS");
  m.map(size, what);
  return m;
}

SharedMemory SharedMemory::create_file(const std::filesystem::path& path, std::size_t size) {
  const std::string what = "ring file " + path.string() + " (" + std::to_string(size) + " bytes)";
  SharedMemory m;
  // The kernel's ring attribute is 0600 (hv_create_ring_sysfs: S_IRUSR | S_IWUSR).
  m.fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!m.fd_) throw std::runtime_error(what + ": cannot create: " + fs::errno_text(errno));
  auto fail = [&](const char* call) {
    const int e = errno;
    ::unlink(path.c_str());
    throw std::runtime_error(what + ": " + call + ": " + fs::errno_text(e));
  };
  if (::fchmod(m.fd_.get(), 0600) != 0) fail("fchmod");  // whatever the umask
  // Reserve the blocks now: on a full tmpfs the failure belongs here, not
  // in a SIGBUS when the host first touches a page.
  if (const int e = ::posix_fallocate(m.fd_.get(), 0, static_cast<off_t>(size)); e != 0) {
    errno = e;
    fail("posix_fallocate");
  }
  try {
    m.map(size, what);
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
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
