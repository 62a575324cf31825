// allocate_dma_memory: a sealed memfd, mapped shared, populated, and locked
// when asked. See dma_memory.h.
#include "dma_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "backing_errors.h"

namespace vmbus::detail {

namespace {

// The name shows in /proc/<pid>/maps of everyone who maps it ("/memfd:vmbus-dma").
constexpr const char* kMemfdName = "vmbus-dma";

std::string bytes_text(std::uint64_t n) { return std::to_string(n) + " bytes"; }

// RLIMIT_MEMLOCK as ulimit -l would describe it.
std::string memlock_limit_text() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_MEMLOCK, &limit) != 0) return "unknown (getrlimit failed: " + errno_text(errno) + ")";
  if (limit.rlim_cur == RLIM_INFINITY) return "unlimited";
  return bytes_text(limit.rlim_cur);
}

std::uint64_t round_up(std::uint64_t n, std::uint64_t unit) { return (n + unit - 1) / unit * unit; }

struct Mapped {
  UniqueFd fd;
  void* address = MAP_FAILED;
  std::size_t size = 0;
  std::size_t page_size = 0;
  bool hugetlb = false;
  int error = 0;  // errno of the hugetlb attempt that failed
};

// A hugetlb memfd of at least `bytes`, or error != 0 (ENOMEM: not enough
// free hugepages; others: no hugetlbfs in this kernel).
Mapped try_hugetlb(std::uint64_t bytes) {
  Mapped m;
  m.fd.reset(::memfd_create(kMemfdName, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB));
  if (!m.fd) {
    m.error = errno;
    return m;
  }
  struct stat st {};
  if (::fstat(m.fd.get(), &st) != 0 || st.st_blksize <= 0) {
    m.error = errno != 0 ? errno : EINVAL;
    return m;
  }
  // hugetlbfs reports its page size as the block size.
  m.page_size = static_cast<std::size_t>(st.st_blksize);
  const std::uint64_t size = round_up(bytes, m.page_size);
  if (size > DmaRegion::kMaxSize || ::ftruncate(m.fd.get(), static_cast<off_t>(size)) != 0) {
    m.error = size > DmaRegion::kMaxSize ? EFBIG : errno;
    return m;
  }
  // hugetlbfs reserves the pages here (hugetlb_reserve_pages): ENOMEM if
  // HugePages_Free is short.
  m.address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, m.fd.get(), 0);
  if (m.address == MAP_FAILED) {
    m.error = errno;
    return m;
  }
  m.size = static_cast<std::size_t>(size);
  m.hugetlb = true;
  return m;
}

}  // namespace

DmaMemory allocate_dma_memory(std::string_view what, std::size_t bytes, const DmaOptions& options, bool lock) {
  const std::string asked = "DMA memory of " + bytes_text(bytes);
  auto fail = [&](const std::string& detail) { throw_device_error(what, asked + ": " + detail); };
  if (bytes == 0) fail("the size must be at least 1 byte");
  if (bytes > DmaRegion::kMaxSize) fail("more than the " + bytes_text(DmaRegion::kMaxSize) + " a region can hold");

  Mapped m;
  if (options.hugepages) {
    m = try_hugetlb(bytes);
    if (m.error != 0) {
      if (options.require_hugepages) {
        if (m.error == ENOMEM) {
          fail("not enough free hugepages of " + bytes_text(m.page_size) + " (HugePages_Free in /proc/meminfo): "
               "reserve some with sysctl vm.nr_hugepages=N, or allow 4 KiB pages");
        }
        fail("hugetlb memfd: " + errno_text(m.error) + ": is hugetlbfs enabled in this kernel (CONFIG_HUGETLBFS)?");
      }
      m = Mapped{};  // fall back to system pages
    }
  }
  if (m.address == MAP_FAILED) {
    const long system_page = ::sysconf(_SC_PAGESIZE);
    m.page_size = system_page > 0 ? static_cast<std::size_t>(system_page) : std::size_t{kHvPageSize};
    const std::uint64_t size = round_up(bytes, m.page_size);
    m.fd.reset(::memfd_create(kMemfdName, MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!m.fd) fail("memfd_create: " + errno_text(errno));
    if (::ftruncate(m.fd.get(), static_cast<off_t>(size)) != 0) fail("ftruncate of the memfd: " + errno_text(errno));
    m.address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, m.fd.get(), 0);
    if (m.address == MAP_FAILED) fail("mmap of " + bytes_text(size) + ": " + errno_text(errno));
    m.size = static_cast<std::size_t>(size);
  }
  DmaMemory out;
  out.mapping = std::make_shared<const MappedRegion>(m.address, m.size);  // unmaps on every path from here
  out.memfd = std::move(m.fd);
  out.page_size = m.page_size;
  out.hugetlb = m.hugetlb;

  // The host maps the fd too: nobody may change its size from now on. Best
  // effort: hvsim seals it itself or falls back to pread/pwrite.
  (void)::fcntl(out.memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);

  // mlock_fixup skips hugetlb mappings (they are never swapped), and
  // do_mlock would still charge them to RLIMIT_MEMLOCK: lock system pages
  // only. The system call itself, not libc's mlock: ASan and TSan intercept
  // mlock() and make it a silent no-op (sanitizer_common's MlockIsUnsupported),
  // which would leave the host a frame table over swappable pages.
  if (lock && !out.hugetlb && ::syscall(SYS_mlock, out.mapping->data(), out.mapping->size()) != 0) {
    const int err = errno;
    if (err == ENOMEM || err == EPERM || err == EAGAIN) {
      fail("mlock refused (" + errno_text(err) + "): RLIMIT_MEMLOCK is " + memlock_limit_text() +
           "; raise it (ulimit -l, LimitMEMLOCK= in a systemd unit, memlock in /etc/security/limits.conf) "
           "or give the process CAP_IPC_LOCK");
    }
    fail("mlock: " + errno_text(err));
  }
  // Touch every page with a write, so each has its own frame before anyone
  // reads the frame table (MAP_POPULATE already should; this makes sure).
  volatile auto* p = out.mapping->data();
  for (std::size_t at = 0; at < out.mapping->size(); at += out.page_size) p[at] = std::byte{0};
  return out;
}

}  // namespace vmbus::detail
