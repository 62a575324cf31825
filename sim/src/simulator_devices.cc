// Simulator: the device table. Offer and rescind (the host's side), probe
// and remove (the driver core's), and what binding to uio_hv_generic builds.
#include <unistd.h>

#include <algorithm>

#include "fs_util.h"
#include "monitor_page.h"
#include "simulator_impl.h"
#include "vmbus/hv_monitor_page.h"

namespace hvsim {
namespace {

// uio_hv_generic.c: RECV_BUFFER_SIZE, SEND_BUFFER_SIZE.
constexpr std::size_t kRecvBufferSize = 31u << 20;
constexpr std::size_t kSendBufferSize = 16u << 20;

}  // namespace

Device* Simulator::Impl::find(std::string_view name_or_instance) {
  for (const auto& d : devices) {
    if (d->spec.name == name_or_instance) return d.get();
  }
  if (auto g = Guid::parse(name_or_instance)) {
    for (const auto& d : devices) {
      if (d->spec.instance == *g) return d.get();
    }
  }
  return nullptr;
}

Device& Simulator::Impl::get(std::string_view name_or_instance) {
  if (Device* d = find(name_or_instance)) return *d;
  std::string names;
  for (const auto& d : devices) names += (names.empty() ? "" : ", ") + d->spec.name;
  throw SimError("no device \"" + std::string(name_or_instance) + "\" (offered: " + (names.empty() ? "none" : names) + ")");
}

std::vector<DeviceSpec> Simulator::Impl::offered_specs() const {
  std::vector<DeviceSpec> specs;
  for (const auto& d : devices) specs.push_back(d->spec);
  return specs;
}

std::vector<OfferedSubchannel> Simulator::Impl::offered_subchannels() const {
  std::vector<OfferedSubchannel> subchannels;
  for (const auto& d : devices) {
    for (const auto& c : d->channels) {
      if (c->spec.subchannel_id != 0) {
        subchannels.push_back({d->spec.name, c->spec.subchannel_id, c->spec.relid, c->spec.monitor_id});
      }
    }
  }
  return subchannels;
}

Device& Simulator::Impl::offer_config(const DeviceConfig& config) {
  return offer(resolve(config, offered_specs(), offered_subchannels()));
}

Device& Simulator::Impl::offer(DeviceSpec spec) {
  // A spec resolved without the subchannels in mind (a re-offer) must still
  // not take a relid or monitor id one of them holds.
  for (const OfferedSubchannel& s : offered_subchannels()) {
    const std::string holder = "subchannel " + std::to_string(s.subchannel_id) + " of \"" + s.device + "\"";
    if (s.relid == spec.relid) throw SimError("relid " + std::to_string(spec.relid) + " is held by " + holder);
    if (spec.monitor_id && s.monitor_id == spec.monitor_id) {
      throw SimError("monitor_id " + std::to_string(*spec.monitor_id) + " is held by " + holder);
    }
  }
  auto owned = std::make_unique<Device>();
  Device& d = *owned;
  d.spec = std::move(spec);
  d.driver_override = d.spec.driver_override;
  auto channel = std::make_unique<ChannelRecord>();
  channel->spec = {.relid = d.spec.relid, .subchannel_id = 0, .monitor_id = d.spec.monitor_id, .cpu = d.spec.cpu};
  d.channels.push_back(std::move(channel));
  if (const auto id = d.spec.monitor_id) {
    // The host scans at this latency until the guest sets another.
    monitor::latency(pages.monitor_page.data(), *id)
        .store(static_cast<std::uint16_t>(options.config.monitor_latency_us * 10), std::memory_order_relaxed);
  }
  tree->add_device(d);
  devices.push_back(std::move(owned));
  try {
    d.watch = watcher->watch_device(d.spec.instance);
    // Probe as device_add does: the config may name a driver or leave it to matching.
    if (d.spec.driver == "auto") {
      for (std::string_view driver : kDrivers) {
        if (rules.matches(driver, d.spec.class_id, d.driver_override)) {
          probe(d, driver);
          break;
        }
      }
    } else if (d.spec.driver != "none") {
      probe(d, d.spec.driver);
    }
  } catch (...) {
    rescind(d);
    throw;
  }
  log().info("offered " + d.label() + ": class " + std::string(d.spec.device_class().name) + ", relid " +
             std::to_string(d.spec.relid) +
             (d.spec.monitor_id ? ", monitor id " + std::to_string(*d.spec.monitor_id) : ", no monitor id") +
             (d.driver.empty() ? ", no driver" : ", driver " + d.driver));
  return d;
}

void Simulator::Impl::rescind(Device& d) {
  detach_uio(d, true);
  if (!d.driver.empty()) tree->unlink_driver(d, d.driver);
  watcher->unwatch(d.watch);
  tree->remove_device(d);
  if (const auto id = d.spec.monitor_id) {
    (void)vmbus::take_monitor_bit(pages.monitor_page.data(), *id);
  }
  (void)vmbus::take_int_page_bit(pages.int_page.data(), d.spec.relid);
  log().info("rescinded " + d.label());
  rescinded.push_back(d.spec);
  std::erase_if(devices, [&](const auto& p) { return p.get() == &d; });
}

void Simulator::Impl::probe(Device& d, std::string_view driver) {
  if (!d.driver.empty()) throw BindError(d.label() + " is already bound to " + d.driver + " (EBUSY)");
  if (driver == kDriverUio) {
    try {
      attach_uio(d);
    } catch (const std::exception& e) {
      throw BindError(d.label() + ": uio_hv_generic probe failed: " + e.what());
    }
  } else {
    // A kernel driver (hv_netvsc, hv_utils) opens the channel in its probe;
    // its traffic is not modelled.
    d.channel_state = kChannelOpenedState;
  }
  d.driver = std::string(driver);
  tree->link_driver(d);
  log().info(d.label() + " bound to " + d.driver + (d.uio ? " as uio" + std::to_string(d.uio->index) : ""));
}

void Simulator::Impl::remove(Device& d) {
  if (d.driver.empty()) return;
  const std::string old = std::exchange(d.driver, {});
  detach_uio(d, false);
  if (d.channel_state == kChannelOpenedState) d.channel_state = kChannelOpenState;  // vmbus_close
  tree->unlink_driver(d, old);
  tree->refresh(d);
  log().info(d.label() + " unbound from " + old);
}

void Simulator::Impl::attach_uio(Device& d) {
  unsigned index = 0;
  while (uio_in_use.count(index)) ++index;  // idr_alloc: the lowest free minor
  const std::string uio = "uio" + std::to_string(index);
  UioBinding u;
  u.index = index;
  // hv_uio_probe: vmbus_alloc_ring(ring_size, ring_size) -> map 0, and
  // hv_create_ring_sysfs -> channels/<relid>/ring over the same pages: one
  // file, published below, whose fd the endpoint passes as map 0.
  const std::filesystem::path staged_ring = fs::unique_temp(paths.staging, "ring");
  u.rings = SharedMemory::create_file(staged_ring, 2 * d.spec.ring_size);
  struct UnlinkStaged {
    const std::filesystem::path& path;
    bool armed = true;
    ~UnlinkStaged() {
      if (armed) ::unlink(path.c_str());
    }
  } unlink_staged{staged_ring};
  if (d.spec.device_class().nic_buffers) {
    // Only HV_NIC gets receive and send buffers, each behind a GPADL.
    u.recv_buffer = SharedMemory::create(uio + " recv", kRecvBufferSize);
    u.recv_gpadl = ++gpadl;
    u.send_buffer = SharedMemory::create(uio + " send", kSendBufferSize);
    u.send_gpadl = ++gpadl;
  }
  EndpointSetup setup;
  setup.label = d.spec.name + " (" + uio + ")";
  setup.spec = d.spec;
  setup.node = paths.uio_node(index);
  setup.staging = paths.staging;
  setup.maps = {{"txrx_rings", u.rings.fd(), u.rings.size()},
                {"int_page", pages.int_page.fd(), pages.int_page.size()},
                {"monitor_page", pages.monitor_page.fd(), pages.monitor_page.size()}};
  if (u.recv_buffer) {
    setup.maps.push_back({"recv:" + std::to_string(u.recv_gpadl), u.recv_buffer.fd(), u.recv_buffer.size()});
    setup.maps.push_back({"send:" + std::to_string(u.send_gpadl), u.send_buffer.fd(), u.send_buffer.size()});
  }
  setup.rings = u.rings.bytes();
  setup.int_page = pages.int_page.data();
  setup.monitor_page = pages.monitor_page.data();
  // The primary only: subchannels join the running service once offered.
  setup.channels.push_back(channel_setup(d, *d.channels.front(), setup.rings));
  if (u.recv_buffer) {  // d.uio is set below: the primary gets the NIC's buffers here
    setup.channels.back().recv_buffer = {u.recv_gpadl, u.recv_buffer.bytes()};
    setup.channels.back().send_buffer = {u.send_gpadl, u.send_buffer.bytes()};
  }
  setup.log = &options.log;
  Device* device = &d;
  setup.on_open_change = [this, device](bool opened) {
    if (opened) ++gpadl;  // vmbus_connect_ring establishes the ring's GPADL
    // vmbus_disconnect_ring closes the subchannels; hvsim takes their offers back.
    if (!opened) rescind_subchannels(*device);
    device->channel_state = opened ? kChannelOpenedState : kChannelOpenState;
    try {
      tree->refresh(*device);
    } catch (const std::exception& e) {
      log().warn(e.what());
    }
  };
  setup.request_subchannels = [requests = subchannel_requests.get(), instance = d.spec.instance](
                                   std::uint64_t open_id, std::uint32_t first, std::uint32_t count) {
    requests->post({instance, open_id, first, count});
  };
  // The node and the ring file first, then sysfs: a reader that sees
  // uio/uioN can connect and finds channels/<relid>/ring.
  u.endpoint = std::make_unique<EndpointServer>(*loop, std::move(setup));
  uio_in_use.insert(index);
  d.uio = std::move(u);
  try {
    tree->publish_ring(d, d.spec.relid, staged_ring);
    unlink_staged.armed = false;
    tree->add_uio(d);
  } catch (...) {
    detach_uio(d, false);
    throw;
  }
}

HostChannelSetup Simulator::Impl::channel_setup(const Device& d, ChannelRecord& c, std::span<std::byte> rings) const {
  HostChannelSetup hc;
  hc.spec = c.spec;
  hc.rings = rings;
  hc.counters = &c.counters;
  hc.faults = &c.faults;
  hc.label = d.spec.name + " relid " + std::to_string(c.spec.relid) +
             (c.spec.subchannel_id != 0 ? " (subchannel " + std::to_string(c.spec.subchannel_id) + ")" : "");
  if (d.uio && d.uio->recv_buffer) {  // the NIC's buffers reach its device host
    hc.recv_buffer = {d.uio->recv_gpadl, d.uio->recv_buffer.bytes()};
    hc.send_buffer = {d.uio->send_gpadl, d.uio->send_buffer.bytes()};
  }
  return hc;
}

void Simulator::Impl::detach_uio(Device& d, bool by_rescind) noexcept {
  if (!d.uio) return;
  if (by_rescind) d.uio->endpoint->rescind();
  d.uio->endpoint.reset();  // unbind: clients get EIO; the host thread is joined
  rescind_subchannels(d);   // done by the last close just above if it was open; a no-op then
  tree->remove_ring(d, d.spec.relid);  // hv_uio_remove -> hv_remove_ring_sysfs
  tree->remove_uio(d);
  uio_in_use.erase(d.uio->index);
  d.uio.reset();
}

DeviceStatus Simulator::Impl::status_of(const Device& d) const {
  DeviceStatus s;
  s.spec = d.spec;
  s.driver = d.driver;
  s.driver_override = d.driver_override;
  s.channel_state = d.channel_state;
  if (d.uio) {
    s.uio = d.uio->index;
    s.client_pid = d.uio->endpoint->client_pid();
  }
  for (const auto& c : d.channels) s.channels.push_back({c->spec, c->counters.state(), c->counters.snapshot()});
  return s;
}

}  // namespace hvsim
