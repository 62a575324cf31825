// vmbus_netvsc_port: netvsc::open_port (drivers/netvsc/include/netvsc/port.h)
// behind a C handle; bursts convert the caller's frame arrays to
// netvsc::RxPacket / TxPacket in chunks on the stack (no allocation).
#include <algorithm>
#include <chrono>
#include <string>

#include "c_api.h"
#include "vmbus/device/discovery.h"

namespace {

// Frames converted per chunk: the stack arrays' size.
constexpr std::uint16_t kChunk = 64;

int null_port(const char* what) { return vmbus_c::fail(-EINVAL, std::string(what) + ": port is NULL"); }

// The arguments every burst checks: 0, or -EINVAL with the message set.
int check_burst(const vmbus_netvsc_port* port, uint16_t queue, const void* frames, uint16_t n, const char* what) {
  if (port == nullptr) return null_port(what);
  if (frames == nullptr && n != 0) return vmbus_c::fail(-EINVAL, std::string(what) + ": frames is NULL");
  if (queue >= port->opened.port->queue_count()) {
    return vmbus_c::fail(-EINVAL, std::string(what) + ": queue " + std::to_string(queue) + " is not open");
  }
  return 0;
}

}  // namespace

extern "C" int vmbus_netvsc_port_open(vmbus_bus* bus, const char* selector, const vmbus_netvsc_options* options,
                                      vmbus_netvsc_port** out) {
  constexpr const char* what = "vmbus_netvsc_port_open";
  return vmbus_c::guarded(what, [&] {
    if (out == nullptr) return vmbus_c::fail(-EINVAL, "vmbus_netvsc_port_open: out is NULL");
    *out = nullptr;
    vmbus_netvsc_options o;
    if (!vmbus_c::read_options(options, sizeof(vmbus_netvsc_options), o, what)) return -EINVAL;
    if (o.queues > UINT16_MAX) return vmbus_c::fail(-EINVAL, "vmbus_netvsc_port_open: queues over 65535");
    netvsc::PortConfig config;
    if (o.queues != 0) config.queues = static_cast<std::uint16_t>(o.queues);
    if (o.mtu != 0) config.mtu = o.mtu;
    if (o.packet_filter != 0) config.packet_filter = o.packet_filter;
    if (o.control_timeout_ms != 0) config.control_timeout = std::chrono::milliseconds(o.control_timeout_ms);
    if (o.subchannel_timeout_ms != 0) config.subchannel_timeout = std::chrono::milliseconds(o.subchannel_timeout_ms);

    // Found here so that "no such NIC" is -ENODEV, as for every open;
    // netvsc::open_port claims (if needed), opens the device and the port.
    std::optional<vmbus::Claim> unused;
    vmbus::DeviceInfo info;
    if (int rc = vmbus_c::find_and_claim(bus, selector ? selector : "network", VMBUS_OPEN_NO_CLAIM, 0, unused, info,
                                         what);
        rc < 0) {
      return rc;
    }
    if ((o.flags & VMBUS_OPEN_NO_CLAIM) != 0 && info.owner != vmbus::DeviceOwner::uio_hv_generic) {
      return vmbus_c::fail(-EIO, std::string(what) + ": " + info.instance.str() +
                                     " is not bound to uio_hv_generic and VMBUS_OPEN_NO_CLAIM was given");
    }
    auto handle = std::make_unique<vmbus_netvsc_port>();
    handle->opened = netvsc::open_port(bus->root, info.instance, config);
    if ((o.flags & VMBUS_OPEN_KEEP_CLAIM) != 0) handle->opened.claim.keep();
    *out = handle.release();
    return 0;
  });
}

extern "C" void vmbus_netvsc_port_close(vmbus_netvsc_port* port) {
  if (port == nullptr) return;
  // OpenedPort's members go port, device, claim: the order they need.
  port->opened.port.reset();
  port->opened.device.reset();
  delete port;
}

extern "C" int vmbus_netvsc_rx_burst(vmbus_netvsc_port* port, uint16_t queue, vmbus_netvsc_rx_frame* frames,
                                     uint16_t n) {
  if (const int rc = check_burst(port, queue, frames, n, "vmbus_netvsc_rx_burst"); rc != 0) return rc;
  netvsc::RxPacket rx[kChunk];
  int total = 0;
  while (n > 0) {
    const std::uint16_t want = std::min(n, kChunk);
    for (std::uint16_t i = 0; i < want; ++i) {
      rx[i] = netvsc::RxPacket{};
      rx[i].buffer = std::span<std::byte>(static_cast<std::byte*>(frames[i].data), frames[i].capacity);
    }
    const std::uint16_t got = port->opened.port->rx_burst(queue, rx, want);
    for (std::uint16_t i = 0; i < got; ++i) {
      frames[i].length = rx[i].length;
      frames[i].flags = rx[i].flags;
      frames[i].rss_hash = rx[i].rss_hash;
      frames[i].vlan_tci = rx[i].vlan_tci;
    }
    total += got;
    if (got < want) break;
    frames += got;
    n = static_cast<std::uint16_t>(n - got);
  }
  return total;
}

extern "C" int vmbus_netvsc_tx_burst(vmbus_netvsc_port* port, uint16_t queue, const vmbus_netvsc_tx_frame* frames,
                                     uint16_t n) {
  if (const int rc = check_burst(port, queue, frames, n, "vmbus_netvsc_tx_burst"); rc != 0) return rc;
  netvsc::TxPacket tx[kChunk];
  int total = 0;
  while (n > 0) {
    const std::uint16_t want = std::min(n, kChunk);
    for (std::uint16_t i = 0; i < want; ++i) {
      tx[i] = netvsc::TxPacket{};
      tx[i].frame = std::span<const std::byte>(static_cast<const std::byte*>(frames[i].data), frames[i].length);
    }
    const std::uint16_t sent = port->opened.port->tx_burst(queue, tx, want);
    total += sent;
    if (sent < want) break;
    frames += sent;
    n = static_cast<std::uint16_t>(n - sent);
  }
  return total;
}

extern "C" int vmbus_netvsc_port_mac(const vmbus_netvsc_port* port, uint8_t mac[6]) {
  if (port == nullptr || mac == nullptr) return vmbus_c::fail(-EINVAL, "vmbus_netvsc_port_mac: NULL argument");
  const netvsc::MacAddress m = port->opened.port->mac();
  std::copy(m.begin(), m.end(), mac);
  return 0;
}

extern "C" int vmbus_netvsc_port_queue_count(const vmbus_netvsc_port* port) {
  if (port == nullptr) return null_port("vmbus_netvsc_port_queue_count");
  return port->opened.port->queue_count();
}

extern "C" int vmbus_netvsc_port_mtu(const vmbus_netvsc_port* port) {
  if (port == nullptr) return null_port("vmbus_netvsc_port_mtu");
  return static_cast<int>(port->opened.port->info().mtu);
}

extern "C" int vmbus_netvsc_port_rescinded(const vmbus_netvsc_port* port) {
  if (port == nullptr) return null_port("vmbus_netvsc_port_rescinded");
  return port->opened.port->rescinded() ? 1 : 0;
}

extern "C" int vmbus_netvsc_port_link(const vmbus_netvsc_port* port, vmbus_netvsc_link* link) {
  if (port == nullptr) return null_port("vmbus_netvsc_port_link");
  const netvsc::LinkState state = port->opened.port->link();
  vmbus_netvsc_link full{};
  full.struct_size = sizeof full;
  full.up = state.up ? 1 : 0;
  full.speed_bps = state.speed_bps;
  return vmbus_c::write_output(link, full, sizeof(vmbus_netvsc_link), "vmbus_netvsc_port_link");
}

extern "C" int vmbus_netvsc_port_stats(const vmbus_netvsc_port* port, vmbus_netvsc_stats* stats) {
  return vmbus_c::guarded("vmbus_netvsc_port_stats", [&] {
    if (port == nullptr) return null_port("vmbus_netvsc_port_stats");
    const netvsc::QueueStatsSnapshot t = port->opened.port->stats().total;  // allocates: not the data path
    vmbus_netvsc_stats full{};
    full.struct_size = sizeof full;
    full.rx_packets = t.rx_packets;
    full.rx_bytes = t.rx_bytes;
    full.rx_errors = t.rx_errors;
    full.rx_dropped_too_small = t.rx_dropped_too_small;
    full.tx_packets = t.tx_packets;
    full.tx_bytes = t.tx_bytes;
    full.tx_errors = t.tx_errors;
    full.tx_ring_full = t.tx_ring_full;
    full.tx_no_resources = t.tx_no_resources;
    full.tx_completions = t.tx_completions;
    full.link_events = t.link_events;
    full.malformed = t.malformed_total();
    return vmbus_c::write_output(stats, full, sizeof(vmbus_netvsc_stats), "vmbus_netvsc_port_stats");
  });
}
