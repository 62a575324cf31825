// File: hvsim/echo_host.h
//
// The echo device host: hvsim's test device (class kEchoClassGuid), and the
// stand-in for the NIC until the NVSP host exists. For each packet the guest
// sends:
//   inband (6), no flags             -> inband (6), same trans_id, same payload
//   inband (6), COMPLETION_REQUESTED -> completion (0xb), same trans_id, same payload
//   GPA-direct (9)                   -> inband (6), same trans_id, payload = the
//                                       bytes its ranges name, read from guest
//                                       memory, ranges in order; then, since
//                                       COMPLETION_REQUESTED is set (always, for
//                                       type 9), a completion (0xb) with the
//                                       packet's own payload: "done with your
//                                       buffers", as a VSP completes a send
//   completion (0xb)                 -> nothing (the guest completing nothing we sent)
//   transfer pages (7), anything else -> dropped (the guest does not send them)
// A malformed GPA-direct header or unreachable guest memory drops the packet
// with a log line. A reply larger than the RX ring is dropped the same way.
//
// Subchannels: when the guest opens the device, echo asks the host for all
// the subchannels its config grants ("subchannels", 3 by default), the
// way a NIC's host does on NVSP SUBCH_REQ, and echoes on each of them as on
// the primary: replies go back on the channel the packet came in on.
//
// Usage:
//   hvsim::register_device_host("echo", [](const hvsim::DeviceSpec&) { return std::make_unique<hvsim::EchoHost>(); });
#pragma once

#include "hvsim/device_host.h"

namespace hvsim {

class EchoHost final : public DeviceHost {
 public:
  void on_open(HostChannel& channel) override;
  PacketResult on_packet(HostChannel& channel, const vmbus::IncomingPacket& packet) override;

 private:
  PacketResult echo_inband(HostChannel& channel, const vmbus::IncomingPacket& packet);
  PacketResult echo_gpa_direct(HostChannel& channel, const vmbus::IncomingPacket& packet);
};

}  // namespace hvsim
