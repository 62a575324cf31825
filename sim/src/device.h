// The Simulator's record of one offered device, and the pages every device
// shares. Owned and changed by the Simulator under its state mutex; the host
// service threads only touch the channel counters and the shared memory.
//
// As in the kernel, the int page and the monitor page are global
// (vmbus_connection.int_page, monitor_pages[1]): every uio device maps the
// same two pages, and each channel owns one bit in each.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "endpoint_server.h"
#include "hvsim/config.h"
#include "hvsim/counters.h"
#include "hvsim/host_channel.h"
#include "shared_memory.h"

namespace hvsim {

struct HostPages {
  SharedMemory int_page;      // uio map 1; +2048 is the guest->host event bitmap
  SharedMemory monitor_page;  // uio map 2; struct hv_monitor_page
};

struct ChannelRecord {
  ChannelSpec spec;
  ChannelCounters counters;
};

// What binding to uio_hv_generic created (hv_uio_probe), until unbind or rescind.
struct UioBinding {
  unsigned index = 0;               // uioN
  SharedMemory rings;               // map 0: TX ring then RX ring
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

}  // namespace hvsim
