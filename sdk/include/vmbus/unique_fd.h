// File: vmbus/unique_fd.h
//
// An owned file descriptor, closed on destruction: every fd the SDK and hvsim
// open or receive (uio nodes, sockets, memfds, eventfds, epoll and inotify
// fds) lives in one, so every error path releases what it holds.
//
// Usage:
//   vmbus::UniqueFd fd(::open(path, O_RDWR | O_CLOEXEC));
//   if (!fd) throw_errno(...);
//   ::read(fd.get(), &v, sizeof v);
#pragma once

#include <unistd.h>

#include <utility>

namespace vmbus {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  // close(2) is not retried on EINTR: on Linux the fd is gone either way.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace vmbus
