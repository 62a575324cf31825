// A program built only against an installed vmbus-sdk (tests/install/run):
// the SDK, the netvsc driver and the KVP service, through their public
// headers and installed libraries. Against hvsim it lists the devices,
// echoes a packet through the echo device, opens the NIC as a netvsc port,
// and sets and reads back a key through the KVP service's pools.
//
//   vmbus_consumer --root /dev/shm/vm1/sys --pools DIR
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "kvp/service.h"
#include "netvsc/port.h"
#include "vmbus/channel/channel.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"
#include "vmbus/device/discovery.h"
#include "vmbus/device/sysfs.h"

namespace {

bool echo_one(const vmbus::SysfsRoot& root) {
  const vmbus::DeviceInfo info = vmbus::find_device(root, "3a7e8c1d-2f4b-4e6a-9c5d-6876736d6563");
  vmbus::Claim claim = vmbus::claim_device(root, info.instance);
  std::unique_ptr<vmbus::Device> device = vmbus::Device::open(claim.device());
  vmbus::Channel& ch = device->channel(0);
  std::vector<std::byte> payload(64, std::byte{0x5a});
  if (vmbus::Status s = ch.send_inband(payload, 7); !s) {
    std::fprintf(stderr, "vmbus_consumer: send: %s\n", s.error().message().c_str());
    return false;
  }
  alignas(8) static std::byte buffer[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    auto p = ch.receive(buffer);
    if (p) {
      (void)ch.finish_receive();
      std::printf("echo: packet %llu came back\n", static_cast<unsigned long long>(p->trans_id));
      return p->trans_id == 7;
    }
    if (p.error().code != vmbus::Errc::empty) {
      std::fprintf(stderr, "vmbus_consumer: receive: %s\n", p.error().message().c_str());
      return false;
    }
  }
  std::fprintf(stderr, "vmbus_consumer: no echo within 5 s\n");
  return false;
}

void open_nic(const vmbus::SysfsRoot& root) {
  netvsc::PortConfig config;
  config.queues = 1;
  netvsc::OpenedPort opened = netvsc::open_port(root, vmbus::find_device(root, "network").instance, config);
  std::printf("netvsc: port %s, %u queue(s)\n", netvsc::to_string(opened.port->mac()).c_str(),
              opened.port->queue_count());
}

bool kvp_key(const vmbus::SysfsRoot& root, const std::string& pools) {
  vmbus::Claim claim = vmbus::claim_device(root, vmbus::find_device(root, "kvp").instance);
  kvp::ServiceOptions options;
  options.pool_directory = pools;
  auto service = kvp::Service::open(claim.device(), options);
  if (auto r = service->set("InstalledConsumer", "yes"); !r) {
    std::fprintf(stderr, "vmbus_consumer: kvp set: %s\n", r.error().message().c_str());
    return false;
  }
  auto v = service->get(kvp::Pool::guest, "InstalledConsumer");
  if (!v || !v->value) {
    std::fprintf(stderr, "vmbus_consumer: kvp get: the key is not there\n");
    return false;
  }
  std::printf("kvp: guest pool InstalledConsumer=%s\n", v->value->c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root_arg, pools;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--root") == 0) root_arg = argv[i + 1];
    if (std::strcmp(argv[i], "--pools") == 0) pools = argv[i + 1];
  }
  if (root_arg.empty() || pools.empty()) {
    std::fprintf(stderr, "usage: vmbus_consumer --root SYSFS_ROOT --pools DIR\n");
    return 2;
  }
  try {
    const vmbus::SysfsRoot root(root_arg);
    const vmbus::DeviceScan scan = vmbus::scan(root);
    std::printf("devices: %zu under %s\n", scan.devices.size(), root.root().c_str());
    if (!echo_one(root)) return 1;
    open_nic(root);
    if (!kvp_key(root, pools)) return 1;
    std::printf("vmbus_consumer: done\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vmbus_consumer: %s\n", e.what());
    return 1;
  }
}
