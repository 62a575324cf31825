// SocketEndpointBacking::handshake: Hello, then the DeviceReply and its fds,
// every field checked, since the server is as untrusted as the host.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "backing_errors.h"
#include "endpoint_messages.h"
#include "endpoint_reply_checks.h"
#include "endpoint_socket.h"
#include "socket_endpoint_backing.h"

namespace vmbus::detail {

namespace {

using endpoint::MessageHeader;
using endpoint::MessageType;

}  // namespace

void SocketEndpointBacking::handshake() {
  const endpoint::Hello hello{{static_cast<std::uint32_t>(MessageType::hello), sizeof(endpoint::Hello)},
                              endpoint::kMagic, endpoint::kVersion};
  if (int err = send_message(socket_.get(), bytes_of(hello), {})) {
    fail("sending Hello: " + errno_text(err));
  }
  if (int err = wait_readable(socket_.get(), options_.reply_timeout)) {
    if (err == ETIMEDOUT) fail("no reply to Hello within " + std::to_string(options_.reply_timeout.count()) + " ms");
    fail("waiting for the reply to Hello: " + errno_text(err));
  }
  alignas(8) std::byte buffer[endpoint::kMaxMessageSize];
  ReceivedMessage m;
  if (int err = receive_message(socket_.get(), buffer, m, MSG_DONTWAIT)) {
    fail("receiving the reply to Hello: " + errno_text(err));
  }
  const std::span<const std::byte> reply(buffer, m.size < sizeof buffer ? m.size : sizeof buffer);

  if (m.size == 0) fail("the server closed the connection instead of answering Hello");
  if (m.truncated) {
    fail("the reply to Hello is " + std::to_string(m.size) + " bytes, longer than any message of the protocol (" +
         std::to_string(endpoint::kMaxMessageSize) + ")");
  }
  if (m.size < sizeof(MessageHeader)) {
    fail("the reply to Hello is " + std::to_string(m.size) + " bytes, shorter than a message header (8)");
  }
  const auto header = load<MessageHeader>(reply);
  if (header.size != m.size) {
    fail("truncated or padded message: its header says " + std::to_string(header.size) + " bytes but " +
         std::to_string(m.size) + " arrived");
  }
  if (header.type == static_cast<std::uint32_t>(MessageType::error)) {
    if (m.size != sizeof(endpoint::ErrorReply)) {
      fail("the server refused the connection with a malformed ErrorReply of " + std::to_string(m.size) + " bytes");
    }
    const auto error = load<endpoint::ErrorReply>(reply);
    const std::string text(error.message, ::strnlen(error.message, sizeof error.message));
    fail("refused by the server: " + (text.empty() ? std::string("(no message)") : text) + " (" +
         (error.error > 0 ? errno_text(error.error) : "errno " + std::to_string(error.error)) + ")");
  }
  if (header.type != static_cast<std::uint32_t>(MessageType::device_reply)) {
    fail("expected DeviceReply (type 2) in answer to Hello, got " + message_type_name(header.type));
  }
  if (m.size != sizeof(endpoint::DeviceReply)) {
    fail("DeviceReply is " + std::to_string(m.size) + " bytes, expected " +
         std::to_string(sizeof(endpoint::DeviceReply)));
  }
  if (m.foreign_control) fail("DeviceReply carries a control message other than SCM_RIGHTS");
  const auto device = load<endpoint::DeviceReply>(reply);
  if (device.map_count == 0 || device.map_count > endpoint::kMaxMaps) {
    fail("DeviceReply announces " + std::to_string(device.map_count) + " maps, expected 1 to " +
         std::to_string(endpoint::kMaxMaps));
  }
  const std::size_t fds_expected = std::size_t{device.map_count} + 1;
  if (m.fds_truncated || m.fd_count != fds_expected) {
    fail("DeviceReply carries " + (m.fds_truncated ? "more than " + std::to_string(kMaxReceivedFds) : std::to_string(m.fd_count)) +
         " file descriptors, expected map_count + 1 = " + std::to_string(fds_expected) +
         " (one per map, then the interrupt fd)");
  }

  if (device.interrupt_kind != static_cast<std::uint32_t>(endpoint::InterruptKind::eventfd) &&
      device.interrupt_kind != static_cast<std::uint32_t>(endpoint::InterruptKind::uio)) {
    fail("DeviceReply has interrupt_kind " + std::to_string(device.interrupt_kind) +
         ", expected 0 (eventfd) or 1 (a kernel uio file)");
  }
  interrupt_kind_ = static_cast<endpoint::InterruptKind>(device.interrupt_kind);
  const bool kernel_file = interrupt_kind_ == endpoint::InterruptKind::uio;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));

  for (std::uint32_t k = 0; k < device.map_count; ++k) {
    const endpoint::MapInfo& info = device.maps[k];
    const std::string which = "map " + std::to_string(k);
    if (!valid_map_name(info)) fail(which + ": the name is empty, not NUL-terminated or not printable");
    const std::string named = which + " (" + std::string(info.name) + ")";
    if (info.size == 0) fail(named + ": size 0");
    if (info.offset != 0) {
      fail(named + ": offset " + std::to_string(info.offset) + ", expected 0 (as every uio_hv_generic map)");
    }
    if (info.mmap_offset % page != 0) {
      fail(named + ": mmap_offset " + std::to_string(info.mmap_offset) + " is not a multiple of the page size (" +
           std::to_string(page) + ")");
    }
    constexpr auto kMaxOffset = static_cast<std::uint64_t>(INT64_MAX);  // off_t
    if (info.size > kMaxOffset || info.mmap_offset > kMaxOffset - info.size) {
      fail(named + ": mmap_offset " + std::to_string(info.mmap_offset) + " plus its size is past any file offset");
    }
    struct stat st {};
    if (::fstat(m.fds[k].get(), &st) < 0) fail(named + ": fstat of its file descriptor: " + errno_text(errno));
    if (kernel_file) {
      // The kernel's /dev/uioN: mmap itself checks the offset and length.
      if (!S_ISCHR(st.st_mode)) fail(named + ": interrupt_kind is uio but its file descriptor is not a character device");
    } else {
      if (!S_ISREG(st.st_mode)) fail(named + ": its file descriptor is not a memory file (memfd)");
      if (static_cast<std::uint64_t>(st.st_size) < info.mmap_offset + info.size) {
        fail(named + ": the memfd holds " + std::to_string(st.st_size) + " bytes but MapInfo says " +
             std::to_string(info.size) + " at offset " + std::to_string(info.mmap_offset));
      }
      // Keep the server from shrinking memory we map: a later access past a
      // shrunken memfd is SIGBUS. Best effort: only a memfd created with
      // MFD_ALLOW_SEALING accepts seals, and then adding one is harmless.
      (void)::fcntl(m.fds[k].get(), F_ADD_SEALS, F_SEAL_SHRINK);
    }
    maps_[k] = info;
    map_fds_[k] = std::move(m.fds[k]);
  }
  map_count_ = device.map_count;

  UniqueFd& interrupt = m.fds[device.map_count];
  if (kernel_file) {
    struct stat st {};
    if (::fstat(interrupt.get(), &st) < 0 || !S_ISCHR(st.st_mode)) {
      fail("interrupt_kind is uio but the last file descriptor of DeviceReply is not a character device");
    }
  } else if (!is_eventfd(interrupt.get())) {
    fail("the last file descriptor of DeviceReply is not an eventfd");
  }
  // Non-blocking reads turn "no interrupt" into EAGAIN. The flag is shared
  // with the server's copy of the fd: an eventfd's server only writes, where
  // it matters only for a counter overflow; uio's write (irqcontrol) ignores it.
  const int flags = ::fcntl(interrupt.get(), F_GETFL);
  if (flags < 0 || ::fcntl(interrupt.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
    fail("making the interrupt fd non-blocking: " + errno_text(errno));
  }
  eventfd_ = std::move(interrupt);
}

}  // namespace vmbus::detail
