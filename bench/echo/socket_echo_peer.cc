// The socketpair echo reference: a forked child and this process.
#include "echo/socket_echo_peer.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "echo/echo_payload.h"
#include "common/stop_signal.h"

namespace bench::echo {
namespace {

using Clock = std::chrono::steady_clock;

std::runtime_error socket_error(const char* call, std::uint32_t payload, std::uint64_t id, int error) {
  return std::runtime_error("socket echo, " + std::to_string(payload) + " B: " + call + " (message " +
                            std::to_string(id) + "): " + std::strerror(error));
}

// The child: echo every message until end-of-file; no allocation after fork.
[[noreturn]] void echo_forever(int fd, std::byte* buffer, std::size_t size) {
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, size, 0);
    if (n == 0) ::_exit(0);  // the parent closed its end
    if (n < 0) {
      if (errno == EINTR) continue;
      ::_exit(1);
    }
    for (;;) {
      const ssize_t sent = ::send(fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      if (sent == n) break;
      if (sent < 0 && errno == EINTR) continue;
      ::_exit(sent < 0 && errno == EPIPE ? 0 : 1);
    }
  }
}

}  // namespace

SocketEchoPeer::SocketEchoPeer(std::uint32_t max_payload) : rx_(max_payload + 64) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::runtime_error(std::string("socketpair(AF_UNIX, SOCK_SEQPACKET): ") + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  child_ = ::fork();
  if (child_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the benchmark
    if (::getppid() != parent) ::_exit(1);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    ::close(fds[0]);
    echo_forever(fds[1], rx_.data(), rx_.size());
  }
  const int fork_errno = errno;
  ::close(fds[1]);
  fd_ = fds[0];
  if (child_ < 0) {
    ::close(fd_);
    throw std::runtime_error(std::string("fork for the socket echo child: ") + std::strerror(fork_errno));
  }
  const timeval timeout{.tv_sec = 5, .tv_usec = 0};
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
    const int e = errno;
    shut_down();
    throw std::runtime_error(std::string("setsockopt(SO_RCVTIMEO) on the echo socket: ") + std::strerror(e));
  }
}

SocketEchoPeer::~SocketEchoPeer() { shut_down(); }

void SocketEchoPeer::shut_down() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (child_ <= 0) return;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(child_, &status, WNOHANG);
    if (r == child_ || (r < 0 && errno != EINTR)) break;
    if (Clock::now() > deadline) {
      ::kill(child_, SIGKILL);
      while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  child_ = -1;
}

std::size_t SocketEchoPeer::receive(bool block, std::uint32_t payload, std::uint64_t expected) {
  for (;;) {
    const ssize_t n = ::recv(fd_, rx_.data(), rx_.size(), block ? 0 : MSG_DONTWAIT);
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) {
      throw std::runtime_error("socket echo, " + std::to_string(payload) + " B: the echo child closed the socket");
    }
    if (errno == EINTR) {
      throw_if_stopped();
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!block) return 0;
      throw std::runtime_error("socket echo, " + std::to_string(payload) + " B: no echo of message " +
                               std::to_string(expected) + " within 5 s (SO_RCVTIMEO)");
    }
    throw socket_error("recv", payload, expected, errno);
  }
}

LatencyRun SocketEchoPeer::latency(std::uint32_t payload, std::uint32_t round_trips) {
  EchoPayload sent(payload, "socket echo");
  LatencyRun run;
  run.rtt_us.reserve(round_trips);
  for (std::uint32_t i = 0; i < round_trips; ++i) {
    throw_if_stopped();
    const std::uint64_t id = next_id_++;
    const std::span<const std::byte> bytes = sent.stamp(id);
    const Clock::time_point t0 = Clock::now();
    for (;;) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n == static_cast<ssize_t>(bytes.size())) break;
      if (n < 0 && errno == EINTR) {
        throw_if_stopped();
        continue;
      }
      throw socket_error("send", payload, id, n < 0 ? errno : EMSGSIZE);
    }
    const std::size_t got = receive(/*block=*/true, payload, id);
    const Clock::time_point t1 = Clock::now();
    run.rtt_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    sent.check(std::span(rx_.data(), got), id, /*slack=*/0, /*all_bytes=*/true);
  }
  return run;
}

ThroughputRun SocketEchoPeer::throughput(std::uint32_t payload, std::uint32_t window,
                                         std::chrono::milliseconds duration) {
  EchoPayload sent(payload, "socket echo");
  const std::uint64_t first = next_id_;
  std::uint64_t expected = first;
  std::uint32_t in_flight = 0;
  ThroughputRun run;

  const Clock::time_point start = Clock::now();
  const Clock::time_point end_of_sending = start + duration;
  Clock::time_point now = start;
  bool sending = true;
  for (;;) {
    throw_if_stopped();
    if (sending && now >= end_of_sending) sending = false;
    if (!sending && in_flight == 0) break;

    if (sending && in_flight <= window / 2) {
      std::uint32_t written = 0;
      while (in_flight < window) {
        const std::span<const std::byte> bytes = sent.stamp(next_id_);
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;  // the socket buffer caps the window
        if (n < 0 && errno == EINTR) {
          throw_if_stopped();
          continue;
        }
        if (n != static_cast<ssize_t>(bytes.size()))
          throw socket_error("send", payload, next_id_, n < 0 ? errno : EMSGSIZE);
        ++next_id_;
        ++in_flight;
        ++written;
      }
      if (written != 0) {
        ++run.batches;
        run.max_in_flight = std::max(run.max_in_flight, in_flight);
      }
    }
    if (in_flight == 0) {
      throw std::runtime_error("socket echo, " + std::to_string(payload) + " B: an empty socket refuses a message");
    }

    // One echo, waiting for it; then every other one there is.
    bool block = true;
    while (in_flight != 0) {
      const std::size_t got = receive(block, payload, expected);
      if (got == 0) break;
      sent.check(std::span(rx_.data(), got), expected, /*slack=*/0, /*all_bytes=*/false);
      ++expected;
      --in_flight;
      block = false;
    }
    now = Clock::now();
  }
  run.seconds = std::chrono::duration<double>(now - start).count();
  run.packets = expected - first;
  run.payload_bytes = run.packets * payload;
  return run;
}

}  // namespace bench::echo
