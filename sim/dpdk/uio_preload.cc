// File: sim/dpdk/uio_preload.cc -> libhvsim_uio_preload.so
//
// An LD_PRELOAD library that lets an unmodified uio program, such as
// Debian's dpdk-testpmd with its vmbus bus and netvsc PMD, use hvsim's
// endpoints as if they were /dev/uioN. hvsim serves DIR/dev/uioN as a UNIX
// socket (vmbus/backing/endpoint_protocol.h). open(2) of a socket fails with
// ENXIO, and a second connection gets EBUSY, but DPDK opens /dev/uioN six
// times and maps by offset (linux/vmbus_uio.c: vmbus_uio_alloc_resource, then
// vmbus_uio_map_resource_by_index once per map).
//
// This library interposes these calls, for "/dev/uio<N>" and the fds it returns:
//   open, open64, openat, openat64, __open_2, __open64_2, __openat_2,
//   __openat64_2: the first open of N connects to $HVSIM_ROOT/dev/uio<N> and
//     does the Hello/DeviceReply handshake (uio_preload_session.h). Every
//     open of N, the first included, returns a dup of the interrupt eventfd,
//     so poll and epoll see uio's POLLIN.
//   mmap, mmap64: offset K*PAGE_SIZE maps map K's fd at offset 0. A bad
//     offset, or a length past the map, is EINVAL, as in uio_mmap.
//   read: 4 bytes, the interrupt total as uio_read returns it. It blocks
//     unless the fd was opened O_NONBLOCK.
//   write: 4 bytes, irqcontrol (uio_write -> hv_uio_irqcontrol), sent as
//     IrqControl.
//   close: the last close of N closes the socket; hvsim sees hv_uio_release.
//   memfd_create, and mmap of any other fd: EAL's "nohuge" memory is noted
//     and registered with hvsim at each session's open, so hvsim reads
//     DPDK's buffers as a host does, directly (uio_preload_memory.h).
// Every other path and fd goes straight to libc: the next definition, found
// with dlsym(RTLD_NEXT), or the raw syscall if there is none.
//
// The sysfs side (/sys/bus/vmbus/...) is not interposed. glibc's fopen and
// opendir call the kernel without going through open(). A private mount
// namespace binds DIR/sys/bus over /sys/bus instead. Subchannel ring files
// are then plain files.
//
// Usage (as root; the NIC bound to uio_hv_generic in hvsim's config; one
// command, wrapped here):
//   unshare -m --propagation private -- sh -c 'mount --bind /dev/shm/vm1/sys/bus /sys/bus &&
//     exec env LD_PRELOAD=build/default/lib/libhvsim_uio_preload.so HVSIM_ROOT=/dev/shm/vm1
//     dpdk-testpmd -l 0-1 --no-huge -m 256 --no-pci --no-shconf -- -i --total-num-mbufs=16384'
// Environment: HVSIM_ROOT (required: hvsim's --root), HVSIM_PRELOAD_LOG=1
// (log each session, open, mmap and close on stderr).
//
// Limits: one process per device (hvsim's rule, and DPDK has no secondary
// process here). Closing a tracked fd other than with close(2), such as with
// dup2, close_range or fclose, leaves it tracked. Unlike the kernel, a mapping
// does not keep the device open: the last close(2) disconnects even while maps
// are still mapped. DPDK keeps its first fd open for the device's life, so
// this never happens with DPDK.

// glibc's _FORTIFY_SOURCE headers define open() and friends as inline
// wrappers, which would clash with the definitions here.
#undef _FORTIFY_SOURCE

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "uio_preload_memory.h"
#include "uio_preload_session.h"

#define HVSIM_PRELOAD_EXPORT __attribute__((visibility("default")))

namespace hvsim::uio_preload {
namespace {

// ---- libc's own definitions ----

// The next definition of `name` after this library, looked up once.
template <typename Function>
Function* next_definition(std::atomic<void*>& cache, const char* name) noexcept {
  void* address = cache.load(std::memory_order_acquire);
  if (address == nullptr) {
    address = ::dlsym(RTLD_NEXT, name);
    cache.store(address, std::memory_order_release);
  }
  Function* function;
  static_assert(sizeof function == sizeof address);
  std::memcpy(&function, &address, sizeof function);
  return function;
}

// The eight open entry points, in the order of kOpenNames.
enum class OpenCall { open, open64, openat, openat64, open_2, open64_2, openat_2, openat64_2 };
constexpr const char* kOpenNames[] = {"open",     "open64",     "openat",     "openat64",
                                      "__open_2", "__open64_2", "__openat_2", "__openat64_2"};

int real_open(OpenCall call, int dirfd, const char* path, int flags, mode_t mode) noexcept {
  static std::atomic<void*> caches[std::size(kOpenNames)];
  const auto i = static_cast<std::size_t>(call);
  std::atomic<void*>& cache = caches[i];
  const char* name = kOpenNames[i];
  switch (call) {
    case OpenCall::open:
    case OpenCall::open64:
      if (auto* f = next_definition<int(const char*, int, ...)>(cache, name)) return f(path, flags, mode);
      break;
    case OpenCall::openat:
    case OpenCall::openat64:
      if (auto* f = next_definition<int(int, const char*, int, ...)>(cache, name)) return f(dirfd, path, flags, mode);
      break;
    case OpenCall::open_2:
    case OpenCall::open64_2:
      if (auto* f = next_definition<int(const char*, int)>(cache, name)) return f(path, flags);
      break;
    case OpenCall::openat_2:
    case OpenCall::openat64_2:
      if (auto* f = next_definition<int(int, const char*, int)>(cache, name)) return f(dirfd, path, flags);
      break;
  }
  return static_cast<int>(::syscall(SYS_openat, dirfd, path, flags, mode));
}

ssize_t real_read(int fd, void* buffer, std::size_t count) noexcept {
  static std::atomic<void*> cache{nullptr};
  if (auto* f = next_definition<ssize_t(int, void*, std::size_t)>(cache, "read")) return f(fd, buffer, count);
  return ::syscall(SYS_read, fd, buffer, count);
}

ssize_t real_write(int fd, const void* buffer, std::size_t count) noexcept {
  static std::atomic<void*> cache{nullptr};
  if (auto* f = next_definition<ssize_t(int, const void*, std::size_t)>(cache, "write")) return f(fd, buffer, count);
  return ::syscall(SYS_write, fd, buffer, count);
}

int real_close(int fd) noexcept {
  static std::atomic<void*> cache{nullptr};
  if (auto* f = next_definition<int(int)>(cache, "close")) return f(fd);
  return static_cast<int>(::syscall(SYS_close, fd));
}

void* real_mmap(const char* name, void* address, std::size_t length, int prot, int flags, int fd, off64_t offset) noexcept {
  static std::atomic<void*> caches[2];
  const std::size_t i = std::strcmp(name, "mmap64") == 0 ? 1 : 0;
  if (auto* f = next_definition<void*(void*, std::size_t, int, int, int, off64_t)>(caches[i], name)) {
    return f(address, length, prot, flags, fd, offset);
  }
  const long r = ::syscall(SYS_mmap, address, length, prot, flags, fd, offset);
  return reinterpret_cast<void*>(r);
}

// ---- the table of tracked fds ----

struct OpenFile {
  std::shared_ptr<Session> session;
  bool nonblocking = false;
  std::uint32_t seen = 0;  // uio_listener::event_count: the total this fd last returned
};

struct SessionEntry {
  std::shared_ptr<Session> session;
  unsigned fds = 0;  // tracked fds of this session; the last close ends it
};

// Nothing called under `mutex` reaches a hook: map lookups and inserts only.
struct Table {
  std::mutex mutex;
  std::unordered_map<int, OpenFile> files;
  std::unordered_map<unsigned, SessionEntry> sessions;  // by N of /dev/uioN
};

// Never destroyed: hooks still run in other libraries' exit handlers.
Table& table() {
  static Table* t = new Table;
  return *t;
}

// How many fds are tracked: while 0, the hooks take no lock at all.
constinit std::atomic<int> tracked_count{0};
// Serializes first opens, so two threads opening /dev/uioN share one session.
constinit std::mutex open_mutex;

std::shared_ptr<Session> session_of(int fd) noexcept {
  if (tracked_count.load(std::memory_order_acquire) == 0) return nullptr;
  Table& t = table();
  std::lock_guard lock(t.mutex);
  const auto it = t.files.find(fd);
  return it == t.files.end() ? nullptr : it->second.session;
}

// "/dev/uio<N>" with N in decimal as the kernel names it (uio%d): no sign,
// no leading zero. Other spellings pass through and fail as they would.
bool parse_uio_path(const char* path, unsigned& number) noexcept {
  constexpr char kPrefix[] = "/dev/uio";
  if (path == nullptr || std::strncmp(path, kPrefix, sizeof kPrefix - 1) != 0) return false;
  const char* digits = path + sizeof kPrefix - 1;
  if (digits[0] < '0' || digits[0] > '9' || (digits[0] == '0' && digits[1] != '\0')) return false;
  unsigned long value = 0;
  for (const char* c = digits; *c != '\0'; ++c) {
    if (*c < '0' || *c > '9') return false;
    value = value * 10 + static_cast<unsigned long>(*c - '0');
    if (value > 1'000'000) return false;  // uio minors are far below
  }
  number = static_cast<unsigned>(value);
  return true;
}

// ---- the hooks' bodies for tracked fds ----

int open_uio(unsigned number, int flags) noexcept {
  if ((flags & O_DIRECTORY) != 0) {
    errno = ENOTDIR;
    return -1;
  }
  if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
    errno = EEXIST;
    return -1;
  }
  const char* root = std::getenv("HVSIM_ROOT");
  if (root == nullptr || root[0] == '\0') {
    log_line("HVSIM_ROOT is not set: cannot open /dev/uio%u (set it to the --root hvsim runs with)", number);
    errno = ENOENT;
    return -1;
  }
  try {
    std::lock_guard serial(open_mutex);
    Table& t = table();
    std::shared_ptr<Session> session;
    {
      std::lock_guard lock(t.mutex);
      if (const auto it = t.sessions.find(number); it != t.sessions.end()) session = it->second.session;
    }
    if (session) {
      session->check_socket();
      if (session->rescinded.load(std::memory_order_acquire)) {
        // The kernel removes /dev/uioN with the device (uio_unregister_device).
        log_line("cannot open /dev/uio%u: hvsim rescinded or unbound the device", number);
        errno = ENOENT;
        return -1;
      }
    } else {
      int error = 0;
      session = open_session(number, root, error);
      if (!session) {
        errno = error;
        return -1;
      }
      (void)register_eal_memory(*session);  // best effort: logs why not
    }
    const int fd = ::fcntl(session->eventfd, (flags & O_CLOEXEC) != 0 ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
    if (fd < 0) {
      const int error = errno;
      log_line("cannot open /dev/uio%u: duplicating its interrupt eventfd: %s", number, ::strerrordesc_np(error));
      errno = error;
      return -1;  // a session opened just now ends with `session`
    }
    unsigned fds;
    try {
      std::lock_guard lock(t.mutex);
      SessionEntry& entry = t.sessions[number];
      try {
        // uio_open: listener->event_count = the device's count at open.
        t.files.insert_or_assign(fd, OpenFile{session, (flags & O_NONBLOCK) != 0, session->total.load()});
      } catch (...) {
        if (entry.fds == 0) t.sessions.erase(number);
        throw;
      }
      entry.session = session;
      fds = ++entry.fds;
      tracked_count.fetch_add(1, std::memory_order_acq_rel);
    } catch (...) {
      ::syscall(SYS_close, fd);
      throw;
    }
    if (verbose()) log_line("open /dev/uio%u -> fd %d (%u open)", number, fd, fds);
    return fd;
  } catch (...) {  // bad_alloc from the table, system_error from a mutex
    log_line("cannot open /dev/uio%u: out of memory", number);
    errno = ENOMEM;
    return -1;
  }
}

ssize_t read_uio(int fd, Session& session, void* buffer, std::size_t count) noexcept {
  if (count != sizeof(std::int32_t)) {  // uio_read
    errno = EINVAL;
    return -1;
  }
  Table& t = table();
  for (;;) {
    session.check_socket();
    if (session.rescinded.load(std::memory_order_acquire)) {  // uio_read with idev->info gone
      errno = EIO;
      return -1;
    }
    session.take_interrupts();
    bool nonblocking;
    {
      std::lock_guard lock(t.mutex);
      const auto it = t.files.find(fd);
      if (it == t.files.end()) {  // closed by another thread meanwhile
        errno = EBADF;
        return -1;
      }
      const std::uint32_t total = session.total.load(std::memory_order_acquire);
      if (total != it->second.seen) {
        it->second.seen = total;
        std::memcpy(buffer, &total, sizeof total);  // uio returns the total as an s32
        return static_cast<ssize_t>(sizeof total);
      }
      nonblocking = it->second.nonblocking;
    }
    if (nonblocking) {
      errno = EAGAIN;
      return -1;
    }
    pollfd wait[2] = {{session.eventfd, POLLIN, 0}, {session.socket, POLLIN | POLLRDHUP, 0}};
    if (::poll(wait, 2, -1) < 0 && errno == EINTR) return -1;  // uio_read's -ERESTARTSYS
  }
}

ssize_t write_uio(Session& session, const void* buffer, std::size_t count) noexcept {
  if (count != sizeof(std::int32_t)) {  // uio_write
    errno = EINVAL;
    return -1;
  }
  std::int32_t value;
  std::memcpy(&value, buffer, sizeof value);
  if (const int error = session.irqcontrol(value)) {
    errno = error;
    return -1;
  }
  return static_cast<ssize_t>(sizeof value);
}

void* mmap_uio(const char* name, Session& session, void* address, std::size_t length, int prot, int flags,
               off64_t offset) noexcept {
  static const long page = ::sysconf(_SC_PAGESIZE);
  session.check_socket();
  const bool bad_offset = offset < 0 || offset % page != 0;
  const std::uint64_t index = bad_offset ? 0 : static_cast<std::uint64_t>(offset / page);
  // uio_mmap: EINVAL once the device is gone (idev->info NULL), for an index
  // without a map (uio_find_mem_index), and for more pages than the map has.
  const auto pages = [](std::uint64_t bytes) { return (bytes + static_cast<std::uint64_t>(page) - 1) / static_cast<std::uint64_t>(page); };
  if (bad_offset || session.rescinded.load(std::memory_order_acquire) || index >= session.map_count || length == 0 ||
      pages(length) > pages(session.map_sizes[index])) {
    if (verbose()) {
      log_line("mmap of /dev/uio%u at offset %lld, %zu bytes: EINVAL (%u maps)", session.number,
               static_cast<long long>(offset), length, session.map_count);
    }
    errno = EINVAL;
    return MAP_FAILED;
  }
  void* mapped = real_mmap(name, address, length, prot, flags, session.map_fds[index], 0);
  if (verbose()) {
    log_line("mmap of /dev/uio%u map%llu (%s), %zu bytes -> %p", session.number,
             static_cast<unsigned long long>(index), session.map_names[index], length, mapped);
  }
  return mapped;
}

int close_tracked(int fd) noexcept {
  std::shared_ptr<Session> last;  // destroyed after the real close: hvsim sees hv_uio_release
  {
    Table& t = table();
    std::lock_guard lock(t.mutex);
    const auto it = t.files.find(fd);
    if (it != t.files.end()) {
      const unsigned number = it->second.session->number;
      t.files.erase(it);
      tracked_count.fetch_sub(1, std::memory_order_acq_rel);
      if (const auto s = t.sessions.find(number); s != t.sessions.end() && --s->second.fds == 0) {
        last = std::move(s->second.session);
        t.sessions.erase(s);
      }
    }
  }
  const int result = real_close(fd);
  const int error = errno;
  if (last && verbose()) log_line("last close of /dev/uio%u: disconnecting from hvsim", last->number);
  last.reset();
  errno = error;
  return result;
}

// Opens through the hooks: ours for "/dev/uio<N>", libc's otherwise.
int open_any(OpenCall call, int dirfd, const char* path, int flags, mode_t mode) noexcept {
  unsigned number = 0;
  if (parse_uio_path(path, number)) return open_uio(number, flags);
  return real_open(call, dirfd, path, flags, mode);
}

bool takes_mode(int flags) noexcept { return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE; }

}  // namespace
}  // namespace hvsim::uio_preload

// ---- the interposed symbols ----

namespace up = hvsim::uio_preload;

// open(2)'s optional third argument, read only when `flags` say it was
// passed (O_CREAT, O_TMPFILE). A macro: va_start must run in the variadic
// function itself.
#define HVSIM_OPEN_MODE(flags, mode)   \
  mode_t mode = 0;                     \
  if (up::takes_mode(flags)) {         \
    va_list args;                      \
    va_start(args, flags);             \
    mode = va_arg(args, mode_t);       \
    va_end(args);                      \
  }

extern "C" {

// The fortified entry points; <fcntl.h> declares them only with _FORTIFY_SOURCE.
int __open_2(const char* path, int flags);
int __open64_2(const char* path, int flags);
int __openat_2(int dirfd, const char* path, int flags);
int __openat64_2(int dirfd, const char* path, int flags);

HVSIM_PRELOAD_EXPORT int open(const char* path, int flags, ...) {
  HVSIM_OPEN_MODE(flags, mode);
  return up::open_any(up::OpenCall::open, AT_FDCWD, path, flags, mode);
}

HVSIM_PRELOAD_EXPORT int open64(const char* path, int flags, ...) {
  HVSIM_OPEN_MODE(flags, mode);
  return up::open_any(up::OpenCall::open64, AT_FDCWD, path, flags, mode);
}

HVSIM_PRELOAD_EXPORT int openat(int dirfd, const char* path, int flags, ...) {
  HVSIM_OPEN_MODE(flags, mode);
  return up::open_any(up::OpenCall::openat, dirfd, path, flags, mode);
}

HVSIM_PRELOAD_EXPORT int openat64(int dirfd, const char* path, int flags, ...) {
  HVSIM_OPEN_MODE(flags, mode);
  return up::open_any(up::OpenCall::openat64, dirfd, path, flags, mode);
}

HVSIM_PRELOAD_EXPORT int __open_2(const char* path, int flags) { return up::open_any(up::OpenCall::open_2, AT_FDCWD, path, flags, 0); }

HVSIM_PRELOAD_EXPORT int __open64_2(const char* path, int flags) {
  return up::open_any(up::OpenCall::open64_2, AT_FDCWD, path, flags, 0);
}

HVSIM_PRELOAD_EXPORT int __openat_2(int dirfd, const char* path, int flags) {
  return up::open_any(up::OpenCall::openat_2, dirfd, path, flags, 0);
}

HVSIM_PRELOAD_EXPORT int __openat64_2(int dirfd, const char* path, int flags) {
  return up::open_any(up::OpenCall::openat64_2, dirfd, path, flags, 0);
}

HVSIM_PRELOAD_EXPORT void* mmap(void* address, size_t length, int prot, int flags, int fd, off_t offset) noexcept {
  if (std::shared_ptr<up::Session> s = up::session_of(fd)) return up::mmap_uio("mmap", *s, address, length, prot, flags, offset);
  void* mapped = up::real_mmap("mmap", address, length, prot, flags, fd, offset);
  up::note_mapping(mapped, length, flags, fd, offset);
  return mapped;
}

HVSIM_PRELOAD_EXPORT void* mmap64(void* address, size_t length, int prot, int flags, int fd, off64_t offset) noexcept {
  if (std::shared_ptr<up::Session> s = up::session_of(fd)) {
    return up::mmap_uio("mmap64", *s, address, length, prot, flags, offset);
  }
  void* mapped = up::real_mmap("mmap64", address, length, prot, flags, fd, offset);
  up::note_mapping(mapped, length, flags, fd, offset);
  return mapped;
}

HVSIM_PRELOAD_EXPORT ssize_t read(int fd, void* buffer, size_t count) {
  if (std::shared_ptr<up::Session> s = up::session_of(fd)) return up::read_uio(fd, *s, buffer, count);
  return up::real_read(fd, buffer, count);
}

HVSIM_PRELOAD_EXPORT ssize_t write(int fd, const void* buffer, size_t count) {
  if (std::shared_ptr<up::Session> s = up::session_of(fd)) return up::write_uio(*s, buffer, count);
  return up::real_write(fd, buffer, count);
}

HVSIM_PRELOAD_EXPORT int memfd_create(const char* name, unsigned int flags) noexcept {
  return up::create_memfd(name, flags);
}

HVSIM_PRELOAD_EXPORT int close(int fd) {
  up::forget_fd(fd);
  if (up::tracked_count.load(std::memory_order_acquire) == 0) return up::real_close(fd);
  return up::close_tracked(fd);
}

}  // extern "C"
