// SOCK_SEQPACKET datagrams with SCM_RIGHTS for the endpoint protocol.
#include "endpoint_socket.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace vmbus::detail {

int send_message(int socket, std::span<const std::byte> bytes, std::span<const int> fds) noexcept {
  if (fds.size() > kMaxReceivedFds) return EINVAL;
  iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxReceivedFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    std::memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (c == nullptr) return EINVAL;  // cannot happen: msg_controllen covers one header
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do {
    n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  // SEQPACKET sends a datagram whole or not at all.
  return static_cast<std::size_t>(n) == bytes.size() ? 0 : EMSGSIZE;
}

int receive_message(int socket, std::span<std::byte> buffer, ReceivedMessage& out, int flags) noexcept {
  out = ReceivedMessage{};
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxReceivedFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC | MSG_TRUNC | flags);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno;

  // Take ownership of every fd first, whatever else is wrong with the message.
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
      out.foreign_control = true;
      continue;
    }
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (out.fd_count < kMaxReceivedFds) {
        out.fds[out.fd_count++].reset(fd);
      } else {
        ::close(fd);
        out.fds_truncated = true;
      }
    }
  }
  out.size = static_cast<std::size_t>(n);
  out.truncated = (msg.msg_flags & MSG_TRUNC) != 0 || out.size > buffer.size();
  if ((msg.msg_flags & MSG_CTRUNC) != 0) out.fds_truncated = true;
  return 0;
}

int wait_readable(int fd, std::chrono::milliseconds timeout) noexcept {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    const int wait_ms = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : static_cast<int>(left);
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, wait_ms);
    if (r > 0) return 0;
    if (r == 0) return ETIMEDOUT;
    if (errno != EINTR) return errno;
  }
}

}  // namespace vmbus::detail
