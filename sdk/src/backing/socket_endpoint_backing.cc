// SocketEndpointBacking: the client side of vmbus/backing/endpoint_protocol.h.
#include "socket_endpoint_backing.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "backing_errors.h"
#include "endpoint_messages.h"
#include "endpoint_socket.h"
#include "vmbus/channel/counters_table.h"
#include "vmbus/hv_page.h"

namespace vmbus::detail {

using endpoint::MessageHeader;
using endpoint::MessageType;

SocketEndpointBacking::SocketEndpointBacking(std::filesystem::path node, SocketEndpointOptions options)
    : node_(std::move(node)), options_(options) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = node_.string();
  if (path.size() >= sizeof address.sun_path) {
    fail("the path is " + std::to_string(path.size()) + " bytes, longer than a UNIX socket address allows (" +
         std::to_string(sizeof address.sun_path - 1) + "): use a shorter hvsim root");
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);

  socket_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!socket_) fail("socket(AF_UNIX, SOCK_SEQPACKET): " + errno_text(errno));
  int r;
  do {
    r = ::connect(socket_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    const int err = errno;
    if (err == EPROTOTYPE) fail("not an endpoint: the socket is not SOCK_SEQPACKET");
    throw_open_error(node_, err);
  }
  handshake();

  // One pollable fd for the caller: level-triggered, so an unread eventfd
  // count, a pending Rescinded message or a hang-up keeps it readable.
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) fail("epoll_create1: " + errno_text(errno));
  epoll_event interrupt{};
  interrupt.events = EPOLLIN;
  interrupt.data.fd = eventfd_.get();
  epoll_event socket_event{};
  socket_event.events = EPOLLIN | EPOLLRDHUP;
  socket_event.data.fd = socket_.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, eventfd_.get(), &interrupt) < 0 ||
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, socket_.get(), &socket_event) < 0) {
    fail("epoll_ctl: " + errno_text(errno));
  }
}

void SocketEndpointBacking::fail(const std::string& what) const { throw_device_error(describe(), what); }

std::string SocketEndpointBacking::map_name(std::uint32_t index) const {
  return std::string(maps_[index].name, ::strnlen(maps_[index].name, endpoint::kMapNameSize));
}

MappedRegion SocketEndpointBacking::map(std::uint32_t index, std::size_t size) {
  const std::string which = "map " + std::to_string(index);
  if (index >= map_count_) {
    fail(which + ": the endpoint offers only " + std::to_string(map_count_) + " maps");
  }
  const std::string named = which + " (" + map_name(index) + ")";
  if (size != maps_[index].size) {
    fail(named + ": asked to map " + std::to_string(size) + " bytes (sysfs maps/map" + std::to_string(index) +
         "/size) but the endpoint's MapInfo says " + std::to_string(maps_[index].size));
  }
  const std::uint64_t offset = maps_[index].mmap_offset;
  struct stat st {};
  if (::fstat(map_fds_[index].get(), &st) < 0) fail(named + ": fstat: " + errno_text(errno));
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) < offset + size) {
    fail(named + ": the memfd now holds " + std::to_string(st.st_size) + " bytes, expected " +
         std::to_string(offset + size));
  }
  void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fds_[index].get(),
                         static_cast<off_t>(offset));
  if (address == MAP_FAILED) {
    fail(named + ": mmap of " + std::to_string(size) + " bytes at offset " + std::to_string(offset) + ": " +
         errno_text(errno));
  }
  return MappedRegion(address, size);
}

Status SocketEndpointBacking::mark_rescinded() noexcept {
  rescinded_.store(true, std::memory_order_release);
  return Error{Errc::rescinded, 0};
}

Status SocketEndpointBacking::drain_unsolicited() noexcept {
  for (;;) {
    alignas(8) std::byte buffer[endpoint::kMaxMessageSize];
    ReceivedMessage m;
    const int err = receive_message(socket_.get(), buffer, m, MSG_DONTWAIT);
    if (err == EAGAIN || err == EWOULDBLOCK) return {};
    if (err == ECONNRESET) return mark_rescinded();
    if (err != 0) return Error{Errc::io_error, static_cast<std::uint64_t>(err)};
    if (m.size == 0) return mark_rescinded();  // the server hung up: as gone as a rescind
    if (m.truncated || m.size < sizeof(MessageHeader)) return Error{Errc::io_error, EPROTO};
    const auto header = load<MessageHeader>(std::span<const std::byte>(buffer, m.size));
    if (header.size != m.size) return Error{Errc::io_error, EPROTO};
    if (header.type == static_cast<std::uint32_t>(MessageType::rescinded)) return mark_rescinded();
    // The late answer to a request that timed out: already reported, drop it.
    if (header.type == static_cast<std::uint32_t>(MessageType::irqcontrol_result) ||
        header.type == static_cast<std::uint32_t>(MessageType::register_memory_result)) {
      continue;
    }
    // Nothing else may arrive unasked; its fds (if any) are closed by `m`.
    return Error{Errc::io_error, EPROTO};
  }
}

Result<std::uint32_t> SocketEndpointBacking::take_interrupts() noexcept {
  if (rescinded_.load(std::memory_order_acquire)) return Error{Errc::rescinded, 0};
  // A thread inside irqcontrol() owns the socket and will see a rescind
  // itself; this call must not block on it.
  std::unique_lock lock(socket_mutex_, std::try_to_lock);
  if (lock.owns_lock()) {
    if (Status s = drain_unsolicited(); !s) return s.error();
    lock.unlock();
  }
  if (interrupt_kind_ == endpoint::InterruptKind::uio) return uio_count_.take(eventfd_.get());
  std::uint64_t count = 0;
  ssize_t n;
  do {
    n = ::read(eventfd_.get(), &count, sizeof count);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN) return std::uint32_t{0};
    return Error{Errc::io_error, static_cast<std::uint64_t>(errno)};
  }
  if (n != sizeof count) return Error{Errc::io_error, EIO};
  // An eventfd read is already "since the last read"; clamp to u32.
  return count > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(count);
}

Result<std::int32_t> SocketEndpointBacking::call(std::span<const std::byte> request, std::span<const int> fds,
                                                 MessageType reply_type) noexcept {
  if (rescinded_.load(std::memory_order_acquire)) return Error{Errc::rescinded, 0};
  std::lock_guard lock(socket_mutex_);
  // A Rescinded message already queued answers before any request does.
  if (Status s = drain_unsolicited(); !s) return s.error();
  if (int err = send_message(socket_.get(), request, fds)) {
    if (err == EPIPE || err == ECONNRESET) return mark_rescinded().error();
    return Error{Errc::io_error, static_cast<std::uint64_t>(err)};
  }
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + options_.reply_timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (int err = wait_readable(socket_.get(), left.count() < 0 ? std::chrono::milliseconds(0) : left)) {
      return Error{Errc::io_error, static_cast<std::uint64_t>(err)};  // ETIMEDOUT: the server went quiet
    }
    alignas(8) std::byte buffer[endpoint::kMaxMessageSize];
    ReceivedMessage m;
    const int err = receive_message(socket_.get(), buffer, m, MSG_DONTWAIT);
    if (err == EAGAIN || err == EWOULDBLOCK) continue;
    if (err == ECONNRESET) return mark_rescinded().error();
    if (err != 0) return Error{Errc::io_error, static_cast<std::uint64_t>(err)};
    if (m.size == 0) return mark_rescinded().error();
    if (m.truncated || m.size < sizeof(MessageHeader)) return Error{Errc::io_error, EPROTO};
    const std::span<const std::byte> reply(buffer, m.size);
    const auto header = load<MessageHeader>(reply);
    if (header.size != m.size) return Error{Errc::io_error, EPROTO};
    if (header.type == static_cast<std::uint32_t>(MessageType::rescinded)) return mark_rescinded().error();
    if (header.type == static_cast<std::uint32_t>(MessageType::error) && m.size == sizeof(endpoint::ErrorReply)) {
      const auto error = load<endpoint::ErrorReply>(reply);
      return Error{Errc::io_error, error.error > 0 ? static_cast<std::uint64_t>(error.error) : EPROTO};
    }
    // IrqControlResult and RegisterMemoryResult share one layout.
    static_assert(sizeof(endpoint::IrqControlResult) == sizeof(endpoint::RegisterMemoryResult));
    if (header.type != static_cast<std::uint32_t>(reply_type) || m.size != sizeof(endpoint::IrqControlResult) ||
        m.fd_count != 0) {
      return Error{Errc::io_error, EPROTO};
    }
    return load<endpoint::IrqControlResult>(reply).result;
  }
}

Status SocketEndpointBacking::irqcontrol(std::int32_t value) noexcept {
  const endpoint::IrqControl request{{static_cast<std::uint32_t>(MessageType::irqcontrol), sizeof(endpoint::IrqControl)},
                                     value, 0};
  Result<std::int32_t> r = call(bytes_of(request), {}, MessageType::irqcontrol_result);
  if (!r) return r.error();
  if (*r == 0) return {};
  if (*r == -EIO) return mark_rescinded();  // the endpoint's image of uio_write's -EIO
  return Error{Errc::io_error, *r < 0 ? static_cast<std::uint64_t>(-static_cast<std::int64_t>(*r)) : EPROTO};
}

Status SocketEndpointBacking::register_memory(std::uint64_t gpa_base, std::uint64_t size, int memfd) noexcept {
  if (gpa_base % kHvPageSize != 0) return Error{Errc::invalid_argument, 0};
  if (size == 0 || size % kHvPageSize != 0) return Error{Errc::invalid_argument, 1};
  struct stat st {};
  if (::fstat(memfd, &st) < 0 || static_cast<std::uint64_t>(st.st_size) < size) {
    return Error{Errc::invalid_argument, 2};
  }
  const endpoint::RegisterMemory request{
      {static_cast<std::uint32_t>(MessageType::register_memory), sizeof(endpoint::RegisterMemory)}, gpa_base, size};
  const int fds[1] = {memfd};
  Result<std::int32_t> r = call(bytes_of(request), fds, MessageType::register_memory_result);
  if (!r) return r.error();
  if (*r == 0) return {};
  return Error{Errc::io_error, *r < 0 ? static_cast<std::uint64_t>(-static_cast<std::int64_t>(*r)) : EPROTO};
}

CountersTable SocketEndpointBacking::share_counters(std::uint32_t slots) noexcept {
  if (counters_ || slots == 0) return {};
  const std::size_t bytes = (CountersTable::bytes_for(slots) + kHvPageSize - 1) / kHvPageSize * kHvPageSize;
  UniqueFd memfd(::memfd_create("vmbus-counters", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!memfd || ::ftruncate(memfd.get(), static_cast<off_t>(bytes)) < 0 ||
      ::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
    return {};
  }
  void* address = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, memfd.get(), 0);
  if (address == MAP_FAILED) return {};
  MappedRegion region(address, bytes);
  CountersTable table = CountersTable::format(std::span<std::byte>(region.data(), region.size()), slots);
  if (!table) return {};
  const endpoint::ShareCounters message{
      {static_cast<std::uint32_t>(MessageType::share_counters), sizeof(endpoint::ShareCounters)}, slots, 0};
  const int fds[1] = {memfd.get()};
  {
    std::lock_guard lock(socket_mutex_);
    // Unanswered: a failure here (the server gone) shows on the next request.
    (void)send_message(socket_.get(), bytes_of(message), fds);
  }
  counters_ = std::move(region);
  return table;
}

}  // namespace vmbus::detail
