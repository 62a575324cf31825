// Test support for hvsim: a temporary root under /dev/shm, a log that tests
// can search, polling helpers, file writes as a shell's `echo > file` does,
// and a raw endpoint client written from endpoint_protocol.h alone (connect,
// Hello, receive the fds, mmap them) with the SDK's rings on top, as the
// SDK's backing layer will do.
//
// Usage:
//   hvsim::test::TempRoot root;
//   hvsim::test::CapturedLog log;
//   hvsim::Simulator sim({.root = root.path(), .config = hvsim::default_config(), .log = log.logger()});
//   sim.start();
//   auto client = hvsim::test::EndpointClient::open(sim.paths().uio_node(0));
//   client->send_inband(payload, 7);
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hvsim/log.h"
#include "unique_fd.h"
#include "vmbus/backing/endpoint_protocol.h"
#include "vmbus/hv_monitor_page.h"
#include "vmbus/packet/builders.h"
#include "vmbus/ring/incoming_ring.h"
#include "vmbus/ring/outgoing_ring.h"

namespace hvsim::test {

namespace stdfs = std::filesystem;
namespace ep = vmbus::endpoint;

// A fresh empty directory under /dev/shm, removed with everything in it.
class TempRoot {
 public:
  TempRoot() {
    char name[] = "/dev/shm/hvsim-test-XXXXXX";
    if (::mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~TempRoot() {
    std::error_code ec;
    stdfs::remove_all(path_, ec);
  }
  const stdfs::path& path() const { return path_; }

 private:
  stdfs::path path_;
};

// Collects log lines; prints them too when HVSIM_TEST_LOG is set.
class CapturedLog {
 public:
  Logger logger() {
    return Logger([this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
      if (std::getenv("HVSIM_TEST_LOG")) std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    });
  }
  bool contains(std::string_view text) const {
    std::lock_guard lock(mutex_);
    for (const auto& l : lines_) if (l.find(text) != std::string::npos) return true;
    return false;
  }
  std::string all() const {
    std::lock_guard lock(mutex_);
    std::string s;
    for (const auto& l : lines_) s += l + "\n";
    return s;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Polls `done` every millisecond for up to `timeout`.
inline bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

inline std::string read_text(const stdfs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// What `echo text > path` does: open with O_TRUNC, write, close (IN_CLOSE_WRITE).
inline void write_text(const stdfs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
}

inline bool present(const stdfs::path& p) {
  std::error_code ec;
  return stdfs::exists(stdfs::symlink_status(p, ec));
}

// One message from the socket: type 0 means the connection closed.
struct Message {
  std::uint32_t type = 0;
  std::vector<std::byte> bytes;
  std::vector<UniqueFd> fds;
  template <typename T>
  T as() const {
    T v{};
    std::memcpy(&v, bytes.data(), std::min(sizeof v, bytes.size()));
    return v;
  }
};

inline std::optional<Message> receive(int fd, int timeout_ms = 5000) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
  alignas(8) std::byte buffer[ep::kMaxMessageSize + 64];
  alignas(cmsghdr) char control[CMSG_SPACE(16 * sizeof(int))];
  iovec iov{buffer, sizeof buffer};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  Message m;
  if (n <= 0) return m;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int f;
      std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
      m.fds.emplace_back(f);
    }
  }
  m.bytes.assign(buffer, buffer + n);
  ep::MessageHeader h{};
  std::memcpy(&h, buffer, std::min(sizeof h, static_cast<std::size_t>(n)));
  m.type = h.type;
  return m;
}

inline bool send_message(int fd, const void* data, std::size_t size, std::span<const int> fds = {}) {
  iovec iov{const_cast<void*>(data), size};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(8 * sizeof(int))]{};
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    auto* c = reinterpret_cast<cmsghdr*>(control);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
  }
  return ::sendmsg(fd, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(size);
}

inline UniqueFd connect_seqpacket(const stdfs::path& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return UniqueFd();
  return fd;
}

inline ep::Hello hello_message(std::uint32_t magic = ep::kMagic, std::uint32_t version = ep::kVersion) {
  return ep::Hello{{static_cast<std::uint32_t>(ep::MessageType::hello), sizeof(ep::Hello)}, magic, version};
}

// A guest process's view of one open device, through the endpoint.
class EndpointClient {
 public:
  struct Map {
    std::string name;
    std::uint64_t size = 0;
    std::byte* data = nullptr;
  };

  // Connects, says Hello and maps what DeviceReply gives. Returns nullptr
  // (with `error` set to the ErrorReply's errno) if refused.
  static std::unique_ptr<EndpointClient> open(const stdfs::path& node, int* error = nullptr) {
    auto c = std::unique_ptr<EndpointClient>(new EndpointClient);
    c->socket_ = connect_seqpacket(node);
    if (!c->socket_) {
      if (error) *error = errno;
      return nullptr;
    }
    const ep::Hello hello = hello_message();
    if (!send_message(c->socket_.get(), &hello, sizeof hello)) return nullptr;
    auto reply = receive(c->socket_.get());
    if (!reply || reply->type != static_cast<std::uint32_t>(ep::MessageType::device_reply)) {
      if (error) *error = reply && reply->type == static_cast<std::uint32_t>(ep::MessageType::error) ? reply->as<ep::ErrorReply>().error : -1;
      return nullptr;
    }
    const auto r = reply->as<ep::DeviceReply>();
    if (reply->fds.size() != r.map_count + 1) return nullptr;
    for (std::uint32_t i = 0; i < r.map_count; ++i) {
      Map m;
      m.name = r.maps[i].name;
      m.size = r.maps[i].size;
      void* p = ::mmap(nullptr, m.size, PROT_READ | PROT_WRITE, MAP_SHARED, reply->fds[i].get(), 0);
      if (p == MAP_FAILED) return nullptr;
      m.data = static_cast<std::byte*>(p);
      c->maps_.push_back(m);
    }
    c->event_ = std::move(reply->fds.back());
    const std::size_t half = c->maps_[0].size / 2;
    std::span<std::byte> rings(c->maps_[0].data, c->maps_[0].size);
    c->tx_memory_.emplace(*vmbus::RingMemory::from(rings.first(half)));
    c->rx_memory_.emplace(*vmbus::RingMemory::from(rings.subspan(half, half)));
    c->tx_.emplace(*vmbus::OutgoingRing::attach(*c->tx_memory_));
    c->rx_.emplace(*vmbus::IncomingRing::attach(*c->rx_memory_));
    return c;
  }

  ~EndpointClient() {
    for (const Map& m : maps_) ::munmap(m.data, m.size);
  }

  int socket() const { return socket_.get(); }
  int event_fd() const { return event_.get(); }
  const std::vector<Map>& maps() const { return maps_; }
  std::byte* int_page() const { return maps_.at(1).data; }
  std::byte* monitor_page() const { return maps_.at(2).data; }
  vmbus::OutgoingRing& tx() { return *tx_; }
  vmbus::IncomingRing& rx() { return *rx_; }
  vmbus::RingMemory& tx_memory() { return *tx_memory_; }
  vmbus::RingMemory& rx_memory() { return *rx_memory_; }
  void close() { socket_.reset(); }

  // The guest's signal: monitored channels set the int-page and monitor
  // bits (the kernel's vmbus_setevent); the others write irqcontrol(1).
  void signal(std::uint32_t relid, std::optional<std::uint8_t> monitor_id) {
    if (monitor_id) {
      vmbus::signal_int_page(int_page(), relid);
      vmbus::signal_monitor(monitor_page(), *monitor_id);
    } else {
      EXPECT_EQ(irqcontrol(1), 0);
    }
  }

  std::int32_t irqcontrol(std::int32_t value) {
    ep::IrqControl m{{static_cast<std::uint32_t>(ep::MessageType::irqcontrol), sizeof(ep::IrqControl)}, value, 0};
    if (!send_message(socket_.get(), &m, sizeof m)) return -9999;
    auto reply = receive(socket_.get());
    if (!reply || reply->type != static_cast<std::uint32_t>(ep::MessageType::irqcontrol_result)) return -9998;
    return reply->as<ep::IrqControlResult>().result;
  }

  std::int32_t register_memory(std::uint64_t gpa, std::uint64_t size, int memfd) {
    ep::RegisterMemory m{{static_cast<std::uint32_t>(ep::MessageType::register_memory), sizeof(ep::RegisterMemory)}, gpa, size};
    const int fds[1] = {memfd};
    if (!send_message(socket_.get(), &m, sizeof m, fds)) return -9999;
    auto reply = receive(socket_.get());
    if (!reply || reply->type != static_cast<std::uint32_t>(ep::MessageType::register_memory_result)) return -9998;
    return reply->as<ep::RegisterMemoryResult>().result;
  }

  // Waits until the host has cleared its interrupt_mask on the TX ring: it
  // finished draining and waits for a signal. Call it after seeing the
  // host's output, before expecting the next commit to ask for a signal.
  bool wait_host_idle() { return wait_for([&] { return tx_memory().load_interrupt_mask() == 0; }); }

  // Interrupts since the last call, waiting up to timeout_ms for the first.
  std::uint64_t wait_interrupts(int timeout_ms = 5000) {
    pollfd p{event_.get(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return 0;
    std::uint64_t n = 0;
    if (::read(event_.get(), &n, sizeof n) != sizeof n) return 0;
    return n;
  }

  // Writes one packet and commits; signals the host if the ring says so.
  // Returns whether it signalled.
  bool send(const vmbus::OutgoingPacket& p, std::uint32_t relid, std::optional<std::uint8_t> monitor_id) {
    EXPECT_TRUE(tx().write(p).ok());
    if (!tx().commit()) return false;
    signal(relid, monitor_id);
    return true;
  }

  // Reads the next packet from the RX ring, waiting up to timeout_ms.
  std::optional<vmbus::IncomingPacket> read_packet(std::span<std::byte> buffer, int timeout_ms = 5000) {
    std::optional<vmbus::IncomingPacket> got;
    wait_for([&] {
      auto p = rx().read(buffer);
      if (p) got = *p;
      return got.has_value();
    }, std::chrono::milliseconds(timeout_ms));
    return got;
  }

 private:
  EndpointClient() = default;
  UniqueFd socket_;
  UniqueFd event_;
  std::vector<Map> maps_;
  std::optional<vmbus::RingMemory> tx_memory_, rx_memory_;
  std::optional<vmbus::OutgoingRing> tx_;
  std::optional<vmbus::IncomingRing> rx_;
};

inline std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> v(s.size());
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

inline std::string text_of(std::span<const std::byte> b, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(b.data()), std::min(n, b.size()));
}

}  // namespace hvsim::test
