// Opening, locking, reading and rewriting one pool file.
#include "locked_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "kvp/pool/record.h"

namespace kvp::pool::detail {
namespace {

PoolError io_error(const std::filesystem::path& path, const char* operation, int err) {
  PoolError e;
  e.code = PoolErrc::io_error;
  e.sys_errno = err;
  e.path = path.string();
  e.operation = operation;
  return e;
}

// kvp_file_init: mkdir(KVP_CONFIG_LOC, 0755) when it is missing, one level.
PoolStatus ensure_directory(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), kDirectoryMode) == 0) {
    // The mode, whatever the umask took away.
    if (::chmod(dir.c_str(), kDirectoryMode) != 0) return io_error(dir, "chmod", errno);
    return {};
  }
  if (errno != EEXIST) return io_error(dir, "mkdir", errno);
  return {};
}

// open(O_RDWR | O_CREAT, 0644) as kvp_file_init does, but a file we create
// gets exactly 0644 whatever the umask.
PoolResult<vmbus::UniqueFd> open_for_write(const std::filesystem::path& path) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    vmbus::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode));
    if (fd) {
      if (::fchmod(fd.get(), kFileMode) != 0) return io_error(path, "chmod", errno);
      return fd;
    }
    if (errno == EINTR) continue;
    if (errno != EEXIST) return io_error(path, "open", errno);
    fd.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (fd) return fd;
    // Removed between the two opens: try to create it again.
    if (errno != ENOENT && errno != EINTR) return io_error(path, "open", errno);
  }
  return io_error(path, "open", ENOENT);
}

}  // namespace

PoolResult<LockedFile> LockedFile::open(const std::filesystem::path& path, Access access) {
  vmbus::UniqueFd fd;
  short lock_type = F_WRLCK;
  if (access == Access::write) {
    if (auto s = ensure_directory(path.parent_path()); !s) return s.error();
    auto opened = open_for_write(path);
    if (!opened) return opened.error();
    fd = std::move(*opened);
  } else {
    do {
      fd.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    } while (!fd && errno == EINTR);
    if (!fd && (errno == EACCES || errno == EPERM || errno == EROFS)) {
      // Not ours to write (the daemon's files are 0644 root): a read lock
      // still waits for, and holds off, every writer.
      do {
        fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      } while (!fd && errno == EINTR);
      lock_type = F_RDLCK;
    }
    if (!fd) {
      if (errno == ENOENT) return LockedFile(path, vmbus::UniqueFd());  // an empty pool
      return io_error(path, "open", errno);
    }
  }
  LockedFile file(path, std::move(fd));
  if (auto s = file.lock(lock_type); !s) return s.error();
  if (auto s = file.read_all(); !s) return s.error();
  return file;
}

LockedFile::~LockedFile() {
  if (fd_ && locked_) {
    // kvp_release_lock. Closing the descriptor would release it too.
    struct flock fl {};
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    (void)::fcntl(fd_.get(), F_SETLK, &fl);
  }
}

PoolStatus LockedFile::lock(short type) {
  // kvp_acquire_lock: {F_WRLCK, SEEK_SET, 0, 0}: the whole file, now and as it grows.
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  while (::fcntl(fd_.get(), F_SETLKW, &fl) != 0) {
    if (errno != EINTR) return io_error(path_, "lock", errno);
  }
  locked_ = true;
  return {};
}

PoolStatus LockedFile::read_all() {
  // Read to the end rather than trusting st_size: the lock holder is the
  // only writer now, but the size is only a hint for the allocation.
  struct stat st {};
  if (::fstat(fd_.get(), &st) == 0 && st.st_size > 0) contents_.reserve(static_cast<std::size_t>(st.st_size));
  std::byte chunk[64 * 1024];
  off_t offset = 0;
  for (;;) {
    const ssize_t n = ::pread(fd_.get(), chunk, sizeof chunk, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(path_, "read", errno);
    }
    if (n == 0) return {};
    contents_.insert(contents_.end(), chunk, chunk + n);
    offset += n;
  }
}

PoolStatus LockedFile::rewrite(std::span<const std::byte> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(fd_.get(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(path_, "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  while (::ftruncate(fd_.get(), static_cast<off_t>(bytes.size())) != 0) {
    if (errno != EINTR) return io_error(path_, "truncate", errno);
  }
  contents_.assign(bytes.begin(), bytes.end());
  return {};
}

}  // namespace kvp::pool::detail
