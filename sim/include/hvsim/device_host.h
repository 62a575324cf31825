// File: hvsim/device_host.h
//
// The host side of a device (Hyper-V's VSP) as a plug-in. A HostChannel
// drains the guest's TX ring and hands each packet to the device host, which
// answers through HostChannel::send(). One DeviceHost instance serves one
// open of one device (all of its channels), on that device's host service
// thread: no locking needed inside.
//
// Built in: "echo" (EchoHost, hvsim/echo_host.h) and "silent" (reads and
// drops). The NIC (NVSP + RNDIS) and KVP hosts will register here too.
//
// Flow control: a host that cannot send its reply now (HostChannel::room_for
// says full) returns PacketResult::blocked(ring_bytes) *before* sending
// anything for that packet. The channel keeps the packet, asks the guest for
// the room (pending_send_sz), stops reading the TX ring, and calls on_packet
// again with the same packet once the guest freed it.
//
// Usage (a new device host):
//   class MyHost : public hvsim::DeviceHost {
//     hvsim::PacketResult on_packet(hvsim::HostChannel& ch, const vmbus::IncomingPacket& p) override {
//       auto reply = vmbus::packet::completion(p.trans_id);
//       const auto need = hvsim::ring_bytes_for(0, 0);
//       if (ch.room_for(need) == hvsim::Room::full) return hvsim::PacketResult::blocked(need);
//       (void)ch.send(reply);
//       return hvsim::PacketResult::done();
//     }
//   };
//   hvsim::register_device_host("mine", [](const hvsim::DeviceSpec&) { return std::make_unique<MyHost>(); });
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "hvsim/config.h"
#include "vmbus/packet/incoming_packet.h"

namespace hvsim {

class HostChannel;

class PacketResult {
 public:
  static PacketResult done() noexcept { return PacketResult(0, false); }
  // The replies need `ring_bytes` of the guest's RX ring (see ring_bytes_for).
  static PacketResult blocked(std::uint32_t ring_bytes) noexcept { return PacketResult(ring_bytes, true); }
  bool is_blocked() const noexcept { return blocked_; }
  std::uint32_t ring_bytes() const noexcept { return ring_bytes_; }

 private:
  PacketResult(std::uint32_t bytes, bool blocked) noexcept : ring_bytes_(bytes), blocked_(blocked) {}
  std::uint32_t ring_bytes_;
  bool blocked_;
};

class DeviceHost {
 public:
  virtual ~DeviceHost() = default;
  // The guest opened the device (its rings are fresh): a host that speaks
  // first (KVP's negotiation) sends here.
  virtual void on_open(HostChannel& channel) { (void)channel; }
  // One packet from the guest, copied out of the ring and validated
  // (vmbus::IncomingRing::read). Typed headers are not parsed yet: use
  // vmbus::GpaDirectPacket::parse and friends, and treat failures as the
  // guest's error (log and drop), never as the host's.
  virtual PacketResult on_packet(HostChannel& channel, const vmbus::IncomingPacket& packet) = 0;
  // Every guest signal, before the channel drains its TX ring.
  virtual void on_signal(HostChannel& channel) { (void)channel; }
  // The guest closed the device, or it was rescinded or unbound.
  virtual void on_close(HostChannel& channel) { (void)channel; }
};

using DeviceHostFactory = std::function<std::unique_ptr<DeviceHost>(const DeviceSpec& spec)>;

// Adds or replaces a kind of device host ("echo", "silent", ...).
void register_device_host(std::string kind, DeviceHostFactory factory);
bool is_known_host(std::string_view kind);
std::string known_host_names();  // "echo, silent, ..." for messages
// Throws ConfigError if spec.host names no registered kind.
std::unique_ptr<DeviceHost> make_device_host(const DeviceSpec& spec);

}  // namespace hvsim
