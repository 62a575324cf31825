// Opening a port on a vmbus::Device, and the discover + claim + open
// convenience. The one thing the SDK does not offer is "which relid is
// subchannel i": it is read here from <device>/channels/<relid>/subchannel_id
// (the file discovery reads), polling until the host's offer shows up.
#include <charconv>
#include <filesystem>
#include <string>
#include <thread>

#include "netvsc/port.h"
#include "vmbus/device/discovery.h"
#include "vmbus/device/sysfs.h"

namespace netvsc {
namespace {

std::optional<std::uint32_t> find_subchannel_relid(const std::filesystem::path& device_dir, std::uint16_t id) {
  std::error_code ec;
  std::filesystem::directory_iterator it(device_dir / "channels", ec);
  if (ec) return std::nullopt;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    std::uint32_t relid = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), relid);
    if (err != std::errc{} || end != name.data() + name.size()) continue;
    try {
      auto sub = vmbus::sysfs::read_optional_decimal(entry.path() / "subchannel_id");
      if (sub && *sub == id) return relid;
    } catch (const std::exception&) {
      // The channel went away (or is being created) while we looked.
    }
  }
  return std::nullopt;
}

vmbus::Channel& open_subchannel(vmbus::Device& device, std::uint16_t id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto relid = find_subchannel_relid(device.info().sysfs_dir, id)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left < std::chrono::milliseconds(1)) left = std::chrono::milliseconds(1);
      return device.open_subchannel(*relid, left);
    }
    if (device.check_rescinded()) throw PortError("netvsc: device rescinded while waiting for subchannel offers");
    if (std::chrono::steady_clock::now() >= deadline) {
      throw PortError("netvsc: no channel with subchannel_id " + std::to_string(id) + " appeared under " +
                      (device.info().sysfs_dir / "channels").string() + " within " +
                      std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

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
    return open_subchannel(device, id, timeout);
  };
  return open(std::move(r), std::move(config));
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
