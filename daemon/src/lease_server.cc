// Leases of claimed devices over the endpoint protocol (lease_server.h).
#include "lease_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "control_error.h"
#include "daemon_log.h"
#include "endpoint_socket.h"
#include "vmbus/backing/endpoint_protocol.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/channel/counters_table.h"
#include "vmbus/wire.h"

namespace vmbusd {
namespace ep = vmbus::endpoint;
using vmbus::UniqueFd;
using Clock = std::chrono::system_clock;

namespace {

// Under the SDK's own 5 s wait for its DeviceReply, so that the driver hears
// why (ETIMEDOUT naming the upstream) rather than timing out itself.
constexpr std::chrono::milliseconds kUpstreamTimeout{4000};
// A CountersTable of 64 channels is 12 KiB; anything far larger is not one.
constexpr std::uint64_t kMaxCountersBytes = 1 << 20;


using vmbus::wire::bytes_of;

// Zero-filled past the end of `bytes`: a short message reads as zeros, which
// the callers' size checks then refuse (unlike vmbus::wire::load, which
// needs the bytes).
template <typename T>
T load(std::span<const std::byte> bytes) {
  T v{};
  std::memcpy(&v, bytes.data(), std::min(sizeof v, bytes.size()));
  return v;
}

void send_error(int socket, int error, const std::string& text) noexcept {
  ep::ErrorReply reply{};
  reply.header = {static_cast<std::uint32_t>(ep::MessageType::error), sizeof reply};
  reply.error = error;
  std::strncpy(reply.message, text.c_str(), sizeof reply.message - 1);
  (void)vmbus::detail::send_message(socket, bytes_of(reply), {});
}

void send_rescinded(int socket) noexcept {
  const ep::MessageHeader h{static_cast<std::uint32_t>(ep::MessageType::rescinded), sizeof(ep::MessageHeader)};
  (void)vmbus::detail::send_message(socket, bytes_of(h), {});
}

UniqueFd listen_at(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof addr.sun_path) {
    throw ControlError(ControlCode::failed_precondition,
                       "lease endpoint path " + path.string() + " is too long for a UNIX socket: use a shorter --run-dir");
  }
  std::strcpy(addr.sun_path, path.c_str());
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw ControlError(ControlCode::internal, "socket: " + errno_text(errno));
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd.get(), 8) != 0) {
    throw ControlError(ControlCode::failed_precondition, "cannot listen on " + path.string() + ": " + errno_text(errno));
  }
  return fd;
}

UniqueFd connect_to(const std::filesystem::path& path, int& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof addr.sun_path) {
    error = ENAMETOOLONG;
    return {};
  }
  std::strcpy(addr.sun_path, path.c_str());
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    error = errno;
    return {};
  }
  return fd;
}

std::string comm_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

}  // namespace

const char* lease_end_name(LeaseEnd e) noexcept {
  switch (e) {
    case LeaseEnd::none: return "active";
    case LeaseEnd::holder_closed: return "holder closed";
    case LeaseEnd::revoked: return "revoked";
    case LeaseEnd::released: return "device released";
    case LeaseEnd::device_rescinded: return "device rescinded";
    case LeaseEnd::daemon_stopped: return "daemon stopped";
  }
  return "?";
}

struct LeaseServer::Listener {
  vmbus::DeviceInfo device;
  std::filesystem::path path;
  UniqueFd fd;
};

struct LeaseServer::Lease {
  LeaseRecord record;
  vmbus::DeviceInfo device;
  UniqueFd client;
  UniqueFd upstream;
  UniqueFd rings;              // a copy of map 0 (txrx_rings, a memfd), for ring state
  std::uint64_t rings_size = 0;
  vmbus::MappedRegion rings_map;  // a kernel upstream: map 0 mapped read-only instead
  bool kernel = false;            // upstream is a kernel /dev/uioN: IrqControl answered here
  vmbus::MappedRegion counters;   // the holder's CountersTable (ShareCounters), read-only
  bool started = false;  // Hello answered: a lease
  // An endpoint upstream was sent Hello and its DeviceReply is awaited
  // (polled like any other fd, so a slow host holds up no one else).
  bool awaiting_device_reply = false;
  std::chrono::steady_clock::time_point reply_deadline{};
  std::filesystem::path upstream_node;
  bool done = false;     // ended: removed after this pass
  // Set when the device was leased already: the Hello is answered with
  // ErrorReply EBUSY and this text (after the Hello, as hvsim and the
  // SDK's handshake expect, not before it).
  std::string refused;
};

LeaseServer::LeaseServer(std::filesystem::path root, vmbus::SysfsRoot upstream)
    : root_(std::move(root)), upstream_(std::move(upstream)) {}

LeaseServer::~LeaseServer() { stop(); }

void LeaseServer::start() {
  std::error_code ec;
  std::filesystem::create_directories(root_ / "dev", ec);
  if (ec) throw std::runtime_error("cannot create the lease root " + (root_ / "dev").string() + ": " + ec.message());
  // <root>/sys -> the sysfs served: drivers read it through the lease root,
  // and the SDK finds the device node beside it, in <root>/dev.
  const std::filesystem::path sys = root_ / "sys";
  std::filesystem::remove(sys, ec);
  std::filesystem::create_directory_symlink(std::filesystem::absolute(upstream_.root()), sys, ec);
  if (ec) throw std::runtime_error("cannot link " + sys.string() + " to " + upstream_.root().string() + ": " + ec.message());
  wake_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_fd_) throw std::runtime_error("eventfd: " + errno_text(errno));
  thread_ = std::thread([this] { run(); });
}

void LeaseServer::stop() noexcept {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    for (auto& lease : leases_) {
      if (!lease->done) end(*lease, LeaseEnd::daemon_stopped, "vmbusd stopped", true);
    }
    for (auto& [guid, l] : listeners_) {
      std::error_code ec;
      std::filesystem::remove(l->path, ec);
    }
    listeners_.clear();
  }
  stopping_.store(true);
  wake();
  thread_.join();
  leases_.clear();
  std::error_code ec;
  std::filesystem::remove(root_ / "sys", ec);
}

void LeaseServer::wake() noexcept {
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof one);
}

void LeaseServer::add_device(const vmbus::DeviceInfo& device) {
  if (device.uio_name.empty()) {
    throw ControlError(ControlCode::failed_precondition,
                       "device " + device.instance.str() + " has no uio device: it is not bound to uio_hv_generic");
  }
  auto l = std::make_unique<Listener>();
  l->device = device;
  l->path = endpoint(device.uio_name);
  l->fd = listen_at(l->path);
  std::lock_guard lock(mutex_);
  listeners_[device.instance] = std::move(l);
  wake();
}

std::optional<LeaseRecord> LeaseServer::remove_device(const vmbus::Guid& device, LeaseEnd why) {
  std::optional<LeaseRecord> ended;
  std::lock_guard lock(mutex_);
  for (auto& lease : leases_) {
    if (lease->done || lease->record.device != device) continue;
    const bool was_lease = lease->started;
    end(*lease, why, why == LeaseEnd::released ? "the device was released" : "", true);
    if (was_lease) ended = lease->record;
  }
  if (auto it = listeners_.find(device); it != listeners_.end()) {
    std::error_code ec;
    std::filesystem::remove(it->second->path, ec);
    listeners_.erase(it);
  }
  wake();
  return ended;
}

std::optional<LeaseRecord> LeaseServer::revoke(const std::string& lease_id, const std::string& reason) {
  std::lock_guard lock(mutex_);
  for (auto& lease : leases_) {
    if (lease->done || !lease->started || lease->record.id != lease_id) continue;
    end(*lease, LeaseEnd::revoked, reason.empty() ? "revoked" : reason, true);
    wake();
    return lease->record;
  }
  return std::nullopt;
}

std::vector<LeaseRecord> LeaseServer::list(bool include_ended) const {
  std::vector<LeaseRecord> out;
  std::lock_guard lock(mutex_);
  if (include_ended) out.assign(ended_.begin(), ended_.end());
  for (const auto& lease : leases_) {
    if (lease->started && !lease->done) out.push_back(lease->record);
  }
  std::stable_sort(out.begin(), out.end(), [](const LeaseRecord& a, const LeaseRecord& b) { return a.started < b.started; });
  return out;
}

std::optional<LeaseRecord> LeaseServer::active_lease(const vmbus::Guid& device) const {
  std::lock_guard lock(mutex_);
  for (const auto& lease : leases_) {
    if (lease->started && !lease->done && lease->record.device == device) return lease->record;
  }
  return std::nullopt;
}

std::optional<ChannelRings> LeaseServer::primary_rings(const vmbus::Guid& device) const {
  std::lock_guard lock(mutex_);
  for (const auto& lease : leases_) {
    if (!lease->started || lease->done || lease->record.device != device) continue;
    if (lease->rings_map) return decode_channel_rings(lease->rings_map.data(), lease->rings_map.size());
    if (lease->rings) return read_channel_rings(lease->rings.get(), static_cast<std::size_t>(lease->rings_size));
  }
  return std::nullopt;
}

std::optional<vmbus::ChannelCountersSnapshot> LeaseServer::channel_counters(const vmbus::Guid& device,
                                                                           std::uint32_t relid) const {
  std::lock_guard lock(mutex_);
  for (const auto& lease : leases_) {
    if (!lease->started || lease->done || lease->record.device != device || !lease->counters) continue;
    return vmbus::read_shared_counters({lease->counters.data(), lease->counters.size()}, relid);
  }
  return std::nullopt;
}

// Caller holds mutex_.
void LeaseServer::end(Lease& lease, LeaseEnd why, const std::string& message, bool tell_client) {
  if (lease.done) return;
  lease.done = true;
  if (tell_client && lease.client) send_rescinded(lease.client.get());
  lease.client.reset();
  lease.upstream.reset();  // the device is closed: hvsim (or the kernel) resets it
  lease.rings.reset();
  lease.rings_map = {};
  lease.counters = {};
  if (!lease.started) return;  // a refused or broken handshake: no lease to record
  lease.record.active = false;
  lease.record.ended = Clock::now();
  lease.record.end = why;
  lease.record.end_message = message;
  ended_.push_back(lease.record);
  while (ended_.size() > kKeptEnded) ended_.pop_front();
  log_info("lease " + lease.record.id + " of " + lease.record.device.str() + " (pid " +
           std::to_string(lease.record.pid) + ") ended: " + lease_end_name(why) +
           (message.empty() ? "" : " (" + message + ")"));
  if (observer_) observer_(lease.record);
}

void LeaseServer::accept_on(Listener& l) {
  for (;;) {
    UniqueFd client(::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!client) return;  // EAGAIN: all taken
    ucred peer{};
    socklen_t length = sizeof peer;
    (void)::getsockopt(client.get(), SOL_SOCKET, SO_PEERCRED, &peer, &length);
    auto lease = std::make_unique<Lease>();
    for (const auto& other : leases_) {
      if (!other->done && other->refused.empty() && other->record.device == l.device.instance) {
        lease->refused = "leased to pid " + std::to_string(other->record.pid) +
                         (other->started ? " (lease " + other->record.id + ")" : std::string()) + "; vmbusctl leases";
        break;
      }
    }
    lease->device = l.device;
    lease->client = std::move(client);
    lease->record.device = l.device.instance;
    lease->record.pid = peer.pid;
    lease->record.uid = peer.uid;
    lease->record.gid = peer.gid;
    lease->record.comm = comm_of(peer.pid);
    leases_.push_back(std::move(lease));
  }
}

bool LeaseServer::start_lease(Lease& lease) {
  const std::filesystem::path node = upstream_.uio_node(lease.device.uio_name);
  struct stat st {};
  if (::stat(node.c_str(), &st) != 0) {
    send_error(lease.client.get(), ENODEV, "vmbusd: " + node.string() + " is gone (device rescinded?)");
    return false;
  }
  if (S_ISCHR(st.st_mode)) return start_kernel_lease(lease, node);
  if (S_ISSOCK(st.st_mode)) return start_endpoint_lease(lease, node);
  send_error(lease.client.get(), ENODEV,
             "vmbusd: " + node.string() + " is neither a uio character device nor an endpoint socket");
  return false;
}

void LeaseServer::record_start(Lease& lease) {
  lease.started = true;
  lease.record.id = std::to_string(next_id_++);
  lease.record.started = Clock::now();
  log_info("lease " + lease.record.id + " of " + lease.device.instance.str() + " to pid " +
           std::to_string(lease.record.pid) + " (" + lease.record.comm + ")" +
           (lease.kernel ? ", kernel uio device" : ""));
  if (observer_) observer_(lease.record);
}

bool LeaseServer::start_kernel_lease(Lease& lease, const std::filesystem::path& node) {
  const std::vector<vmbus::UioMapInfo>& maps = lease.device.maps;
  if (maps.empty() || maps.size() > ep::kMaxMaps) {
    send_error(lease.client.get(), EIO,
               "vmbusd: " + lease.device.uio_name + " has " + std::to_string(maps.size()) + " uio maps in sysfs, expected 1 to 5");
    return false;
  }
  // Our own open file: hv_uio_open connects the rings on the first open
  // (vmbus_connect_ring), and the last close disconnects them.
  UniqueFd uio(::open(node.c_str(), O_RDWR | O_CLOEXEC));
  if (!uio) {
    const int e = errno;
    send_error(lease.client.get(), e, "vmbusd: cannot open " + node.string() + ": " + errno_text(e));
    return false;
  }
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  ep::DeviceReply reply{};
  reply.header = {static_cast<std::uint32_t>(ep::MessageType::device_reply), sizeof reply};
  reply.map_count = static_cast<std::uint32_t>(maps.size());
  reply.interrupt_kind = static_cast<std::uint32_t>(ep::InterruptKind::uio);
  for (std::size_t k = 0; k < maps.size(); ++k) {
    std::strncpy(reply.maps[k].name, maps[k].name.c_str(), ep::kMapNameSize - 1);
    reply.maps[k].size = maps[k].size;
    reply.maps[k].offset = maps[k].offset;
    reply.maps[k].mmap_offset = std::uint64_t{maps[k].index} * page;  // uio_mmap: vm_pgoff is the map index
  }
  int fds[ep::kMaxMaps + 1];
  for (std::size_t i = 0; i <= maps.size(); ++i) fds[i] = uio.get();
  if (maps[0].name == "txrx_rings" && maps[0].index == 0) {
    void* map = ::mmap(nullptr, maps[0].size, PROT_READ, MAP_SHARED, uio.get(), 0);
    if (map != MAP_FAILED) lease.rings_map = vmbus::MappedRegion(map, maps[0].size);
  }
  if (vmbus::detail::send_message(lease.client.get(), bytes_of(reply), std::span<const int>(fds, maps.size() + 1)) != 0) {
    return false;  // the client left already
  }
  lease.upstream = std::move(uio);
  lease.kernel = true;
  record_start(lease);
  return true;
}

bool LeaseServer::start_endpoint_lease(Lease& lease, const std::filesystem::path& node) {
  int error = 0;
  UniqueFd up = connect_to(node, error);
  if (!up) {
    send_error(lease.client.get(), error, "vmbusd: cannot connect to " + node.string() + ": " + errno_text(error));
    return false;
  }
  const ep::Hello hello{{static_cast<std::uint32_t>(ep::MessageType::hello), sizeof(ep::Hello)}, ep::kMagic, ep::kVersion};
  if (int e = vmbus::detail::send_message(up.get(), bytes_of(hello), {}); e != 0) {
    send_error(lease.client.get(), e, "vmbusd: " + node.string() + ": sending Hello: " + errno_text(e));
    return false;
  }
  // The DeviceReply is handled by on_upstream when it arrives (finish_endpoint_lease).
  lease.upstream = std::move(up);
  lease.upstream_node = node;
  lease.awaiting_device_reply = true;
  lease.reply_deadline = std::chrono::steady_clock::now() + kUpstreamTimeout;
  return true;
}

bool LeaseServer::finish_endpoint_lease(Lease& lease) {
  lease.awaiting_device_reply = false;
  const std::string node = lease.upstream_node.string();
  alignas(8) std::byte buffer[ep::kMaxMessageSize];
  vmbus::detail::ReceivedMessage m;
  if (int e = vmbus::detail::receive_message(lease.upstream.get(), buffer, m, MSG_DONTWAIT); e != 0 || m.size == 0) {
    send_error(lease.client.get(), EIO, "vmbusd: " + node + " closed during the handshake");
    return false;
  }
  const std::span<const std::byte> reply(buffer, m.size);
  const auto header = load<ep::MessageHeader>(reply);
  if (m.size >= sizeof(ep::ErrorReply) && header.type == static_cast<std::uint32_t>(ep::MessageType::error)) {
    (void)vmbus::detail::send_message(lease.client.get(), reply.first(sizeof(ep::ErrorReply)), {});  // the host's refusal
    return false;
  }
  const auto device_reply = load<ep::DeviceReply>(reply);
  if (m.truncated || header.type != static_cast<std::uint32_t>(ep::MessageType::device_reply) ||
      m.size != sizeof(ep::DeviceReply) || device_reply.map_count == 0 || device_reply.map_count > ep::kMaxMaps ||
      m.fd_count != device_reply.map_count + 1) {
    send_error(lease.client.get(), EPROTO, "vmbusd: malformed DeviceReply from " + node);
    log_warn("malformed DeviceReply from " + node + ": " + std::to_string(m.size) + " bytes, " +
             std::to_string(m.fd_count) + " fds");
    return false;
  }
  int fds[ep::kMaxMaps + 1];
  for (std::size_t i = 0; i < m.fd_count; ++i) fds[i] = m.fds[i].get();
  if (int e = vmbus::detail::send_message(lease.client.get(), reply, std::span<const int>(fds, m.fd_count)); e != 0) {
    return false;  // the client left already
  }
  if (std::strncmp(device_reply.maps[0].name, "txrx_rings", sizeof device_reply.maps[0].name) == 0 &&
      device_reply.maps[0].mmap_offset == 0) {
    lease.rings = UniqueFd(::fcntl(m.fds[0].get(), F_DUPFD_CLOEXEC, 0));
    lease.rings_size = device_reply.maps[0].size;
  }
  record_start(lease);
  return true;
}

void LeaseServer::on_share_counters(Lease& lease, vmbus::detail::ReceivedMessage& m) {
  const auto fail = [&](const std::string& why) {
    send_error(lease.client.get(), EPROTO, "vmbusd: ShareCounters: " + why);
    end(lease, LeaseEnd::holder_closed, "protocol error from the holder (ShareCounters: " + why + ")", false);
  };
  if (lease.counters) return fail("sent twice");
  const int fd = m.fds[0].get();
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return fail("the fd is not a memfd");
  // Unsealed, the holder could shrink the file under our mapping: SIGBUS here.
  const int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0 || (seals & F_SEAL_SHRINK) == 0) return fail("the memfd is not sealed against shrinking (F_SEAL_SHRINK)");
  if (st.st_size <= 0 || static_cast<std::uint64_t>(st.st_size) > kMaxCountersBytes) {
    return fail("the memfd is " + std::to_string(st.st_size) + " bytes, expected 1 to " + std::to_string(kMaxCountersBytes));
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return fail("mmap: " + errno_text(errno));
  lease.counters = vmbus::MappedRegion(map, size);
}

void LeaseServer::on_kernel_irqcontrol(Lease& lease, std::span<const std::byte> message) {
  const auto request = load<ep::IrqControl>(message);
  ep::IrqControlResult reply{};
  reply.header = {static_cast<std::uint32_t>(ep::MessageType::irqcontrol_result), sizeof reply};
  ssize_t n;
  do {
    n = ::write(lease.upstream.get(), &request.value, sizeof request.value);  // uio_write -> hv_uio_irqcontrol
  } while (n < 0 && errno == EINTR);
  reply.result = n == sizeof request.value ? 0 : n < 0 ? -errno : -EIO;
  (void)vmbus::detail::send_message(lease.client.get(), bytes_of(reply), {});
  // uio_write's -EIO: hv_uio_rescind cleared info.irq, the device is gone.
  if (reply.result == -EIO) end(lease, LeaseEnd::device_rescinded, "the kernel rescinded the device", true);
}

void LeaseServer::on_client(Lease& lease) {
  alignas(8) std::byte buffer[ep::kMaxMessageSize];
  vmbus::detail::ReceivedMessage m;
  const int e = vmbus::detail::receive_message(lease.client.get(), buffer, m, MSG_DONTWAIT);
  if (e == EAGAIN || e == EWOULDBLOCK) return;
  if (e != 0 || m.size == 0) {
    end(lease, LeaseEnd::holder_closed, "", false);
    return;
  }
  const std::span<const std::byte> msg(buffer, m.size);
  const auto header = load<ep::MessageHeader>(msg);
  if (m.truncated || m.size < sizeof header || header.size != m.size) {
    send_error(lease.client.get(), EPROTO, "vmbusd: malformed message");
    end(lease, LeaseEnd::holder_closed, "malformed message from the holder", false);
    return;
  }
  if (lease.awaiting_device_reply) {
    send_error(lease.client.get(), EPROTO, "vmbusd: a message before the DeviceReply");
    end(lease, LeaseEnd::holder_closed, "", false);
    return;
  }
  if (!lease.started) {
    const auto hello = load<ep::Hello>(msg);
    if (header.type != static_cast<std::uint32_t>(ep::MessageType::hello) || m.size != sizeof hello ||
        hello.magic != ep::kMagic || hello.version != ep::kVersion || m.fd_count != 0) {
      send_error(lease.client.get(), EPROTO,
                 "vmbusd: expected Hello (endpoint protocol version " + std::to_string(ep::kVersion) + ")");
      end(lease, LeaseEnd::holder_closed, "", false);
      return;
    }
    if (!lease.refused.empty()) {
      send_error(lease.client.get(), EBUSY, lease.refused);
      end(lease, LeaseEnd::holder_closed, "", false);
      return;
    }
    if (!start_lease(lease)) end(lease, LeaseEnd::holder_closed, "", false);
    return;
  }
  // Only what a client may send, with exactly the fds it carries.
  const bool irq = header.type == static_cast<std::uint32_t>(ep::MessageType::irqcontrol) &&
                   m.size == sizeof(ep::IrqControl) && m.fd_count == 0;
  const bool reg = header.type == static_cast<std::uint32_t>(ep::MessageType::register_memory) &&
                   m.size == sizeof(ep::RegisterMemory) && m.fd_count == 1;
  const bool share = header.type == static_cast<std::uint32_t>(ep::MessageType::share_counters) &&
                     m.size == sizeof(ep::ShareCounters) && m.fd_count == 1;
  if (share) return on_share_counters(lease, m);  // for vmbusd: not relayed
  if (irq && lease.kernel) return on_kernel_irqcontrol(lease, msg);
  if (reg && lease.kernel) {
    // The kernel's DMA memory is guest-physical (pagemap): nothing to register.
    ep::RegisterMemoryResult reply{};
    reply.header = {static_cast<std::uint32_t>(ep::MessageType::register_memory_result), sizeof reply};
    reply.result = -EOPNOTSUPP;
    (void)vmbus::detail::send_message(lease.client.get(), bytes_of(reply), {});
    return;
  }
  if (!irq && !reg) {
    send_error(lease.client.get(), EPROTO, "vmbusd: unexpected message type " + std::to_string(header.type));
    end(lease, LeaseEnd::holder_closed, "protocol error from the holder", false);
    return;
  }
  int fds[1] = {reg ? m.fds[0].get() : -1};
  if (vmbus::detail::send_message(lease.upstream.get(), msg, std::span<const int>(fds, reg ? 1 : 0)) != 0) {
    end(lease, LeaseEnd::device_rescinded, "the host closed the device", true);
  }
}

void LeaseServer::on_upstream(Lease& lease) {
  if (lease.awaiting_device_reply) {
    if (!finish_endpoint_lease(lease)) end(lease, LeaseEnd::holder_closed, "", false);
    return;
  }
  alignas(8) std::byte buffer[ep::kMaxMessageSize];
  vmbus::detail::ReceivedMessage m;
  const int e = vmbus::detail::receive_message(lease.upstream.get(), buffer, m, MSG_DONTWAIT);
  if (e == EAGAIN || e == EWOULDBLOCK) return;
  if (e != 0 || m.size == 0) {
    end(lease, LeaseEnd::device_rescinded, "the host closed the device", true);
    return;
  }
  const std::span<const std::byte> msg(buffer, m.size);
  const auto header = load<ep::MessageHeader>(msg);
  using T = ep::MessageType;
  const auto type = static_cast<T>(header.type);
  const bool ok = !m.truncated && m.fd_count == 0 && m.size >= sizeof header && header.size == m.size &&
                  (((type == T::irqcontrol_result || type == T::register_memory_result) &&
                    m.size == sizeof(ep::IrqControlResult)) ||
                   (type == T::rescinded && m.size == sizeof header) ||
                   (type == T::error && m.size == sizeof(ep::ErrorReply)));
  if (!ok) {
    log_warn("malformed message from " + upstream_.uio_node(lease.device.uio_name).string() + "; ending the lease");
    end(lease, LeaseEnd::device_rescinded, "malformed message from the host", true);
    return;
  }
  (void)vmbus::detail::send_message(lease.client.get(), msg, {});
  if (type == T::rescinded || type == T::error) end(lease, LeaseEnd::device_rescinded, "", false);
}

// Caller holds mutex_.
int LeaseServer::poll_timeout_ms(std::chrono::steady_clock::time_point now) const {
  int timeout = -1;
  for (const auto& lease : leases_) {
    if (lease->done || !lease->awaiting_device_reply) continue;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(lease->reply_deadline - now).count();
    const int ms = left < 0 ? 0 : static_cast<int>(std::min<long long>(left, kUpstreamTimeout.count()));
    if (timeout < 0 || ms < timeout) timeout = ms;
  }
  return timeout;
}

// Caller holds mutex_.
void LeaseServer::expire_handshakes(std::chrono::steady_clock::time_point now) {
  for (auto& lease : leases_) {
    if (lease->done || !lease->awaiting_device_reply || now < lease->reply_deadline) continue;
    send_error(lease->client.get(), ETIMEDOUT,
               "vmbusd: no DeviceReply from " + lease->upstream_node.string() + " within " +
                   std::to_string(kUpstreamTimeout.count()) + " ms");
    log_warn("no DeviceReply from " + lease->upstream_node.string() + "; the lease attempt of pid " +
             std::to_string(lease->record.pid) + " is refused");
    end(*lease, LeaseEnd::holder_closed, "", false);
  }
}

void LeaseServer::run() noexcept {
  enum class Kind { wake, listener, client, upstream };
  struct Slot {
    Kind kind;
    void* what;
  };
  std::vector<pollfd> fds;
  std::vector<Slot> slots;
  while (!stopping_.load()) {
    fds.clear();
    slots.clear();
    int timeout_ms = -1;
    {
      std::lock_guard lock(mutex_);
      timeout_ms = poll_timeout_ms(std::chrono::steady_clock::now());
      fds.push_back({wake_fd_.get(), POLLIN, 0});
      slots.push_back({Kind::wake, nullptr});
      for (auto& [guid, l] : listeners_) {
        fds.push_back({l->fd.get(), POLLIN, 0});
        slots.push_back({Kind::listener, l.get()});
      }
      for (auto& lease : leases_) {
        if (lease->done) continue;
        fds.push_back({lease->client.get(), POLLIN, 0});
        slots.push_back({Kind::client, lease.get()});
        if (lease->upstream && !lease->kernel) {  // a uio file is not a socket: rescinds come from the bus watcher
          fds.push_back({lease->upstream.get(), POLLIN, 0});
          slots.push_back({Kind::upstream, lease.get()});
        }
      }
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0) continue;  // EINTR
    std::lock_guard lock(mutex_);
    expire_handshakes(std::chrono::steady_clock::now());
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      switch (slots[i].kind) {
        case Kind::wake: {
          std::uint64_t n;
          (void)!::read(wake_fd_.get(), &n, sizeof n);
          break;
        }
        case Kind::listener: {
          // Still listening? (removed meanwhile: its pointer is gone)
          for (auto& [guid, l] : listeners_) {
            if (l.get() == slots[i].what) accept_on(*l);
          }
          break;
        }
        case Kind::client:
        case Kind::upstream: {
          auto* lease = static_cast<Lease*>(slots[i].what);
          // Every lease pointer in `slots` is still owned by leases_ (only this thread erases).
          if (lease->done) break;
          if (slots[i].kind == Kind::client) on_client(*lease);
          else on_upstream(*lease);
          break;
        }
      }
    }
    std::erase_if(leases_, [](const std::unique_ptr<Lease>& l) { return l->done; });
  }
}

}  // namespace vmbusd
