// File: daemon/src/lease_server.h
//
// Leases: a driver process drives a device vmbusd has claimed by connecting
// to vmbusd's endpoint for it, in the very protocol the SDK already opens
// (vmbus/backing/endpoint_protocol.h). vmbusd keeps a lease root,
//   <root>/sys -> the sysfs it serves (a symlink)
//   <root>/dev/uioN   one SOCK_SEQPACKET listening socket per claimed device,
// so a driver given vmbus::SysfsRoot("<root>/sys") finds its device, reads
// sysfs as usual, and opens <root>/dev/uioN as it would hvsim's endpoint.
//
// A lease is one connection. On the client's Hello, vmbusd opens the device
// itself (connects to the upstream endpoint: hvsim's <root>/dev/uioN) and
// relays the DeviceReply with its fds (the maps and the interrupt eventfd)
// to the client; from then on it relays every message both ways (IrqControl,
// RegisterMemory with its memfd, their results, Rescinded, ErrorReply),
// checking each one's type and size. The lease ends when:
//   - the client closes or dies (SIGKILL included: the socket hangs up):
//     vmbusd closes the upstream, which resets the device as the kernel's
//     hv_uio_release does, and the device can be leased again;
//   - an admin revokes it, or the device is released: the client gets a
//     Rescinded message (as after a kernel -EIO) and both ends close;
//   - the host rescinds the device: the upstream's Rescinded is relayed.
// One lease per device: a second client gets ErrorReply EBUSY naming the
// holder's pid, as hvsim and the kernel's single-open uio device refuse it.
//
// The upstream is what the served sysfs's dev/uioN is:
//   - an endpoint socket (hvsim): vmbusd connects, says Hello and relays the
//     DeviceReply with its fds (one memfd per map, the interrupt eventfd);
//   - a kernel /dev/uioN (a character device): vmbusd opens it and builds the
//     DeviceReply itself from the device's uio maps in sysfs. Every map fd
//     is that open file with mmap_offset K * PAGE_SIZE (uio_mmap selects map
//     K by the page offset), and so is the interrupt fd (InterruptKind::uio:
//     a read gives uio's running total). IrqControl is written to the file
//     (hv_uio_irqcontrol) and answered by vmbusd. The kernel's file stays
//     open in the holder too (its maps hold it), so revoking tells the
//     holder (Rescinded) but cannot take the memory back: the kernel resets
//     the rings at the holder's last close (hv_uio_release).
//
// The holder may offer its channel counters (ShareCounters with a memfd
// sealed against shrinking): vmbusd maps it read-only for the lease and
// GetChannel reads them from there (vmbus/channel/counters_table.h).
//
// Threads: one service thread polls every socket; the control plane (gRPC
// threads) calls add/remove/revoke/list under a mutex and wakes it.
//
// Usage:
//   LeaseServer leases(run_dir / "root", vmbus::SysfsRoot("/dev/shm/vm1/sys"));
//   leases.start();
//   leases.add_device(claimed_info);          // <root>/dev/uio0 accepts a lease
//   for (const LeaseRecord& l : leases.list(false)) show(l);
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ring_probe.h"
#include "vmbus/channel/channel_counters.h"
#include "vmbus/device/device_info.h"
#include "vmbus/device/sysfs.h"
#include "vmbus/unique_fd.h"

namespace vmbus::detail {
struct ReceivedMessage;  // sdk/src/backing/endpoint_socket.h
}

namespace vmbusd {

enum class LeaseEnd { none, holder_closed, revoked, released, device_rescinded, daemon_stopped };

struct LeaseRecord {
  std::string id;  // "1", "2", ...: unique for the daemon's lifetime
  vmbus::Guid device;
  bool active = true;
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string comm;
  std::chrono::system_clock::time_point started{};
  std::chrono::system_clock::time_point ended{};
  LeaseEnd end = LeaseEnd::none;
  std::string end_message;
};

class LeaseServer {
 public:
  LeaseServer(std::filesystem::path root, vmbus::SysfsRoot upstream);
  ~LeaseServer();  // stop()
  LeaseServer(const LeaseServer&) = delete;
  LeaseServer& operator=(const LeaseServer&) = delete;

  // Creates the lease root and starts the service thread. Throws
  // std::runtime_error naming what could not be created.
  void start();
  // Ends every lease (daemon_stopped), closes the listeners, joins the thread.
  void stop() noexcept;

  const std::filesystem::path& root() const noexcept { return root_; }
  vmbus::SysfsRoot lease_root() const { return vmbus::SysfsRoot(root_ / "sys"); }

  // Starts listening for leases of a device just claimed (bound to
  // uio_hv_generic, so `device.uio_name` is set). Throws ControlError.
  void add_device(const vmbus::DeviceInfo& device);
  // Ends the device's lease (`why`, the holder sees a rescind) and stops
  // listening. Returns the lease it ended, if any.
  std::optional<LeaseRecord> remove_device(const vmbus::Guid& device, LeaseEnd why = LeaseEnd::released);

  // Called (with the lease server's lock held: do not call back into it)
  // when a lease starts and when it ends.
  using LeaseObserver = std::function<void(const LeaseRecord&)>;
  void observe(LeaseObserver observer) { observer_ = std::move(observer); }
  // Ends one lease (revoked), the device stays leasable. nullopt: no such
  // active lease.
  std::optional<LeaseRecord> revoke(const std::string& lease_id, const std::string& reason);

  // Active leases, then (with include_ended) the last kKeptEnded ended
  // ones, by start time.
  std::vector<LeaseRecord> list(bool include_ended) const;
  std::optional<LeaseRecord> active_lease(const vmbus::Guid& device) const;
  // The primary channel's rings of a leased device, read now from the
  // txrx_rings map vmbusd keeps while the lease lasts (ring_probe.h).
  // nullopt when the device is not leased.
  std::optional<ChannelRings> primary_rings(const vmbus::Guid& device) const;
  // Channel `relid`'s counters as the holder publishes them now; nullopt
  // when the device is not leased or its holder shares no counters for it.
  std::optional<vmbus::ChannelCountersSnapshot> channel_counters(const vmbus::Guid& device, std::uint32_t relid) const;
  std::filesystem::path endpoint(const std::string& uio_name) const { return root_ / "dev" / uio_name; }

  static constexpr std::size_t kKeptEnded = 64;

 private:
  struct Lease;
  struct Listener;
  void run() noexcept;
  void wake() noexcept;
  void accept_on(Listener& l);
  void on_client(Lease& lease);
  void on_upstream(Lease& lease);
  bool start_lease(Lease& lease);  // Hello: open upstream, relay DeviceReply
  bool start_endpoint_lease(Lease& lease, const std::filesystem::path& node);  // sends Hello upstream
  bool finish_endpoint_lease(Lease& lease);  // the upstream's DeviceReply arrived: relay it
  void expire_handshakes(std::chrono::steady_clock::time_point now);
  int poll_timeout_ms(std::chrono::steady_clock::time_point now) const;
  bool start_kernel_lease(Lease& lease, const std::filesystem::path& node);
  void on_share_counters(Lease& lease, vmbus::detail::ReceivedMessage& m);
  void on_kernel_irqcontrol(Lease& lease, std::span<const std::byte> message);
  void record_start(Lease& lease);
  void end(Lease& lease, LeaseEnd why, const std::string& message, bool tell_client);

  std::filesystem::path root_;
  vmbus::SysfsRoot upstream_;
  vmbus::UniqueFd wake_fd_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;
  std::map<vmbus::Guid, std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Lease>> leases_;  // connections, active or in handshake
  std::deque<LeaseRecord> ended_;
  std::uint64_t next_id_ = 1;
  LeaseObserver observer_;  // set before start()
};

const char* lease_end_name(LeaseEnd e) noexcept;

}  // namespace vmbusd
