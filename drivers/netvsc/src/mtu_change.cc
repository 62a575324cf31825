// Changing the MTU of an open port: Linux's netvsc_change_mtu detaches the
// RNDIS device (HALT, revoke both buffers, close the channels) and attaches
// it again with the new MTU in SEND_NDIS_CONFIG; on failure it re-attaches
// with the old one. Here the channels close and re-open with the Device.
#include <string>
#include <utility>

#include "netvsc/port.h"

namespace netvsc {
namespace {

// Closes port and device, then opens both again with `config`.
void reopen(OpenedPort& opened, const vmbus::DeviceInfo& info, const PortConfig& config) {
  opened.port.reset();    // HALT and revoke (Port::close), then the port's DMA
  opened.device.reset();  // the channels close: the host drops the old session
  opened.device = vmbus::Device::open(info);
  opened.port = Port::open(*opened.device, config);
}

}  // namespace

std::uint32_t change_mtu(OpenedPort& opened, std::uint32_t mtu) {
  if (!opened.port || !opened.device) throw PortError("netvsc change_mtu: the port is not open");
  if (mtu < kPortMinMtu || mtu > kPortMaxMtu) {
    throw PortError("netvsc change_mtu: MTU " + std::to_string(mtu) + " is outside " + std::to_string(kPortMinMtu) +
                    ".." + std::to_string(kPortMaxMtu));
  }
  if (opened.port->rescinded()) throw PortError("netvsc change_mtu: the device was rescinded");
  const vmbus::DeviceInfo info = opened.device->info();
  PortConfig config = opened.port->config();
  const std::uint32_t old_mtu = config.mtu;
  config.mtu = mtu;
  try {
    reopen(opened, info, config);
    return opened.port->info().mtu;
  } catch (const std::exception& e) {
    const std::string why = e.what();
    config.mtu = old_mtu;
    try {
      opened.port.reset();
      opened.device.reset();
      reopen(opened, info, config);
    } catch (const std::exception& again) {
      opened.port.reset();
      throw PortError("netvsc change_mtu: re-opening with MTU " + std::to_string(mtu) + " failed (" + why +
                      "), and so did restoring MTU " + std::to_string(old_mtu) + " (" + again.what() +
                      "): the port is closed");
    }
    throw PortError("netvsc change_mtu: re-opening with MTU " + std::to_string(mtu) + " failed (" + why +
                    "); the port is open again with MTU " + std::to_string(old_mtu));
  }
}

}  // namespace netvsc
