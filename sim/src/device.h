// The Simulator's record of one offered device, and the pages every device
// shares. Owned and changed by the Simulator under its state mutex; the host
// service threads only touch the channel counters and the shared memory.
//
// As in the kernel, the int page and the monitor page are global
// (vmbus_connection.int_page, monitor_pages[1]): every uio device maps the
// same two pages, and each channel owns one bit in each.
//
// Ring memory is a file in the tree (SharedMemory::create_file): the
// primary's is the uio binding's map 0 and channels/<relid>/ring at once
// (hv_uio_probe -> hv_create_ring_sysfs); a subchannel's is its own, made
// when its offer completes (hv_uio_new_channel -> vmbus_open(SZ_2M, SZ_2M)).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <optional>
#include <string>
#include <vector>

#include "endpoint_server.h"
#include "hvsim/config.h"
#include "hvsim/counters.h"
#include "hvsim/faults.h"
#include "hvsim/host_channel.h"
#include "shared_memory.h"

namespace hvsim {

struct HostPages {
  SharedMemory int_page;      // uio map 1; +2048 is the guest->host event bitmap
  SharedMemory monitor_page;  // uio map 2; struct hv_monitor_page
};

// hv_uio_new_channel: vmbus_open(new_sc, SZ_2M, SZ_2M), the header page
// included (the subchannel's ring file is 4 MiB: 2 * SZ_2M).
inline constexpr std::size_t kSubchannelRingSize = 2u << 20;

struct ChannelRecord {
  ChannelSpec spec;
  ChannelCounters counters;
  ChannelFaults faults;  // armed by ctl fault (hvsim/faults.h)
  SharedMemory rings;  // a subchannel's TX then RX ring, once opened; the primary's are UioBinding::rings
};

// What binding to uio_hv_generic created (hv_uio_probe), until unbind or rescind.
struct UioBinding {
  unsigned index = 0;               // uioN
  SharedMemory rings;               // map 0: TX ring then RX ring; also channels/<relid>/ring
  SharedMemory recv_buffer;         // map 3, NIC only (31 MiB)
  SharedMemory send_buffer;         // map 4, NIC only (16 MiB)
  std::uint32_t recv_gpadl = 0;
  std::uint32_t send_gpadl = 0;
  std::unique_ptr<EndpointServer> endpoint;
};

// enum vmbus_channel_state, the device's `state` attribute.
enum : int { kChannelOfferState = 0, kChannelOpenState = 2, kChannelOpenedState = 3 };

struct Device {
  DeviceSpec spec;
  std::string driver;            // "" if unbound
  std::string driver_override;   // "" = NULL, shown as "(null)"
  int channel_state = kChannelOfferState;
  std::vector<std::unique_ptr<ChannelRecord>> channels;  // primary first
  std::optional<UioBinding> uio;
  int watch = -1;                // inotify watch on the device directory
  bool refresh_failing = false;  // its files could not be rewritten (logged once)

  std::string label() const { return "device \"" + spec.name + "\" (" + spec.instance.str() + ")"; }
};

// The rings a channel's sysfs attributes describe: empty while the channel
// has none (a primary not bound to uio, a subchannel not opened yet).
inline std::span<std::byte> ring_memory(const Device& d, const ChannelRecord& c) {
  if (c.spec.subchannel_id != 0) return c.rings.bytes();
  return d.uio ? d.uio->rings.bytes() : std::span<std::byte>();
}

}  // namespace hvsim
