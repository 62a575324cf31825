// Session: the shim's connection to one hvsim endpoint, and its handshake.
#include "uio_preload_session.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "endpoint_messages.h"
#include "endpoint_reply_checks.h"
#include "endpoint_socket.h"

namespace hvsim::uio_preload {

namespace ep = vmbus::endpoint;
using vmbus::detail::bytes_of;
using vmbus::detail::is_eventfd;
using vmbus::detail::valid_map_name;
using vmbus::detail::load;
using vmbus::detail::ReceivedMessage;

namespace {

// As long as the SDK's SocketEndpointOptions::reply_timeout: hvsim answers
// from its event loop, in microseconds unless it is stuck.
constexpr std::chrono::milliseconds kReplyTimeout{5000};

void close_fd(int fd) noexcept {
  if (fd >= 0) ::syscall(SYS_close, fd);
}

const char* error_text(int error) noexcept {
  const char* text = ::strerrordesc_np(error);  // thread-safe, unlike strerror
  return text != nullptr ? text : "unknown error";
}

// The errno an open of /dev/uioN gets when connect() to its endpoint fails.
// uio_open answers -ENODEV when the minor has no device (idr_find fails); a
// stale socket nobody listens on, or a file that is no endpoint, is that.
int open_errno_for_connect(int error) noexcept {
  switch (error) {
    case ECONNREFUSED:
    case ENOTSOCK:
    case EPROTOTYPE: return ENODEV;
    default: return error;  // ENOENT (no node), EACCES, ...
  }
}

// Checks DeviceReply and its fds, and moves them into `session`. Returns 0,
// or the errno for the open after logging what was wrong.
int take_device_reply(Session& session, const char* node, std::span<const std::byte> reply, ReceivedMessage& m) noexcept {
  if (m.size != sizeof(ep::DeviceReply)) {
    log_line("%s: DeviceReply is %zu bytes, expected %zu", node, m.size, sizeof(ep::DeviceReply));
    return EIO;
  }
  if (m.foreign_control) {
    log_line("%s: DeviceReply carries a control message other than SCM_RIGHTS", node);
    return EIO;
  }
  const auto device = load<ep::DeviceReply>(reply);
  if (device.map_count == 0 || device.map_count > ep::kMaxMaps) {
    log_line("%s: DeviceReply announces %u maps, expected 1 to %u", node, device.map_count, ep::kMaxMaps);
    return EIO;
  }
  if (device.interrupt_kind != static_cast<std::uint32_t>(ep::InterruptKind::eventfd)) {
    log_line("%s: DeviceReply has interrupt_kind %u; this shim serves hvsim's endpoints (eventfd, 0) only", node,
             device.interrupt_kind);
    return EIO;
  }
  const std::size_t fds_expected = std::size_t{device.map_count} + 1;
  if (m.fds_truncated || m.fd_count != fds_expected) {
    log_line("%s: DeviceReply carries %s%zu file descriptors, expected map_count + 1 = %zu", node,
             m.fds_truncated ? "more than " : "", m.fd_count, fds_expected);
    return EIO;
  }
  for (std::uint32_t k = 0; k < device.map_count; ++k) {
    const ep::MapInfo& info = device.maps[k];
    if (!valid_map_name(info)) {
      log_line("%s: map %u: the name is empty, not NUL-terminated or not printable", node, k);
      return EIO;
    }
    struct stat st {};
    if (info.size == 0 || info.offset != 0 || info.mmap_offset != 0 || ::fstat(m.fds[k].get(), &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<std::uint64_t>(st.st_size) != info.size) {
      log_line("%s: map %u (%s): size %llu, offset %llu: expected a non-zero size, offsets 0, and a memory "
               "file that holds exactly that size",
               node, k, info.name, static_cast<unsigned long long>(info.size),
               static_cast<unsigned long long>(info.offset));
      return EIO;
    }
  }
  if (!is_eventfd(m.fds[device.map_count].get())) {
    log_line("%s: the last file descriptor of DeviceReply is not an eventfd", node);
    return EIO;
  }
  for (std::uint32_t k = 0; k < device.map_count; ++k) {
    session.map_sizes[k] = device.maps[k].size;
    std::memcpy(session.map_names[k], device.maps[k].name, ep::kMapNameSize);
    session.map_fds[k] = m.fds[k].release();
  }
  session.map_count = device.map_count;
  session.eventfd = m.fds[device.map_count].release();
  return 0;
}

// Connect, Hello, DeviceReply. Returns 0 or the errno for the open.
int handshake(Session& session, const char* node) noexcept {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::size_t length = std::strlen(node);
  if (length >= sizeof address.sun_path) {
    log_line("cannot connect to %s: the path is %zu bytes, longer than a UNIX socket address allows (%zu): "
             "use a shorter hvsim --root", node, length, sizeof address.sun_path - 1);
    return ENAMETOOLONG;
  }
  std::memcpy(address.sun_path, node, length + 1);
  session.socket = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (session.socket < 0) {
    const int error = errno;
    log_line("cannot create a socket for %s: %s", node, error_text(error));
    return error;
  }
  int r;
  do {
    r = ::connect(session.socket, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    const int error = errno;
    log_line("cannot connect to %s: %s%s", node, error_text(error),
             error == ECONNREFUSED ? " (is hvsim running on that root?)"
             : error == EPROTOTYPE ? " (not an hvsim endpoint: the socket is not SOCK_SEQPACKET)"
                                   : "");
    return open_errno_for_connect(error);
  }

  const ep::Hello hello{{static_cast<std::uint32_t>(ep::MessageType::hello), sizeof(ep::Hello)}, ep::kMagic, ep::kVersion};
  if (int error = vmbus::detail::send_message(session.socket, bytes_of(hello), {})) {
    log_line("%s: sending Hello: %s", node, error_text(error));
    return EIO;
  }
  if (int error = vmbus::detail::wait_readable(session.socket, kReplyTimeout)) {
    log_line("%s: no reply to Hello within %lld ms: %s", node, static_cast<long long>(kReplyTimeout.count()),
             error_text(error));
    return EIO;
  }
  alignas(8) std::byte buffer[ep::kMaxMessageSize];
  ReceivedMessage m;
  if (int error = vmbus::detail::receive_message(session.socket, buffer, m, MSG_DONTWAIT)) {
    log_line("%s: receiving the reply to Hello: %s", node, error_text(error));
    return EIO;
  }
  if (m.size == 0) {
    log_line("%s: hvsim closed the connection instead of answering Hello", node);
    return EIO;
  }
  if (m.truncated || m.size < sizeof(ep::MessageHeader)) {
    log_line("%s: the reply to Hello is %zu bytes: not a message of the endpoint protocol", node, m.size);
    return EIO;
  }
  const std::span<const std::byte> reply(buffer, m.size);
  const auto header = load<ep::MessageHeader>(reply);
  if (header.size != m.size) {
    log_line("%s: the reply's header says %u bytes but %zu arrived", node, header.size, m.size);
    return EIO;
  }
  if (header.type == static_cast<std::uint32_t>(ep::MessageType::error) && m.size == sizeof(ep::ErrorReply)) {
    const auto refusal = load<ep::ErrorReply>(reply);
    const int error = refusal.error > 0 && refusal.error < 4096 ? refusal.error : EIO;
    log_line("hvsim refused /dev/uio%u: %s: %.*s", session.number, error_text(error),
             static_cast<int>(::strnlen(refusal.message, sizeof refusal.message)), refusal.message);
    return error;  // EBUSY: another process has it open; EIO: unbound
  }
  if (header.type != static_cast<std::uint32_t>(ep::MessageType::device_reply)) {
    log_line("%s: expected DeviceReply in answer to Hello, got %s", node,
             vmbus::detail::message_type_name(header.type).c_str());
    return EIO;
  }
  return take_device_reply(session, node, reply, m);
}

}  // namespace

void log_line(const char* format, ...) noexcept {
  char line[512] = "hvsim_uio_preload: ";
  const std::size_t prefix = std::strlen(line);
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(line + prefix, sizeof line - prefix - 1, format, args);
  va_end(args);
  std::size_t length = prefix + (n < 0 ? 0 : static_cast<std::size_t>(n));
  if (length > sizeof line - 2) length = sizeof line - 2;
  line[length++] = '\n';
  ::syscall(SYS_write, 2, line, length);
}

bool verbose() noexcept {
  static const bool on = [] {
    const char* v = std::getenv("HVSIM_PRELOAD_LOG");
    return v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
  }();
  return on;
}

Session::~Session() {
  close_fd(socket);
  for (int fd : map_fds) close_fd(fd);
  close_fd(eventfd);
}

void Session::take_interrupts() noexcept {
  std::uint64_t count = 0;
  // The eventfd is non-blocking (hvsim creates it with EFD_NONBLOCK): EAGAIN
  // means no interrupt since the last read.
  if (::syscall(SYS_read, eventfd, &count, sizeof count) == sizeof count) {
    total.fetch_add(static_cast<std::uint32_t>(count), std::memory_order_acq_rel);
  }
}

void Session::check_socket() noexcept {
  if (rescinded.load(std::memory_order_acquire)) return;
  std::unique_lock lock(socket_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // irqcontrol() is reading the socket: it sees a rescind itself
  while (receive_unsolicited() == 0) {
  }
}

int Session::receive_unsolicited() noexcept {
  alignas(8) std::byte buffer[ep::kMaxMessageSize];
  ReceivedMessage m;
  const int error = vmbus::detail::receive_message(socket, buffer, m, MSG_DONTWAIT);
  if (error == EAGAIN || error == EWOULDBLOCK) return EAGAIN;
  if (error == ECONNRESET || (error == 0 && m.size == 0)) {
    rescinded.store(true, std::memory_order_release);  // hvsim hung up: as gone as a rescind
    return EIO;
  }
  if (error != 0) return error;
  if (m.truncated || m.size < sizeof(ep::MessageHeader)) return 0;  // dropped
  const std::span<const std::byte> message(buffer, m.size);
  const auto header = load<ep::MessageHeader>(message);
  if (header.type == static_cast<std::uint32_t>(ep::MessageType::rescinded)) {
    rescinded.store(true, std::memory_order_release);
    if (verbose()) log_line("/dev/uio%u: hvsim rescinded the device", number);
    return EIO;
  }
  if (header.type == static_cast<std::uint32_t>(ep::MessageType::error) && m.size == sizeof(ep::ErrorReply)) {
    const auto refusal = load<ep::ErrorReply>(message);
    rescinded.store(true, std::memory_order_release);  // hvsim closes the connection after it
    log_line("/dev/uio%u: hvsim closed the device: %.*s", number,
             static_cast<int>(::strnlen(refusal.message, sizeof refusal.message)), refusal.message);
    return EIO;
  }
  // A late IrqControlResult (its request timed out) or junk: dropped.
  return 0;
}

int Session::irqcontrol(std::int32_t value) noexcept {
  const ep::IrqControl request{{static_cast<std::uint32_t>(ep::MessageType::irqcontrol), sizeof(ep::IrqControl)},
                               value, 0};
  std::int32_t result = 0;
  if (int error = call(bytes_of(request), {}, ep::MessageType::irqcontrol_result, "IrqControl", result)) return error;
  if (result == 0) return 0;
  if (result == -EIO) rescinded.store(true, std::memory_order_release);  // uio_write's -EIO after a rescind
  return result < 0 && result > -4096 ? -result : EIO;
}

int Session::register_memory(std::uint64_t gpa_base, std::uint64_t size, int memfd) noexcept {
  const ep::RegisterMemory request{
      {static_cast<std::uint32_t>(ep::MessageType::register_memory), sizeof(ep::RegisterMemory)}, gpa_base, size};
  const int fds[] = {memfd};
  std::int32_t result = 0;
  if (int error = call(bytes_of(request), fds, ep::MessageType::register_memory_result, "RegisterMemory", result)) {
    return error;
  }
  return result == 0 ? 0 : (result < 0 && result > -4096 ? -result : EIO);
}

int Session::call(std::span<const std::byte> request, std::span<const int> fds, ep::MessageType expected,
                  const char* what, std::int32_t& result) noexcept {
  if (rescinded.load(std::memory_order_acquire)) return EIO;
  std::lock_guard lock(socket_mutex_);
  // A Rescinded message already queued answers before the request does.
  int pending;
  while ((pending = receive_unsolicited()) == 0) {
  }
  if (pending != EAGAIN) return EIO;

  if (int error = vmbus::detail::send_message(socket, request, fds)) {
    if (error == EPIPE || error == ECONNRESET) rescinded.store(true, std::memory_order_release);
    return EIO;
  }
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + kReplyTimeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (vmbus::detail::wait_readable(socket, left.count() < 0 ? std::chrono::milliseconds(0) : left) != 0) {
      log_line("/dev/uio%u: no reply to %s from hvsim within %lld ms", number, what,
               static_cast<long long>(kReplyTimeout.count()));
      return EIO;
    }
    alignas(8) std::byte buffer[ep::kMaxMessageSize];
    ReceivedMessage m;
    const int error = vmbus::detail::receive_message(socket, buffer, m, MSG_DONTWAIT);
    if (error == EAGAIN || error == EWOULDBLOCK) continue;
    if (error == ECONNRESET || (error == 0 && m.size == 0)) {
      rescinded.store(true, std::memory_order_release);
      return EIO;
    }
    if (error != 0) return EIO;
    const std::span<const std::byte> reply(buffer, m.size);
    if (m.truncated || m.size < sizeof(ep::MessageHeader) || load<ep::MessageHeader>(reply).size != m.size) {
      log_line("/dev/uio%u: malformed reply to %s (%zu bytes)", number, what, m.size);
      return EIO;
    }
    const auto type = static_cast<ep::MessageType>(load<ep::MessageHeader>(reply).type);
    if (type == ep::MessageType::rescinded || type == ep::MessageType::error) {
      rescinded.store(true, std::memory_order_release);
      return EIO;
    }
    // IrqControlResult and RegisterMemoryResult share one layout.
    static_assert(sizeof(ep::IrqControlResult) == sizeof(ep::RegisterMemoryResult));
    if (type != expected || m.size != sizeof(ep::IrqControlResult) || m.fd_count != 0) {
      log_line("/dev/uio%u: expected the reply to %s, got %s", number, what,
               vmbus::detail::message_type_name(static_cast<std::uint32_t>(type)).c_str());
      return EIO;
    }
    result = load<ep::IrqControlResult>(reply).result;
    return 0;
  }
}

std::shared_ptr<Session> open_session(unsigned number, const char* root, int& error) noexcept {
  char node[4096];
  std::snprintf(node, sizeof node, "%s/dev/uio%u", root, number);
  try {
    auto session = std::make_shared<Session>();
    session->number = number;
    error = handshake(*session, node);
    if (error != 0) return nullptr;
    // hvsim reads guest memory by address with process_vm_readv (docs/hvsim.md,
    // "Guest memory by GPA"). Under Yama ptrace_scope 1 that needs the guest to
    // name its ptracer. Best effort: without Yama, prctl fails with EINVAL.
    ucred peer{};
    socklen_t length = sizeof peer;
    if (::getsockopt(session->socket, SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0 && peer.pid > 0) {
      (void)::prctl(PR_SET_PTRACER, static_cast<unsigned long>(peer.pid), 0, 0, 0);
    }
    if (verbose()) {
      log_line("/dev/uio%u: connected to %s (hvsim pid %d), %u maps", number, node, static_cast<int>(peer.pid),
               session->map_count);
      for (std::uint32_t k = 0; k < session->map_count; ++k) {
        log_line("  map%u %s: %llu bytes", k, session->map_names[k],
                 static_cast<unsigned long long>(session->map_sizes[k]));
      }
    }
    return session;
  } catch (...) {  // make_shared's bad_alloc
    log_line("cannot open /dev/uio%u: out of memory", number);
    error = ENOMEM;
    return nullptr;
  }
}

}  // namespace hvsim::uio_preload
