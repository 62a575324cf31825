// Opening a port on a vmbus::Device, and the discover + claim + open
// convenience. Queue i is subchannel i (Device::open_subchannel_by_id).
#include <filesystem>
#include <string>

#include "netvsc/port.h"
#include "port_core.h"
#include "vmbus/device/discovery.h"
#include "vmbus/device/sysfs.h"

namespace netvsc {

std::unique_ptr<Port> Port::open(vmbus::Device& device, PortConfig config) {
  auto recv = device.recv_buffer();
  auto send = device.send_buffer();
  if (!recv || !send) {
    throw PortError("netvsc open: " + device.describe() +
                    " has no recv:<gpadl>/send:<gpadl> maps (uio maps 3 and 4): not a NIC, or opened with "
                    "DeviceOptions::map_shared_buffers = false");
  }
  PortResources r;
  r.primary = &device.channel(0);
  r.recv_buffer = recv->memory;
  r.recv_gpadl = recv->gpadl;
  r.send_buffer = send->memory;
  r.send_gpadl = send->gpadl;
  r.allocate_dma = [&device](std::size_t bytes) { return device.allocate_dma(bytes); };
  r.open_subchannel = [&device](std::uint16_t id, std::chrono::milliseconds timeout) -> vmbus::Channel& {
    if (device.rescinded()) throw PortError("netvsc: device rescinded while waiting for subchannel offers");
    return device.open_subchannel_by_id(id, timeout);
  };
  std::unique_ptr<Port> port = open(std::move(r), std::move(config));
  // Bursts see a rescind through the channels the Device marks (port_core.h).
  port->core_->rescind_probe = [&device] { (void)device.take_interrupts(); };
  return port;
}

OpenedPort open_port(const vmbus::SysfsRoot& root, const vmbus::Guid& instance, PortConfig config) {
  OpenedPort out;
  vmbus::DeviceInfo info = vmbus::describe_device(root, instance);
  if (info.owner != vmbus::DeviceOwner::uio_hv_generic) {
    out.claim = vmbus::claim_device(root, instance);
    info = out.claim.device();
  }
  out.device = vmbus::Device::open(info);
  out.port = Port::open(*out.device, std::move(config));
  return out;
}

}  // namespace netvsc
