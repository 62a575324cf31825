// The AF_UNIX SOCK_SEQPACKET reference of nic_bench.
#include "nic/unix_reference.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "common/stop_signal.h"

namespace bench::nic {
namespace {

using Clock = std::chrono::steady_clock;

// The child: receive batches until the parent closes its end.
[[noreturn]] void drain(int fd, std::uint32_t frame_size, std::uint32_t burst) {
  std::vector<std::byte> storage(std::size_t{frame_size} * burst);
  std::vector<iovec> iov(burst);
  std::vector<mmsghdr> msgs(burst);
  for (std::uint32_t i = 0; i < burst; ++i) {
    iov[i] = {storage.data() + std::size_t{i} * frame_size, frame_size};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  for (;;) {
    const int n = ::recvmmsg(fd, msgs.data(), burst, MSG_WAITFORONE, nullptr);
    if (n == 0 || (n < 0 && errno != EINTR)) ::_exit(0);
    if (n > 0 && msgs[0].msg_len == 0) ::_exit(0);  // end of stream
  }
}

}  // namespace

Summary unix_reference_mpps(std::uint32_t frame_size, std::uint32_t burst, std::uint32_t duration_ms,
                            std::uint32_t repetitions) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::runtime_error(std::string("reference: socketpair: ") + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("reference: fork: ") + std::strerror(errno));
  }
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(0);
    ::close(fds[0]);
    drain(fds[1], frame_size, burst);
  }
  ::close(fds[1]);
  std::vector<std::byte> frame(frame_size, std::byte{0x5a});
  std::vector<iovec> iov(burst, iovec{frame.data(), frame_size});
  std::vector<mmsghdr> msgs(burst);
  for (std::uint32_t i = 0; i < burst; ++i) {
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  std::vector<double> mpps;
  std::string error;
  for (std::uint32_t r = 0; r < repetitions + 1 && error.empty(); ++r) {  // the first is a warm-up
    std::uint64_t sent = 0;
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::milliseconds(r == 0 ? duration_ms / 5 + 1 : duration_ms);
    while (Clock::now() < end) {
      const int n = ::sendmmsg(fds[0], msgs.data(), burst, 0);
      if (n < 0) {
        if (errno == EINTR) {
          if (stop_requested()) break;
          continue;
        }
        error = std::string("reference: sendmmsg: ") + std::strerror(errno);
        break;
      }
      sent += static_cast<std::uint64_t>(n);
    }
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (r > 0) mpps.push_back(static_cast<double>(sent) / s / 1e6);
  }
  ::close(fds[0]);  // the child sees end of stream and exits
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  throw_if_stopped();
  if (!error.empty()) throw std::runtime_error(error);
  return summarize(std::move(mpps));
}

}  // namespace bench::nic
