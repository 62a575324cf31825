// File: tests/integration/open_echo.h
//
// hvsim's echo device claimed for uio_hv_generic and opened, as most
// integration tests start. The claim gives the device back when it goes.
//
// Usage:
//   HvsimProcess sim;
//   OpenEcho e = open_echo(sim);
//   vmbus::Channel& ch = e.device->channel(0);
#pragma once

#include <memory>
#include <string>

#include "hvsim_process.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"

namespace vmbus_it {

struct OpenEcho {
  vmbus::Guid instance;
  vmbus::Claim claim;
  std::unique_ptr<vmbus::Device> device;
};

inline OpenEcho open_echo(const HvsimProcess& sim) {
  OpenEcho e;
  e.instance = vmbus::Guid::parse(sim.device("echo").at("instance").get<std::string>()).value();
  e.claim = vmbus::claim_device(sim.sysfs(), e.instance);
  e.device = vmbus::Device::open(e.claim.device());
  return e;
}

}  // namespace vmbus_it
