// File: bench/echo/socket_echo_peer.h
//
// The reference: the same echo between the same kind of two processes, over
// the kernel's ordinary IPC. A forked child echoes every message it receives
// on one end of socketpair(AF_UNIX, SOCK_SEQPACKET) (message boundaries kept,
// like VMBus packets) with blocking recv() and send(); this process uses the
// other end.
//
//   latency     send() one message, blocking recv() of its echo; repeat.
//   throughput  the VMBus path's window rule: whenever half or more of the
//               window came back, send() (MSG_DONTWAIT) until the window is
//               full or the socket buffer is (EAGAIN caps the window, as a
//               full ring does); then a blocking recv() of one echo and
//               MSG_DONTWAIT recv()s of every other one there is. Sends
//               never block, so neither side can wait on the other for good.
// A 5 s receive timeout (SO_RCVTIMEO) turns a dead child into an error.
//
// Usage:
//   SocketEchoPeer peer(4000);                       // forks; throws std::runtime_error
//   LatencyRun l = peer.latency(64, 1000);
//   ThroughputRun t = peer.throughput(64, 64, std::chrono::milliseconds(1000));
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "echo/echo_measurement.h"

namespace bench::echo {

class SocketEchoPeer {
 public:
  // Forks the echo child, which accepts messages up to `max_payload` bytes.
  // Call before anything starts threads.
  explicit SocketEchoPeer(std::uint32_t max_payload);
  // Closes this end (the child sees end-of-file and exits) and reaps the
  // child, SIGKILL after 5 s.
  ~SocketEchoPeer();
  SocketEchoPeer(const SocketEchoPeer&) = delete;
  SocketEchoPeer& operator=(const SocketEchoPeer&) = delete;

  pid_t pid() const noexcept { return child_; }

  LatencyRun latency(std::uint32_t payload, std::uint32_t round_trips);
  ThroughputRun throughput(std::uint32_t payload, std::uint32_t window, std::chrono::milliseconds duration);

 private:
  // Closes this end and reaps the child.
  void shut_down() noexcept;
  // One message into rx_, blocking or not; its length, or 0 for EAGAIN
  // (non-blocking only). Throws on errors, timeouts and end-of-file.
  std::size_t receive(bool block, std::uint32_t payload, std::uint64_t expected);

  int fd_ = -1;
  pid_t child_ = -1;
  std::vector<std::byte> rx_;
  std::uint64_t next_id_ = 1;
};

}  // namespace bench::echo
