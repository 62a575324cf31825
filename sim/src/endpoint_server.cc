// EndpointServer: the uio endpoint protocol, server side.
#include "endpoint_server.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "fs_util.h"
#include "vmbus/backing/endpoint_protocol.h"
#include "vmbus/ring/ring_memory.h"

namespace hvsim {

namespace ep = vmbus::endpoint;

namespace {

constexpr std::size_t kMaxSessions = 16;  // connections per device, open or not
constexpr std::size_t kMaxFdsIn = 4;      // more than any message carries: the excess is refused

// Open ids, unique across every endpoint of the process (a device unbound
// and bound again gets a new endpoint; its opens must not reuse ids).
std::atomic<std::uint64_t> next_open_id{1};

sockaddr_un unix_address(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string s = path.string();
  if (s.size() >= sizeof addr.sun_path) {
    throw std::runtime_error("socket path " + s + " is too long for a UNIX socket (" + std::to_string(s.size()) +
                             " bytes, the limit is " + std::to_string(sizeof addr.sun_path - 1) + "); use a shorter --root");
  }
  std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
  return addr;
}

ep::MessageHeader header_of(ep::MessageType type, std::size_t size) {
  return {static_cast<std::uint32_t>(type), static_cast<std::uint32_t>(size)};
}

}  // namespace

struct EndpointServer::Session {
  std::uint64_t id = 0;
  UniqueFd fd;
  EventLoop::Token token = 0;
  pid_t pid = 0;
  bool opened = false;
  std::uint64_t open_id = 0;
  UniqueFd interrupt;                    // the eventfd passed to the client
  std::unique_ptr<GuestMemory> memory;   // outlives the service
  std::unique_ptr<DeviceService> service;
};

EndpointServer::EndpointServer(EventLoop& loop, EndpointSetup setup) : loop_(loop), setup_(std::move(setup)) {
  listen_ = UniqueFd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_) fs::throw_errno("cannot create the endpoint socket for", setup_.node, errno);
  // Bind under a temporary name, then rename: the node appears listening.
  const std::filesystem::path tmp = fs::unique_temp(setup_.staging, setup_.node.filename().string());
  (void)unix_address(setup_.node);  // the final path must fit too
  const sockaddr_un addr = unix_address(tmp);
  if (::bind(listen_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    fs::throw_errno("cannot bind the endpoint socket", tmp, errno);
  }
  if (::listen(listen_.get(), 16) != 0 || ::rename(tmp.c_str(), setup_.node.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    fs::throw_errno("cannot publish the endpoint socket", setup_.node, e);
  }
  listen_token_ = loop_.add(listen_.get(), EPOLLIN, [this](std::uint32_t) { on_listen_ready(); });
}

EndpointServer::~EndpointServer() { shut_down(false); }

void EndpointServer::rescind() noexcept { shut_down(true); }

std::optional<pid_t> EndpointServer::client_pid() const noexcept {
  auto it = sessions_.find(open_session_);
  if (it == sessions_.end()) return std::nullopt;
  return it->second->pid;
}

std::uint64_t EndpointServer::open_id() const noexcept {
  auto it = sessions_.find(open_session_);
  return it == sessions_.end() ? 0 : it->second->open_id;
}

bool EndpointServer::add_channel(HostChannelSetup channel) {
  auto it = sessions_.find(open_session_);
  if (it == sessions_.end() || !it->second->service) return false;
  Session& s = *it->second;
  channel.memory = s.memory.get();
  channel.interrupt_fd = s.interrupt.get();
  s.service->add_channel(std::move(channel));
  return true;
}

void EndpointServer::shut_down(bool rescinded) noexcept {
  if (shut_) return;
  shut_ = true;
  loop_.remove(listen_token_);
  listen_.reset();
  ::unlink(setup_.node.c_str());
  while (!sessions_.empty()) {
    Session& s = *sessions_.begin()->second;
    // hv_uio_rescind / uio_unregister_device wake the reader, but only after
    // making its next read fail ("info.irq = 0 ... Next read for event will
    // return -EIO", then uio_event_notify). So the message that fails the
    // client goes first, and the eventfd is written after it: a reader woken
    // by the eventfd finds the message already queued on the socket.
    UniqueFd wake;
    if (s.opened && s.interrupt) wake = UniqueFd(::fcntl(s.interrupt.get(), F_DUPFD_CLOEXEC, 0));
    close_device(s);
    if (rescinded) {
      const ep::MessageHeader m = header_of(ep::MessageType::rescinded, sizeof(ep::MessageHeader));
      if (send(s, &m, sizeof m)) end(s.id);  // a failed send ended it already
    } else {
      (void)refuse(s, EIO, "the device was unbound from uio_hv_generic");
    }
    if (wake) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t n = ::write(wake.get(), &one, sizeof one);
    }
  }
}

void EndpointServer::on_listen_ready() {
  for (;;) {
    UniqueFd fd(::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) setup_.log->warn(setup_.label + ": accept: " + fs::errno_text(errno));
      return;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len);
    auto s = std::make_unique<Session>();
    s->fd = std::move(fd);
    s->pid = cred.pid;
    const std::uint64_t id = next_id_++;
    s->id = id;
    if (sessions_.size() >= kMaxSessions) {
      Session& refused = *s;
      sessions_.emplace(id, std::move(s));
      (void)refuse(refused, EBUSY, "too many connections to " + setup_.node.string());
      continue;
    }
    s->token = loop_.add(s->fd.get(), EPOLLIN | EPOLLRDHUP, [this, id](std::uint32_t events) { on_session_ready(id, events); });
    sessions_.emplace(id, std::move(s));
  }
}

void EndpointServer::on_session_ready(std::uint64_t id, std::uint32_t events) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  if ((events & EPOLLIN) != 0) {
    while (receive(s)) {
    }
    return;  // receive() ended the session if the peer is gone
  }
  if ((events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) != 0) end(id);
}

bool EndpointServer::receive(Session& s) {
  alignas(8) std::byte buffer[ep::kMaxMessageSize + 8];
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxFdsIn * sizeof(int))];
  iovec iov{buffer, sizeof buffer};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(s.fd.get(), &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  // Take ownership of every fd first, so none leaks whatever happens next.
  std::vector<UniqueFd> fds;
  if (n >= 0) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        fds.emplace_back(fd);
      }
    }
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
    end(s.id);
    return false;
  }
  if (n == 0) {  // the client closed: the last close()
    end(s.id);
    return false;
  }
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    return refuse(s, EMSGSIZE, "message too long, or too many file descriptors");
  }
  return handle(s, {buffer, static_cast<std::size_t>(n)}, fds);
}

bool EndpointServer::handle(Session& s, std::span<const std::byte> message, std::vector<UniqueFd>& fds) {
  ep::MessageHeader h{};
  if (message.size() < sizeof h) return refuse(s, EPROTO, "message shorter than its 8-byte header");
  std::memcpy(&h, message.data(), sizeof h);
  if (h.size != message.size()) {
    return refuse(s, EPROTO, "header says " + std::to_string(h.size) + " bytes, the message has " + std::to_string(message.size()));
  }
  const auto type = static_cast<ep::MessageType>(h.type);
  if (type != ep::MessageType::register_memory && type != ep::MessageType::share_counters && !fds.empty()) {
    return refuse(s, EPROTO, "unexpected file descriptors with message type " + std::to_string(h.type));
  }
  switch (type) {
    case ep::MessageType::hello: return on_hello(s, message);
    case ep::MessageType::irqcontrol: return on_irqcontrol(s, message);
    case ep::MessageType::register_memory: return on_register_memory(s, message, fds);
    case ep::MessageType::share_counters: return on_share_counters(s, message, fds);
    default: return refuse(s, EPROTO, "unexpected message type " + std::to_string(h.type) + " from a client");
  }
}

bool EndpointServer::on_hello(Session& s, std::span<const std::byte> message) {
  ep::Hello hello{};
  if (message.size() != sizeof hello) return refuse(s, EPROTO, "Hello must be " + std::to_string(sizeof hello) + " bytes");
  std::memcpy(&hello, message.data(), sizeof hello);
  if (hello.magic != ep::kMagic) return refuse(s, EPROTO, "bad magic: not a vmbus endpoint client");
  if (hello.version != ep::kVersion) {
    return refuse(s, EPROTONOSUPPORT, "protocol version " + std::to_string(hello.version) + " unsupported; hvsim speaks " +
                                          std::to_string(ep::kVersion));
  }
  if (s.opened) return refuse(s, EPROTO, "second Hello on one connection");
  if (open_session_ != 0) {
    const auto other = sessions_.find(open_session_);
    return refuse(s, EBUSY, setup_.label + " is already open (pid " + std::to_string(other->second->pid) +
                                "); one client at a time");
  }

  // hv_uio_open -> vmbus_connect_ring -> hv_ringbuffer_init on both rings.
  const std::size_t half = setup_.rings.size() / 2;
  for (std::size_t at : {std::size_t{0}, half}) {
    if (auto ring = vmbus::RingMemory::from(setup_.rings.subspan(at, half))) ring->initialize();
  }
  s.interrupt = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!s.interrupt) return refuse(s, errno, "eventfd: " + fs::errno_text(errno));
  s.memory = std::make_unique<GuestMemory>(s.pid);
  const std::uint64_t open_id = next_open_id.fetch_add(1, std::memory_order_relaxed);
  try {
    DeviceServiceSetup service{.label = setup_.label, .channels = setup_.channels, .host = make_device_host(setup_.spec),
                               .int_page = setup_.int_page, .monitor_page = setup_.monitor_page, .log = setup_.log,
                               .subchannels_granted = setup_.spec.subchannels, .request_subchannels = {}};
    if (setup_.request_subchannels) {
      service.request_subchannels = [request = setup_.request_subchannels, open_id](std::uint32_t first, std::uint32_t count) {
        request(open_id, first, count);
      };
    }
    for (HostChannelSetup& c : service.channels) {
      c.memory = s.memory.get();
      c.interrupt_fd = s.interrupt.get();
    }
    s.service = std::make_unique<DeviceService>(std::move(service));
  } catch (const std::exception& e) {
    s.memory.reset();
    return refuse(s, EIO, std::string("cannot open the device: ") + e.what());
  }
  s.service->start();
  s.opened = true;
  s.open_id = open_id;
  open_session_ = s.id;
  if (setup_.on_open_change) setup_.on_open_change(true);

  ep::DeviceReply reply{};
  reply.header = header_of(ep::MessageType::device_reply, sizeof reply);
  reply.map_count = static_cast<std::uint32_t>(setup_.maps.size());
  std::vector<int> fds;
  for (std::size_t i = 0; i < setup_.maps.size(); ++i) {
    const EndpointMap& m = setup_.maps[i];
    std::strncpy(reply.maps[i].name, m.name.c_str(), ep::kMapNameSize - 1);
    reply.maps[i].size = m.size;
    reply.maps[i].offset = 0;
    reply.maps[i].mmap_offset = 0;  // one memfd per map
    fds.push_back(m.fd);
  }
  reply.interrupt_kind = static_cast<std::uint32_t>(ep::InterruptKind::eventfd);
  fds.push_back(s.interrupt.get());
  return send(s, &reply, sizeof reply, fds);
}

bool EndpointServer::on_irqcontrol(Session& s, std::span<const std::byte> message) {
  ep::IrqControl request{};
  if (message.size() != sizeof request) return refuse(s, EPROTO, "IrqControl must be " + std::to_string(sizeof request) + " bytes");
  if (!s.opened) return refuse(s, EPROTO, "IrqControl before Hello");
  std::memcpy(&request, message.data(), sizeof request);
  s.service->irqcontrol(request.value);
  ep::IrqControlResult reply{};
  reply.header = header_of(ep::MessageType::irqcontrol_result, sizeof reply);
  reply.result = 0;
  return send(s, &reply, sizeof reply);
}

bool EndpointServer::on_register_memory(Session& s, std::span<const std::byte> message, std::vector<UniqueFd>& fds) {
  ep::RegisterMemory request{};
  if (message.size() != sizeof request) {
    return refuse(s, EPROTO, "RegisterMemory must be " + std::to_string(sizeof request) + " bytes");
  }
  if (!s.opened) return refuse(s, EPROTO, "RegisterMemory before Hello");
  if (fds.size() != 1) return refuse(s, EPROTO, "RegisterMemory carries exactly one memfd, got " + std::to_string(fds.size()));
  std::memcpy(&request, message.data(), sizeof request);
  const int result = s.memory->register_region(request.gpa_base, request.size, fds[0].release());
  if (result != 0) {
    setup_.log->warn(setup_.label + ": RegisterMemory(gpa " + std::to_string(request.gpa_base) + ", size " +
                     std::to_string(request.size) + ") refused: " + fs::errno_text(-result));
  }
  ep::RegisterMemoryResult reply{};
  reply.header = header_of(ep::MessageType::register_memory_result, sizeof reply);
  reply.result = result;
  return send(s, &reply, sizeof reply);
}

bool EndpointServer::on_share_counters(Session& s, std::span<const std::byte> message, std::vector<UniqueFd>& fds) {
  if (message.size() != sizeof(ep::ShareCounters)) {
    return refuse(s, EPROTO, "ShareCounters must be " + std::to_string(sizeof(ep::ShareCounters)) + " bytes");
  }
  if (!s.opened) return refuse(s, EPROTO, "ShareCounters before Hello");
  if (fds.size() != 1) return refuse(s, EPROTO, "ShareCounters carries exactly one memfd, got " + std::to_string(fds.size()));
  // The guest's own statistics: a host has no use for them (vmbusd does).
  // Accepted and dropped, with no reply (the message is one-way).
  fds.clear();
  return true;
}

bool EndpointServer::refuse(Session& s, int error, const std::string& text) {
  ep::ErrorReply reply{};
  reply.header = header_of(ep::MessageType::error, sizeof reply);
  reply.error = error;
  std::strncpy(reply.message, text.c_str(), sizeof reply.message - 1);
  setup_.log->info(setup_.label + ": endpoint client pid " + std::to_string(s.pid) + " refused: " + text);
  const std::uint64_t id = s.id;
  (void)send(s, &reply, sizeof reply);
  end(id);
  return false;
}

bool EndpointServer::send(Session& s, const void* message, std::size_t size, std::span<const int> fds) {
  iovec iov{const_cast<void*>(message), size};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE((ep::kMaxMaps + 1) * sizeof(int))]{};
  if (!fds.empty() && fds.size() <= ep::kMaxMaps + 1) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    auto* c = reinterpret_cast<cmsghdr*>(control);  // CMSG_FIRSTHDR of a buffer known to be big enough
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
  }
  const ssize_t n = ::sendmsg(s.fd.get(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n == static_cast<ssize_t>(size)) return true;
  // A client that does not read its replies (EAGAIN) or is gone: drop it.
  setup_.log->info(setup_.label + ": endpoint client pid " + std::to_string(s.pid) +
                   " dropped: cannot send: " + (n < 0 ? fs::errno_text(errno) : "short write"));
  end(s.id);
  return false;
}

void EndpointServer::close_device(Session& s) noexcept {
  if (!s.opened) return;
  // vmbus_disconnect_ring: the host stops serving the channel.
  s.service.reset();  // joins the host thread before the memory goes
  s.memory.reset();
  s.opened = false;
  s.open_id = 0;
  if (open_session_ == s.id) open_session_ = 0;
  if (setup_.on_open_change) setup_.on_open_change(false);
}

void EndpointServer::end(std::uint64_t id) noexcept {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  close_device(s);
  loop_.remove(s.token);
  sessions_.erase(it);
}

}  // namespace hvsim
