// File: src/backing/socket_endpoint_backing.h (internal)
//
// The client of an endpoint served over a UNIX socket (hvsim's DIR/dev/uioN,
// a vmbusd lease), speaking vmbus/backing/endpoint_protocol.h. It gives the
// same DeviceBacking as the kernel's /dev/uioN:
//   open         connect (SOCK_SEQPACKET), Hello -> DeviceReply + one fd per
//                map + the interrupt fd
//   map K        mmap(fd K, MapInfo.mmap_offset, size), once size equals the
//                server's MapInfo size (and fits a memfd's own size). The fd
//                is a memfd (hvsim) or the kernel's /dev/uioN passed on by
//                vmbusd (offset K * PAGE_SIZE)
//   event_fd     an epoll fd holding the interrupt fd and the socket, so that
//                an interrupt, a Rescinded message or a hang-up all wake a waiter
//   interrupts   a non-blocking read of the interrupt fd: an eventfd's count
//                is already a delta; a kernel uio file's running total is
//                turned into one (uio_interrupt_count.h)
//   counters     the channels' counters in a sealed memfd offered with
//                ShareCounters (vmbus/channel/counters_table.h)
//   irqcontrol   IrqControl -> IrqControlResult
//   rescind      a Rescinded message, or the socket closing: Errc::rescinded
//   DMA memory   a sealed memfd mapped here, registered with the host at
//                GPA = its address here (RegisterMemory), so the host's
//                registered path and its by-address fallback agree
//                (socket_endpoint_dma.cc); behind a vmbusd lease of a kernel
//                device, locked memory named by its physical frames instead
//                (as KernelUioBacking)
// The server is untrusted like the host: every size, count, name and fd of
// its messages is checked, and a violation is an error naming the endpoint
// and what was wrong; never a crash, a leak or a hang (replies time out).
//
// Thread safety: take_interrupts(), irqcontrol(), register_memory() and
// allocate_dma() may be called from different threads; socket reads are
// serialized by a mutex that take_interrupts() only try-locks, so it never
// blocks.
//
// Registered memory stays mapped here until the connection is gone, even if
// its DmaRegion goes first: the protocol cannot unregister, so the host keeps
// resolving those GPAs to the memfd until the device is closed, and letting
// the addresses be reused meanwhile (by malloc, another region) would make
// the host read the old memfd for memory that now lives elsewhere, or refuse
// the new region as overlapping (EEXIST).
//
// Usage (through vmbus::open_backing, which picks this for a UNIX socket):
//   auto b = std::make_unique<vmbus::detail::SocketEndpointBacking>("/tmp/sim/dev/uio0");
//   vmbus::MappedRegion rings = b->map(0, size_from_sysfs);
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "uio_interrupt_count.h"
#include "unique_fd.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/backing/endpoint_protocol.h"

namespace vmbus::detail {

struct SocketEndpointOptions {
  // How long to wait for the server's reply to Hello, IrqControl or
  // RegisterMemory before reporting it (DPDK waits 60 s for a slow VSP; a
  // local server answers in microseconds).
  std::chrono::milliseconds reply_timeout{5000};
};

class SocketEndpointBacking final : public DeviceBacking {
 public:
  // Connects and performs the handshake. Throws DeviceError naming `node`
  // and the problem (missing, permission, refused, malformed reply).
  explicit SocketEndpointBacking(std::filesystem::path node, SocketEndpointOptions options = {});

  MappedRegion map(std::uint32_t index, std::size_t size) override;
  int event_fd() const noexcept override { return epoll_.get(); }
  Result<std::uint32_t> take_interrupts() noexcept override;
  Status irqcontrol(std::int32_t value) noexcept override;
  std::string describe() const override { return "endpoint " + node_.string(); }
  // Throws DeviceError: those of the allocation, and the host refusing the
  // registration (naming its errno: EEXIST overlap, ENOSPC too many regions),
  // not answering, or the device rescinded.
  DmaRegion allocate_dma(std::size_t bytes, const DmaOptions& options) override;
  // A sealed memfd (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), mapped here
  // and formatted, then offered with ShareCounters. Once per connection.
  CountersTable share_counters(std::uint32_t slots) noexcept override;

  // Lets the host address [gpa_base, gpa_base + size) as the first `size`
  // bytes of `memfd` (RegisterMemory; the fd is duplicated by the transfer,
  // the caller keeps its own). Both must be 4 KiB multiples and the memfd at
  // least `size` bytes. Errors: invalid_argument (detail 0: gpa_base,
  // 1: size, 2: memfd too small), rescinded, io_error (detail = errno; the
  // server's negative result, ETIMEDOUT or EPROTO).
  Status register_memory(std::uint64_t gpa_base, std::uint64_t size, int memfd) noexcept;

  // What the server announced in its DeviceReply.
  std::uint32_t map_count() const noexcept { return map_count_; }
  std::string map_name(std::uint32_t index) const;
  std::uint64_t map_size(std::uint32_t index) const noexcept { return maps_[index].size; }

 private:
  void handshake();
  [[noreturn]] void fail(const std::string& what) const;
  // Consumes whatever the server sent unasked (MSG_DONTWAIT): a Rescinded
  // message or EOF (rescinded), late replies to timed-out requests (dropped),
  // anything else is EPROTO. Caller holds socket_mutex_.
  Status drain_unsolicited() noexcept;
  // Sends `request` (+ fds) and waits for a reply of type `reply_type`,
  // whose layout is {header, s32 result, u32 reserved}. Returns the result.
  Result<std::int32_t> call(std::span<const std::byte> request, std::span<const int> fds,
                            endpoint::MessageType reply_type) noexcept;
  Status mark_rescinded() noexcept;

  // First, so destroyed last: after the socket closed, which ends the
  // host's registrations (see the class comment).
  std::mutex registered_mutex_;
  std::vector<std::shared_ptr<const MappedRegion>> registered_;

  std::filesystem::path node_;
  SocketEndpointOptions options_;
  UniqueFd socket_;
  UniqueFd eventfd_;
  UniqueFd epoll_;
  std::uint32_t map_count_ = 0;
  endpoint::MapInfo maps_[endpoint::kMaxMaps]{};
  UniqueFd map_fds_[endpoint::kMaxMaps];
  endpoint::InterruptKind interrupt_kind_ = endpoint::InterruptKind::eventfd;
  UioInterruptCount uio_count_;  // interrupt_kind_ uio
  MappedRegion counters_;
  std::mutex socket_mutex_;
  std::atomic<bool> rescinded_{false};
};

}  // namespace vmbus::detail
