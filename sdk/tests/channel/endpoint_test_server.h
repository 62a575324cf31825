// Test support: a tiny endpoint server (vmbus/backing/endpoint_protocol.h) on
// a socket in a fresh temporary directory, serving one connection on its own
// thread. Tests either script it byte by byte (hostile replies) or use
// FakeHost, which serves a device properly: memfd maps the test can look
// into as the host does, an interrupt eventfd, IrqControl and RegisterMemory
// replies, and an unsolicited Rescinded message on request.
//
// Usage:
//   vmbus::test::TestEndpoint ep([](int conn) { read_hello(conn); send_bytes(conn, garbage, {}); });
//   EXPECT_THROW(vmbus::open_backing(ep.path()), vmbus::DeviceError);
//
//   vmbus::test::FakeHost host({{"txrx_rings", 4 * 4096}, {"int_page", 4096}, {"monitor_page", 4096}});
//   auto backing = vmbus::open_backing(host.path());
//   host.interrupt(3);
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "../../src/backing/unique_fd.h"
#include "../ring_test_support.h"
#include "../temp_dir.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/backing/endpoint_protocol.h"
#include "vmbus/ring/ring_memory.h"

namespace vmbus::test {

namespace fs = std::filesystem;
using detail::UniqueFd;

inline std::size_t open_fd_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

inline UniqueFd make_memfd(std::size_t size, bool allow_sealing = true) {
  UniqueFd fd(::memfd_create("vmbus-test-map", MFD_CLOEXEC | (allow_sealing ? MFD_ALLOW_SEALING : 0u)));
  if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) ADD_FAILURE() << "memfd: " << std::strerror(errno);
  return fd;
}

inline UniqueFd make_eventfd() { return UniqueFd(::eventfd(0, EFD_CLOEXEC)); }

template <typename T>
std::span<const std::byte> as_bytes_of(const T& value) {
  return std::as_bytes(std::span<const T, 1>(&value, 1));
}

// The test server's own sendmsg/recvmsg (not the code under test), which
// can also send more fds than the protocol allows.
inline void send_bytes(int conn, std::span<const std::byte> bytes, std::vector<int> fds = {}) {
  iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 64)]{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (c == nullptr) {
      ADD_FAILURE() << "no room for SCM_RIGHTS";
      return;
    }
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  const ssize_t n = ::sendmsg(conn, &msg, MSG_NOSIGNAL);
  EXPECT_EQ(n, static_cast<ssize_t>(bytes.size())) << "sendmsg: " << std::strerror(errno);
}

struct ServerMessage {
  ssize_t size = -1;  // 0: the client closed; -1: error
  std::size_t fd_count = 0;
  UniqueFd first_fd;  // the first fd it carried, if any
};

// One datagram from the client; fds it carries are closed, but the first.
inline ServerMessage receive_bytes(int conn, std::span<std::byte> buffer) {
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)]{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ServerMessage out;
  out.size = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); out.size >= 0 && c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < n; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (out.fd_count == 0) {
        out.first_fd.reset(fd);
      } else {
        ::close(fd);
      }
      ++out.fd_count;
    }
  }
  return out;
}

// Waits up to `ms` for the client to send or close.
inline bool wait_for_client(int conn, int ms) {
  pollfd p{conn, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

// Reads the client's Hello and checks it.
inline void read_hello(int conn) {
  alignas(8) std::byte buffer[endpoint::kMaxMessageSize];
  ASSERT_TRUE(wait_for_client(conn, 5000)) << "no Hello";
  const ServerMessage m = receive_bytes(conn, buffer);
  ASSERT_EQ(m.size, static_cast<ssize_t>(sizeof(endpoint::Hello)));
  endpoint::Hello hello;
  std::memcpy(&hello, buffer, sizeof hello);
  EXPECT_EQ(hello.header.type, static_cast<std::uint32_t>(endpoint::MessageType::hello));
  EXPECT_EQ(hello.header.size, sizeof(endpoint::Hello));
  EXPECT_EQ(hello.magic, endpoint::kMagic);
  EXPECT_EQ(hello.version, endpoint::kVersion);
}

inline endpoint::MapInfo map_info(const std::string& name, std::uint64_t size) {
  endpoint::MapInfo m{};
  std::memcpy(m.name, name.data(), std::min(name.size(), sizeof m.name));
  m.size = size;
  return m;
}

inline endpoint::DeviceReply device_reply(const std::vector<endpoint::MapInfo>& maps) {
  endpoint::DeviceReply r{};
  r.header = {static_cast<std::uint32_t>(endpoint::MessageType::device_reply), sizeof(endpoint::DeviceReply)};
  r.map_count = static_cast<std::uint32_t>(maps.size());
  for (std::size_t i = 0; i < maps.size() && i < endpoint::kMaxMaps; ++i) r.maps[i] = maps[i];
  return r;
}

inline endpoint::IrqControlResult result_message(endpoint::MessageType type, std::int32_t result) {
  return {{static_cast<std::uint32_t>(type), sizeof(endpoint::IrqControlResult)}, result, 0};
}

// One listening socket, one accepted connection, one script on a thread.
class TestEndpoint {
 public:
  using Script = std::function<void(int conn)>;

  explicit TestEndpoint(Script script, const fs::path& socket_path = {}) : path_(socket_path) {
    if (path_.empty()) path_ = dir_.path() / "uio0";
    listener_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_.get(), 1) != 0) {
      ADD_FAILURE() << "bind/listen " << path_ << ": " << std::strerror(errno);
    }
    thread_ = std::thread([this, script = std::move(script)] {
      if (!wait_for_client(listener_.get(), 10000)) return;
      UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn) return;
      conn_.store(conn.get());
      script(conn.get());
      std::lock_guard lock(close_mutex_);
      conn_.store(-1);
    });
  }
  ~TestEndpoint() { join(); }

  void join() {
    if (thread_.joinable()) thread_.join();
  }
  // Wakes a script blocked reading the connection (it then sees EOF).
  void hang_up() {
    std::lock_guard lock(close_mutex_);
    if (int c = conn_.load(); c >= 0) ::shutdown(c, SHUT_RDWR);
  }
  // Sends on the live connection from the test thread.
  void send_from_test(std::span<const std::byte> bytes) {
    std::lock_guard lock(close_mutex_);
    if (int c = conn_.load(); c >= 0) send_bytes(c, bytes);
  }

  const fs::path& path() const noexcept { return path_; }
  const fs::path& dir() const noexcept { return dir_.path(); }

 private:
  TempDir dir_;
  fs::path path_;
  UniqueFd listener_;
  std::atomic<int> conn_{-1};
  std::mutex close_mutex_;
  std::thread thread_;
};

// One map FakeHost serves: a memfd of `size` bytes, announced as `name`.
struct MapSpec {
  std::string name;
  std::size_t size;
};

// A well-behaved host: serves `maps` as memfds (which it also maps, to look
// at the device as the host does), an eventfd, and answers requests.
class FakeHost {
 public:
  // With `initialize_rings`, the host initializes both rings of a
  // "txrx_rings" map (hv_ringbuffer_init) before answering Hello.
  // With `one_file`, every map lives in one memfd at page-aligned offsets
  // (MapInfo.mmap_offset), the shape of a kernel uio file passed on.
  explicit FakeHost(std::vector<MapSpec> maps, const fs::path& socket_path = {}, bool initialize_rings = true,
                    bool one_file = false)
      : specs_(std::move(maps)),
        initialize_rings_(initialize_rings),
        one_file_(one_file),
        endpoint_([this](int conn) { serve(conn); }, socket_path) {}
  ~FakeHost() {
    endpoint_.hang_up();
    endpoint_.join();
    for (std::size_t k = 0; k < host_maps_.size(); ++k) ::munmap(host_maps_[k], specs_[k].size);
    if (shared_counters_ != nullptr) ::munmap(shared_counters_, shared_counters_size_);
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const fs::path& path() const noexcept { return endpoint_.path(); }
  // The host's view of map `k` (valid once a client connected).
  int host_memfd(std::size_t k) {
    wait_served();
    return memfds_[k].get();
  }
  std::byte* host_map(std::size_t k) {
    wait_served();
    return static_cast<std::byte*>(host_maps_[k]);
  }
  void interrupt(std::uint64_t n = 1) {
    wait_served();
    EXPECT_EQ(::write(eventfd_.get(), &n, sizeof n), static_cast<ssize_t>(sizeof n));
  }
  void rescind() {
    const endpoint::MessageHeader m{static_cast<std::uint32_t>(endpoint::MessageType::rescinded), 8};
    endpoint_.send_from_test(as_bytes_of(m));
  }
  void hang_up() { endpoint_.hang_up(); }
  // The client's CountersTable (ShareCounters), mapped read-only as vmbusd
  // does; empty until it arrived.
  std::span<const std::byte> shared_counters() {
    std::lock_guard lock(mutex_);
    return {static_cast<const std::byte*>(shared_counters_), shared_counters_size_};
  }
  std::uint32_t shared_counter_slots() {
    std::lock_guard lock(mutex_);
    return shared_counter_slots_;
  }

  // What the client asked, and how to answer.
  std::vector<std::int32_t> irqcontrol_values() {
    std::lock_guard lock(mutex_);
    return irqcontrol_values_;
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> registered() {
    std::lock_guard lock(mutex_);
    return registered_;
  }
  // Called on the server thread for each IrqControl before it answers (the
  // host's hv_uio_irqcontrol: clear masks, signal).
  std::function<void(std::int32_t)> on_irqcontrol;
  std::atomic<std::int32_t> irqcontrol_result{0};

 private:
  void wait_served() {
    for (int i = 0; i < 500 && !served_.load(std::memory_order_acquire); ++i) ::usleep(10000);
    ASSERT_TRUE(served_.load(std::memory_order_acquire)) << "no client connected";
  }

  void serve(int conn) {
    read_hello(conn);
    std::vector<endpoint::MapInfo> infos;
    std::vector<int> fds;
    std::uint64_t file_size = 0;  // one_file_: the maps one after another, each page-aligned
    for (const MapSpec& spec : specs_) file_size += (spec.size + 4095) / 4096 * 4096;
    std::uint64_t at = 0;
    for (const MapSpec& spec : specs_) {
      void* p;
      if (one_file_) {
        if (memfds_.empty()) memfds_.push_back(make_memfd(file_size));
        p = ::mmap(nullptr, spec.size, PROT_READ | PROT_WRITE, MAP_SHARED, memfds_.front().get(), static_cast<off_t>(at));
      } else {
        memfds_.push_back(make_memfd(spec.size));
        p = ::mmap(nullptr, spec.size, PROT_READ | PROT_WRITE, MAP_SHARED, memfds_.back().get(), 0);
      }
      host_maps_.push_back(p);
      if (initialize_rings_ && spec.name == "txrx_rings") {
        auto* base = static_cast<std::byte*>(p);
        for (std::size_t half : {std::size_t{0}, spec.size / 2}) {
          auto ring = RingMemory::from({base + half, spec.size / 2});
          EXPECT_TRUE(ring.ok());
          if (ring) ring->initialize();
        }
      }
      infos.push_back(map_info(spec.name, spec.size));
      infos.back().mmap_offset = one_file_ ? at : 0;
      at += (spec.size + 4095) / 4096 * 4096;
      fds.push_back(memfds_.back().get());
    }
    eventfd_ = make_eventfd();
    fds.push_back(eventfd_.get());
    served_.store(true, std::memory_order_release);
    const endpoint::DeviceReply reply = device_reply(infos);
    send_bytes(conn, as_bytes_of(reply), fds);

    for (;;) {
      alignas(8) std::byte buffer[endpoint::kMaxMessageSize];
      const ServerMessage m = receive_bytes(conn, buffer);
      if (m.size < static_cast<ssize_t>(sizeof(endpoint::MessageHeader))) break;
      endpoint::MessageHeader h;
      std::memcpy(&h, buffer, sizeof h);
      if (h.type == static_cast<std::uint32_t>(endpoint::MessageType::irqcontrol)) {
        endpoint::IrqControl request;
        std::memcpy(&request, buffer, sizeof request);
        if (on_irqcontrol) on_irqcontrol(request.value);
        {
          std::lock_guard lock(mutex_);
          irqcontrol_values_.push_back(request.value);
        }
        send_bytes(conn, as_bytes_of(result_message(endpoint::MessageType::irqcontrol_result, irqcontrol_result.load())));
      } else if (h.type == static_cast<std::uint32_t>(endpoint::MessageType::register_memory)) {
        endpoint::RegisterMemory request;
        std::memcpy(&request, buffer, sizeof request);
        {
          std::lock_guard lock(mutex_);
          registered_.emplace_back(std::uint64_t{request.gpa_base}, std::uint64_t{request.size});
        }
        EXPECT_EQ(m.fd_count, 1u);
        send_bytes(conn, as_bytes_of(result_message(endpoint::MessageType::register_memory_result, 0)));
      } else if (h.type == static_cast<std::uint32_t>(endpoint::MessageType::share_counters)) {
        endpoint::ShareCounters request;
        std::memcpy(&request, buffer, sizeof request);
        struct stat st {};
        EXPECT_EQ(m.fd_count, 1u);
        EXPECT_EQ(::fstat(m.first_fd.get(), &st), 0);
        EXPECT_NE(::fcntl(m.first_fd.get(), F_GET_SEALS) & F_SEAL_SHRINK, 0) << "shared counters must be sealed";
        void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_SHARED, m.first_fd.get(), 0);
        EXPECT_NE(p, MAP_FAILED);
        std::lock_guard lock(mutex_);
        if (p != MAP_FAILED && shared_counters_ == nullptr) {
          shared_counters_ = p;
          shared_counters_size_ = static_cast<std::size_t>(st.st_size);
          shared_counter_slots_ = request.slot_count;
        }
      }
    }
  }

  std::vector<MapSpec> specs_;
  bool initialize_rings_;
  std::vector<UniqueFd> memfds_;
  std::vector<void*> host_maps_;
  UniqueFd eventfd_;
  std::atomic<bool> served_{false};
  std::mutex mutex_;
  std::vector<std::int32_t> irqcontrol_values_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> registered_;
  bool one_file_;
  void* shared_counters_ = nullptr;
  std::size_t shared_counters_size_ = 0;
  std::uint32_t shared_counter_slots_ = 0;
  TestEndpoint endpoint_;  // last: its thread uses everything above
};

}  // namespace vmbus::test
