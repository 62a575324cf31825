// File-system helpers: atomic replacement through the staging directory.
#include "fs_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "unique_fd.h"

namespace hvsim::fs {

std::string errno_text(int error) {
  char buf[128];
  // GNU strerror_r returns the message (maybe not in buf).
  return ::strerror_r(error, buf, sizeof buf);
}

void throw_errno(std::string_view what, const stdfs::path& path, int error) {
  throw std::runtime_error(std::string(what) + " " + path.string() + ": " + errno_text(error));
}

namespace {

void write_all(int fd, std::string_view content, const stdfs::path& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write", path, errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

void write_new(const stdfs::path& path, std::string_view content, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) throw_errno("cannot create", path, errno);
  write_all(fd.get(), content, path);
  // The umask may have cut the mode at creation.
  if (::fchmod(fd.get(), mode) != 0) throw_errno("cannot chmod", path, errno);
}

stdfs::path unique_temp(const stdfs::path& staging, std::string_view hint) {
  static std::atomic<std::uint64_t> next{0};
  return staging / (std::string(hint) + "." + std::to_string(::getpid()) + "." + std::to_string(next.fetch_add(1)));
}

void replace(const stdfs::path& path, std::string_view content, mode_t mode, const stdfs::path& staging) {
  const stdfs::path tmp = unique_temp(staging, path.filename().string());
  write_new(tmp, content, mode);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw_errno("cannot replace", path, e);
  }
}

void replace_symlink(const stdfs::path& path, const stdfs::path& target, const stdfs::path& staging) {
  const stdfs::path tmp = unique_temp(staging, path.filename().string());
  if (::symlink(target.c_str(), tmp.c_str()) != 0) throw_errno("cannot create symlink", tmp, errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw_errno("cannot replace", path, e);
  }
}

void make_dir(const stdfs::path& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) throw_errno("cannot create directory", path, errno);
  ::chmod(path.c_str(), mode);
}

std::optional<std::string> read_small(const stdfs::path& path, std::size_t max) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string text(max, '\0');
  std::size_t done = 0;
  while (done < max) {
    const ssize_t n = ::read(fd.get(), text.data() + done, max - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

void remove_tree(const stdfs::path& path, const stdfs::path& staging) noexcept {
  std::error_code ec;
  stdfs::path victim = path;
  if (!staging.empty()) {
    const stdfs::path tmp = unique_temp(staging, "removed");
    if (::rename(path.c_str(), tmp.c_str()) == 0) victim = tmp;
  }
  stdfs::remove_all(victim, ec);
}

}  // namespace hvsim::fs
