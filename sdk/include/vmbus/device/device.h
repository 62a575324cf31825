// File: vmbus/device/device.h
//
// An open VMBus device: its memory mapped, its channels ready to use, its
// interrupts and rescind turned into something a loop can wait on. Built from
// what discovery found (vmbus/device/device_info.h); the device must already
// be bound to uio_hv_generic (vmbus claim). Whether the node is the kernel's
// /dev/uioN or an hvsim endpoint is detected; nothing here depends on it.
//
// Open maps every uio map with the size sysfs gives (never a constant),
// splits map 0 into the primary channel's TX ring (+0) and RX ring
// (+ring_size), and signals through the int page (+2048) and monitor page
// when the channel has a monitor id, through irqcontrol otherwise.
// Subchannels are mapped on request from their sysfs ring files, waiting for
// them to appear (inotify; they come late).
//
// Interrupts: one fd per device (uio delivers every channel's interrupt on
// the primary's fd, d062463edf17). Either put event_fd() in an epoll set and
// call take_interrupts() when it is readable, or block in wait(timeout).
//
// DMA memory: allocate_dma(bytes) gives memory the host reaches by GPA, for
// GPA-direct packets (page buffers, MPB), on every backing; see
// vmbus/device/dma_region.h for what its frame numbers are and how long it
// must live.
//
// Rescind: the node fails with EIO (Errc::rescinded from wait() and
// take_interrupts()), or the device's sysfs directory goes away
// (check_rescinded()). Every channel is then marked rescinded: sends fail,
// receives drain what is left and then fail. Nothing crashes or hangs;
// destroying the Device releases every map and fd.
//
// Usage:
//   for (const vmbus::DeviceInfo& info : vmbus::discover(root)) {
//     if (info.owner != vmbus::DeviceOwner::uio_hv_generic) continue;
//     std::unique_ptr<vmbus::Device> dev = vmbus::Device::open(info);  // throws DeviceError
//     vmbus::Channel& ch = dev->channel(0);
//     ch.send_inband(hello, 1, true);
//     vmbus::Result<std::uint32_t> n = dev->wait(std::chrono::milliseconds(100));
//     if (!n && n.error().code == vmbus::Errc::rescinded) return;
//     vmbus::Channel& sub = dev->open_subchannel(relid, std::chrono::seconds(10));
//     vmbus::Channel& q1 = dev->open_subchannel_by_id(1, std::chrono::seconds(10));
//     vmbus::DmaRegion dma = dev->allocate_dma(1 << 20);  // throws DeviceError
//     vmbus::GpaDirectHeader ranges;
//     if (dma.add_page_buffers(ranges, /*offset=*/0, frame_len))
//       ch.send_gpa_direct(ranges, header_bytes, trans_id);  // keep `dma` until completed
//   }
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "vmbus/backing/device_backing.h"
#include "vmbus/channel/channel.h"
#include "vmbus/device/device_info.h"
#include "vmbus/device/dma_region.h"
#include "vmbus/result.h"

namespace vmbus {

struct DeviceOptions {
  // Map recv:<gpadl> and send:<gpadl> (maps 3 and 4, NIC devices only) when
  // present. 47 MiB of address space a non-NIC driver does not need.
  bool map_shared_buffers = true;
};

// A buffer the kernel shared with the host through a GPADL (maps 3 and 4).
struct SharedBuffer {
  std::span<std::byte> memory;
  std::uint32_t gpadl = 0;  // from the map's name, "recv:<gpadl>": for NVSP RXBUF_CONN / CHIM_CONN
};

class Device {
 public:
  // Channels per device: the primary plus up to 63 subchannels (DPDK
  // VMBUS_MAX_CHANNELS is 64; netvsc offers at most 64 queues).
  static constexpr std::uint32_t kMaxChannels = 64;

  // Throws DeviceError naming the sysfs file or node and what was expected:
  // not owned by uio_hv_generic (claim it first), no uio node, fewer than 3
  // maps, a map name or size uio_hv_generic would not produce, the node
  // missing or not accessible, corrupt ring headers.
  static std::unique_ptr<Device> open(const DeviceInfo& info, DeviceOptions options = {});
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // 0 is the primary channel; subchannels follow in the order opened.
  // Throws std::out_of_range past channel_count(). References stay valid for
  // the Device's lifetime.
  Channel& channel(std::uint32_t index);
  std::uint32_t channel_count() const noexcept;
  // The open channel with this relid, or nullptr.
  Channel* find_channel(std::uint32_t relid) noexcept;

  // Maps subchannel `relid` (from the host's offer, e.g. after NVSP
  // SUBCH_REQ), waiting up to `timeout` for <device>/channels/<relid>/ring.
  // Returns the existing channel if it is already open. Throws DeviceError:
  // timeout, ring file size or permission, device rescinded, too many channels.
  // Set-up only: not concurrently with channel() on other threads.
  Channel& open_subchannel(std::uint32_t relid, std::chrono::milliseconds timeout);

  // The same, for the subchannel the host offered with `subchannel_id`
  // (1..63; queue i of a netvsc port is subchannel i): waits up to `timeout`
  // for a channels/<relid>/ whose subchannel_id says so, then opens it. 0 is
  // the primary. Throws DeviceError as open_subchannel does, naming the
  // channels directory on timeout.
  Channel& open_subchannel_by_id(std::uint32_t subchannel_id, std::chrono::milliseconds timeout);

  // Readable when interrupts are pending or the device was rescinded.
  int event_fd() const noexcept;
  // After event_fd() polled readable: the interrupts since the last call
  // (counted on channel(0)), 0 if none. Errors: rescinded (every channel is
  // marked), io_error.
  Result<std::uint32_t> take_interrupts() noexcept;
  // Blocks up to `timeout` for an interrupt or a rescind. Returns the
  // interrupts seen, 0 on timeout (or a wake-up with nothing to count: poll
  // the channels anyway). On timeout it also checks the sysfs directory, so a
  // rescind that only removed files is noticed. Errors: rescinded, io_error.
  Result<std::uint32_t> wait(std::chrono::milliseconds timeout) noexcept;

  // True once the host rescinded the device (seen by wait/take_interrupts/check).
  bool rescinded() const noexcept;
  // Looks at sysfs: the device directory gone means the device was rescinded;
  // a subchannel's channels/<relid> directory gone, that subchannel. Marks
  // what it finds. Returns rescinded().
  bool check_rescinded() noexcept;

  // At least `bytes` of memory the host can address by GPA, for GPA-direct
  // packets on any channel of this device (vmbus/device/dma_region.h). The
  // caller owns it: keep it alive until the host completed every packet that
  // names it; it may outlive the Device. Set-up, not the data path; safe
  // while channels run on other threads. Throws DeviceError naming the
  // device and what failed: size 0 or too large, no free hugepages with
  // require_hugepages, mlock over RLIMIT_MEMLOCK (with its value), frame
  // numbers hidden by /proc/self/pagemap (no CAP_SYS_ADMIN), the host
  // refusing the registration, the device rescinded.
  DmaRegion allocate_dma(std::size_t bytes, DmaOptions options = {});

  std::optional<SharedBuffer> recv_buffer() const noexcept;
  std::optional<SharedBuffer> send_buffer() const noexcept;

  const DeviceInfo& info() const noexcept;
  // "uio /dev/uio0" or "endpoint /tmp/sim/dev/uio0".
  std::string describe() const;

 private:
  struct State;
  explicit Device(std::unique_ptr<State> state) noexcept;
  void mark_all_rescinded() noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace vmbus
