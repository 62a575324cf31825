// File: sim/dpdk/uio_preload_session.h (internal to libhvsim_uio_preload.so)
//
// One open of an hvsim uio endpoint, held by the LD_PRELOAD shim
// (uio_preload.cc) for all the process's fds of one /dev/uioN. It holds the
// connection to $HVSIM_ROOT/dev/uioN (vmbus/backing/endpoint_protocol.h), the
// map fds and sizes from DeviceReply, the interrupt eventfd, and uio's running
// interrupt total (uio.c: idev->event).
//
// The kernel refcounts the opens of /dev/uioN (hv_uio_open and hv_uio_release
// call vmbus_connect_ring on the first and vmbus_disconnect_ring on the last).
// hvsim instead answers a second connection with EBUSY. So the shim connects
// once per N and shares the Session, and destroying it is the last close.
//
// Nothing here calls a hooked libc function on an fd the shim tracks. The
// Session's own fds are closed with syscall(SYS_close). Every function is
// noexcept and reports failure as an errno, so nothing throws into C callers.
//
// Usage:
//   int error = 0;
//   std::shared_ptr<Session> s = open_session(0, "/dev/shm/vm1", error);  // logs why on failure
//   if (!s) { errno = error; return -1; }
//   s->take_interrupts();            // adds the eventfd's count to s->total
//   int e = s->irqcontrol(0);        // write(fd, &s32, 4): 0 or an errno
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "vmbus/backing/endpoint_protocol.h"

namespace hvsim::uio_preload {

// One line on stderr, "hvsim_uio_preload: " + the text. It is written with
// a raw write(2) syscall, so it neither allocates nor passes through the hooks.
[[gnu::format(printf, 1, 2)]] void log_line(const char* format, ...) noexcept;
// HVSIM_PRELOAD_LOG=1: also log each session, open, mmap and close.
bool verbose() noexcept;

class Session {
 public:
  Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // Closes the socket (hvsim sees the last close: vmbus_disconnect_ring), the
  // map fds and the eventfd. Mappings made from the map fds stay valid.
  ~Session();

  // hv_uio_irqcontrol through the endpoint: sends IrqControl{value} and waits
  // for IrqControlResult. Returns 0 or an errno (EIO once rescinded).
  int irqcontrol(std::int32_t value) noexcept;
  // RegisterMemory{gpa_base, size} with `memfd` (passed as a copy): hvsim
  // then reaches those GPAs through the memfd instead of reading this
  // process by address. Returns 0 or an errno (hvsim's refusal, or EIO).
  int register_memory(std::uint64_t gpa_base, std::uint64_t size, int memfd) noexcept;
  // Adds the interrupts the eventfd counted since the last call to `total`.
  void take_interrupts() noexcept;
  // Reads what hvsim sent unasked: Rescinded or a hang-up sets `rescinded`.
  // It does not block, and does nothing while another thread is in irqcontrol().
  void check_socket() noexcept;

  unsigned number = 0;  // N of /dev/uioN
  int socket = -1;
  int eventfd = -1;
  std::uint32_t map_count = 0;
  std::array<int, vmbus::endpoint::kMaxMaps> map_fds{-1, -1, -1, -1, -1};
  std::array<std::uint64_t, vmbus::endpoint::kMaxMaps> map_sizes{};
  std::array<char[vmbus::endpoint::kMapNameSize], vmbus::endpoint::kMaxMaps> map_names{};
  // uio's idev->event: the interrupts since the open, as uio_read returns them.
  std::atomic<std::uint32_t> total{0};
  std::atomic<bool> rescinded{false};

 private:
  // Reads one message the caller knows is there (or waits for it). Returns 0,
  // or an errno; sets `rescinded` on Rescinded or a hang-up.
  int receive_unsolicited() noexcept;
  // Sends `request` (with `fds`) and waits for its `expected` reply, reading
  // a Rescinded or an error that comes first. 0 with the reply's `result`,
  // or an errno (EIO: rescinded, no reply in time, or a malformed one).
  int call(std::span<const std::byte> request, std::span<const int> fds, vmbus::endpoint::MessageType expected,
           const char* what, std::int32_t& result) noexcept;
  std::mutex socket_mutex_;  // one request and its reply at a time
};

// Connects to ROOT/dev/uioN and does the Hello/DeviceReply handshake, checking
// every field (hvsim is as untrusted as a host). On failure: nullptr, `error`
// holds the errno the open should fail with, and one line on stderr says why.
std::shared_ptr<Session> open_session(unsigned number, const char* root, int& error) noexcept;

}  // namespace hvsim::uio_preload
