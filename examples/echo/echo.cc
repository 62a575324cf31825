// vmbus_echo: the SDK in one page. Lists the VMBus devices under a sysfs root,
// claims the echo device for uio_hv_generic, opens it, and measures round
// trips and throughput over its primary channel; then gives the device back.
//
//   vmbus_echo --root /dev/shm/vm1/sys     # against hvsim (examples/echo/run does it all)
//   vmbus_echo                             # /sys, or $VMBUS_SYSFS_ROOT
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "vmbus/channel/channel.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"
#include "vmbus/device/discovery.h"
#include "vmbus/device/sysfs.h"
#include "vmbus/packet/builders.h"

namespace {

using Clock = std::chrono::steady_clock;

const char* owner_name(const vmbus::DeviceInfo& d) {
  switch (d.owner) {
    case vmbus::DeviceOwner::uio_hv_generic: return "uio_hv_generic";
    case vmbus::DeviceOwner::kernel_driver: return d.driver.c_str();
    case vmbus::DeviceOwner::none: break;
  }
  return "-";
}

void list_devices(const vmbus::DeviceScan& scan) {
  std::printf("%-38s %-10s %5s %7s  %s\n", "instance", "class", "relid", "monitor", "driver");
  for (const vmbus::DeviceInfo& d : scan.devices) {
    const std::string monitor = d.monitor_id ? std::to_string(*d.monitor_id) : "-";
    std::printf("%-38s %-10s %5u %7s  %s\n", d.instance.str().c_str(), d.class_name.c_str(), d.relid,
                monitor.c_str(), owner_name(d));
  }
  for (const vmbus::DeviceProblem& p : scan.problems) std::printf("unreadable: %s\n", p.message.c_str());
}

// Polls until the echo of `id` arrives; the payload comes back padded to 8.
bool await_reply(vmbus::Channel& ch, std::uint64_t id, std::span<std::byte> buffer) {
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    auto p = ch.receive(buffer);
    if (p) {
      (void)ch.finish_receive();
      return p->trans_id == id;
    }
    if (p.error().code != vmbus::Errc::empty) {
      std::fprintf(stderr, "vmbus_echo: receive: %s\n", p.error().message().c_str());
      return false;
    }
  }
  std::fprintf(stderr, "vmbus_echo: no reply to packet %llu within 5 s\n", static_cast<unsigned long long>(id));
  return false;
}

int run(const vmbus::SysfsRoot& root) {
  const vmbus::DeviceScan scan = vmbus::scan(root);
  std::printf("VMBus devices under %s:\n", root.root().c_str());
  list_devices(scan);

  const vmbus::DeviceInfo echo = vmbus::find_device(root, "3a7e8c1d-2f4b-4e6a-9c5d-6876736d6563");
  vmbus::Claim claim = vmbus::claim_device(root, echo.instance);
  std::unique_ptr<vmbus::Device> device = vmbus::Device::open(claim.device());
  vmbus::Channel& ch = device->channel(0);
  std::printf("\nopened %s (%s), relid %u\n", echo.instance.str().c_str(), device->describe().c_str(),
              claim.device().relid);

  alignas(8) static std::byte buffer[4096];
  std::vector<std::byte> payload(64, std::byte{0x5a});

  // Round trips: one packet, one signal, wait for its echo.
  constexpr int kRoundTrips = 20000;
  std::vector<double> rtt_us;
  rtt_us.reserve(kRoundTrips);
  for (int i = 0; i < kRoundTrips; ++i) {
    const auto t0 = Clock::now();
    if (vmbus::Status s = ch.send_inband(payload, static_cast<std::uint64_t>(i)); !s) {
      std::fprintf(stderr, "vmbus_echo: send: %s\n", s.error().message().c_str());
      return 1;
    }
    if (!await_reply(ch, static_cast<std::uint64_t>(i), buffer)) return 1;
    rtt_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(rtt_us.begin(), rtt_us.end());
  std::printf("round trip, 64 B, %d packets: p50 %.1f us, p99 %.1f us\n", kRoundTrips, rtt_us[rtt_us.size() / 2],
              rtt_us[rtt_us.size() * 99 / 100]);

  // Throughput: batches of 32 with one flush (one signal at most), for 1 s.
  std::uint64_t id = 0, echoed = 0;
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::seconds(1)) {
    std::uint64_t sent = 0;
    for (; sent < 32; ++sent) {
      if (!ch.write(vmbus::packet::inband(payload, id + sent))) break;
    }
    if (!ch.flush()) return 1;
    for (std::uint64_t k = 0; k < sent; ++k) {
      if (!await_reply(ch, id + k, buffer)) return 1;
    }
    id += sent;
    echoed += sent;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("throughput, 64 B, 32 per flush: %.3f Mpps echoed (%llu packets in %.2f s)\n",
              static_cast<double>(echoed) / seconds / 1e6, static_cast<unsigned long long>(echoed), seconds);
  const vmbus::ChannelCounters& c = ch.counters();
  std::printf("channel counters: %llu packets sent, %llu received, %llu signals sent\n",
              static_cast<unsigned long long>(c.packets_sent.load()),
              static_cast<unsigned long long>(c.packets_received.load()),
              static_cast<unsigned long long>(c.signals_sent.load()));

  device.reset();
  claim.release();
  std::printf("released %s\n", echo.instance.str().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root_arg;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
      root_arg = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: vmbus_echo [--root SYSFS_ROOT]\n"
                   "  lists VMBus devices, then claims and measures the echo device (hvsim's test device)\n");
      return 2;
    }
  }
  try {
    return run(vmbus::SysfsRoot::from_option(root_arg));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vmbus_echo: %s\n", e.what());
    return 1;
  }
}
