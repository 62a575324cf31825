// File: src/backing/endpoint_socket.h (internal)
//
// Datagram I/O for the endpoint protocol (vmbus/backing/endpoint_protocol.h):
// one SOCK_SEQPACKET message per call, with the file descriptors that travel
// on it as SCM_RIGHTS. No protocol knowledge here; SocketEndpointBacking
// validates what arrives. Received fds land in UniqueFds, so a message that is
// rejected, or carries fds nobody expected, leaks nothing.
//
// Usage:
//   vmbus::detail::send_message(sock, std::as_bytes(std::span(&hello, 1)), {});
//   vmbus::detail::ReceivedMessage m;
//   if (int err = vmbus::detail::receive_message(sock, buffer, m, MSG_DONTWAIT)) ...;
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <span>

#include "unique_fd.h"

namespace vmbus::detail {

// More than any message carries (at most kMaxMaps + 1), so that a server that
// sends too many is reported with the count rather than silently cut.
inline constexpr std::size_t kMaxReceivedFds = 16;

struct ReceivedMessage {
  std::size_t size = 0;            // the datagram's real length (0: the peer closed)
  bool truncated = false;          // longer than the buffer (MSG_TRUNC)
  bool fds_truncated = false;      // more fds than kMaxReceivedFds (MSG_CTRUNC)
  bool foreign_control = false;    // a control message other than SCM_RIGHTS
  std::array<UniqueFd, kMaxReceivedFds> fds;
  std::size_t fd_count = 0;
};

// sendmsg of `bytes` with `fds` attached (at most kMaxReceivedFds), with
// MSG_NOSIGNAL. Returns 0 or an errno (EPIPE/ECONNRESET: the peer is gone).
int send_message(int socket, std::span<const std::byte> bytes, std::span<const int> fds) noexcept;

// recvmsg of one datagram into `buffer` (MSG_CMSG_CLOEXEC | MSG_TRUNC |
// `flags`). Returns 0 or an errno (EAGAIN with MSG_DONTWAIT and nothing there).
// `out` is reset first.
int receive_message(int socket, std::span<std::byte> buffer, ReceivedMessage& out, int flags) noexcept;

// poll(POLLIN) up to `timeout`, retrying on EINTR with the time left.
// Returns 0 (readable, or hung up), ETIMEDOUT, or an errno.
int wait_readable(int fd, std::chrono::milliseconds timeout) noexcept;

}  // namespace vmbus::detail
