// GuestMemory: registered regions first, the client's address space otherwise.
#include "hvsim/guest_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vmbus/hv_page.h"

namespace hvsim {

GuestMemory::~GuestMemory() {
  const std::size_t n = count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) {
    if (regions_[i].base) ::munmap(regions_[i].base, regions_[i].size);
    if (regions_[i].fd >= 0) ::close(regions_[i].fd);
  }
}

int GuestMemory::register_region(std::uint64_t gpa_base, std::uint64_t size, int fd) {
  auto refuse = [fd](int error) {
    if (fd >= 0) ::close(fd);
    return -error;
  };
  constexpr std::uint64_t kPage = vmbus::kHvPageSize;
  if (fd < 0 || size == 0 || gpa_base % kPage != 0 || size % kPage != 0 || gpa_base + size < gpa_base) {
    return refuse(EINVAL);
  }
  const std::size_t n = count_.load(std::memory_order_relaxed);
  if (n == kMaxRegions) return refuse(ENOSPC);
  for (std::size_t i = 0; i < n; ++i) {
    const Region& r = regions_[i];
    if (gpa_base < r.gpa + r.size && r.gpa < gpa_base + size) return refuse(EEXIST);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return refuse(errno);
  if (!S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) < size) return refuse(EINVAL);

  Region r{.gpa = gpa_base, .size = size, .base = nullptr, .fd = fd};
  // A mapping is only safe if the client cannot shrink the file under it
  // (SIGBUS). Seal it if it is not; a file that cannot be sealed is read and
  // written with pread/pwrite instead, which fail cleanly past the end.
  int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals >= 0 && (seals & F_SEAL_SHRINK) == 0 && ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0) seals |= F_SEAL_SHRINK;
  if (seals >= 0 && (seals & F_SEAL_SHRINK) != 0) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return refuse(errno);
    r.base = static_cast<std::byte*>(p);
  }
  regions_[n] = r;
  count_.store(n + 1, std::memory_order_release);  // publishes the region to the host thread
  return 0;
}

const GuestMemory::Region* GuestMemory::find(std::uint64_t gpa) const noexcept {
  const std::size_t n = count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) {
    if (gpa >= regions_[i].gpa && gpa - regions_[i].gpa < regions_[i].size) return &regions_[i];
  }
  return nullptr;
}

int GuestMemory::access(std::uint64_t gpa, std::byte* local, std::size_t len, bool to_guest) noexcept {
  while (len != 0) {
    if (gpa + len < gpa) return EFAULT;
    std::size_t chunk = len;
    if (const Region* r = find(gpa)) {
      const std::uint64_t offset = gpa - r->gpa;
      if (r->size - offset < chunk) chunk = static_cast<std::size_t>(r->size - offset);
      if (r->base) {
        if (to_guest) std::memcpy(r->base + offset, local, chunk);
        else std::memcpy(local, r->base + offset, chunk);
      } else {
        const ssize_t n = to_guest ? ::pwrite(r->fd, local, chunk, static_cast<off_t>(offset))
                                   : ::pread(r->fd, local, chunk, static_cast<off_t>(offset));
        if (n < 0) return errno;
        if (static_cast<std::size_t>(n) != chunk) return EFAULT;
      }
    } else {
      // Up to the next registered region, if one starts inside this access.
      const std::size_t n = count_.load(std::memory_order_acquire);
      for (std::size_t i = 0; i < n; ++i) {
        if (regions_[i].gpa > gpa && regions_[i].gpa - gpa < chunk) chunk = static_cast<std::size_t>(regions_[i].gpa - gpa);
      }
      if (pid_ == 0) return EFAULT;
      // One writer (the host service thread): a plain increment, no locked op.
      by_address_.store(by_address_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      iovec here{local, chunk};
      iovec there{reinterpret_cast<void*>(static_cast<std::uintptr_t>(gpa)), chunk};
      const ssize_t done = to_guest ? ::process_vm_writev(pid_, &here, 1, &there, 1, 0)
                                    : ::process_vm_readv(pid_, &here, 1, &there, 1, 0);
      if (done < 0) return errno;
      if (static_cast<std::size_t>(done) != chunk) return EFAULT;
    }
    gpa += chunk;
    local += chunk;
    len -= chunk;
  }
  return 0;
}

bool GuestMemory::read(std::uint64_t gpa, std::span<std::byte> dst) noexcept {
  return access(gpa, dst.data(), dst.size(), false) == 0;
}

bool GuestMemory::write(std::uint64_t gpa, std::span<const std::byte> src) noexcept {
  return access(gpa, const_cast<std::byte*>(src.data()), src.size(), true) == 0;
}

namespace {

// Walks a GPA-direct range frame by frame: `fn(gpa, offset_in_range, bytes)`
// for each piece, stopping at the first non-zero return.
template <typename Fn>
int for_each_piece(const vmbus::GpaRange& range, Fn&& fn) noexcept {
  constexpr std::uint64_t kMaxPfn = UINT64_MAX >> vmbus::kHvPageShift;
  std::uint32_t done = 0;
  std::uint32_t in_page = range.offset;
  for (std::uint32_t i = 0; i < range.page_count() && done < range.len; ++i) {
    const std::uint64_t pfn = range.pfn(i);
    if (pfn > kMaxPfn) return -1;
    const std::uint32_t piece = std::min(range.len - done, vmbus::kHvPageSize - in_page);
    if (int e = fn((pfn << vmbus::kHvPageShift) + in_page, done, piece); e != 0) return e;
    done += piece;
    in_page = 0;
  }
  return done == range.len ? 0 : -1;  // parse() guarantees the frames; never trust it blindly
}

}  // namespace

vmbus::Result<std::uint32_t> GuestMemory::read_range(const vmbus::GpaRange& range, std::span<std::byte> dst) noexcept {
  if (dst.size() < range.len) return vmbus::Error{vmbus::Errc::buffer_too_small, range.len};
  const int e = for_each_piece(range, [&](std::uint64_t gpa, std::uint32_t at, std::uint32_t n) {
    return access(gpa, dst.data() + at, n, false);
  });
  if (e < 0) return vmbus::Error{vmbus::Errc::invalid_argument, 0};
  if (e > 0) return vmbus::Error{vmbus::Errc::io_error, static_cast<std::uint64_t>(e)};
  return range.len;
}

vmbus::Status GuestMemory::write_range(const vmbus::GpaRange& range, std::span<const std::byte> src) noexcept {
  if (src.size() < range.len) return vmbus::Error{vmbus::Errc::buffer_too_small, range.len};
  const int e = for_each_piece(range, [&](std::uint64_t gpa, std::uint32_t at, std::uint32_t n) {
    return access(gpa, const_cast<std::byte*>(src.data()) + at, n, true);
  });
  if (e < 0) return vmbus::Error{vmbus::Errc::invalid_argument, 0};
  if (e > 0) return vmbus::Error{vmbus::Errc::io_error, static_cast<std::uint64_t>(e)};
  return {};
}

}  // namespace hvsim
