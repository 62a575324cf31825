// File: sim/hosts/netvsc/nic_host.h
//
// The synthetic NIC's host side (Hyper-V's network VSP) as hvsim device
// host "netvsc", the default host of the "network" class. NVSP on the
// channel, RNDIS over it, receive slots in the guest's receive buffer,
// send-buffer sections and GPA-direct sends, RSS over the subchannels, and a
// frame backend (loopback, sink, source, tap). docs/hvsim.md "NIC host"
// describes the behaviour; nic.h is the class.
//
// Usage (device_host.cc's registry does this):
//   hvsim::register_device_host("netvsc", [](const hvsim::DeviceSpec& s) { return hvsim::make_nic_host(s); });
#pragma once

#include <memory>

#include "hvsim/device_host.h"

namespace hvsim {

std::unique_ptr<DeviceHost> make_nic_host(const DeviceSpec& spec);

}  // namespace hvsim
