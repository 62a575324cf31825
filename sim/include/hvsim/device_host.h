// File: hvsim/device_host.h
//
// The host side of a device (Hyper-V's VSP) as a plug-in. A HostChannel
// drains the guest's TX ring and hands each packet to the device host, which
// answers through HostChannel::send(). One DeviceHost instance serves one
// open of one device (all of its channels), on that device's host service
// thread: no locking needed inside.
//
// Built in: "echo" (EchoHost, hvsim/echo_host.h), "silent" (reads and
// drops), "netvsc" (the synthetic NIC, sim/hosts/netvsc) and "kvp" (the
// key/value exchange's host, sim/hosts/kvp).
//
// Subchannels: a device host asks the simulated host to offer them with
// offer_subchannels(count), as a NIC's VSP does when NVSP SUBCH_REQ
// arrives (the echo host does it in on_open of the primary). The call
// returns at once how many will be offered: min(count, the device's
// "subchannels" config - those already offered in this open). It never
// blocks: hvsim's control thread makes the offers, as the kernel sees them
// (vmbus_onoffer -> vmbus_process_offer -> sc_creation_callback =
// hv_uio_new_channel):
//   - at once: a relid (the next above every channel offered), a monitor id
//     if the device is monitored (the lowest free), the channel directory
//     channels/<relid>/ and its line in channel_vp_mapping;
//   - subchannel_ring_delay_ms later (SimConfig): vmbus_open(SZ_2M, SZ_2M)
//     (two fresh 2 MiB rings, headers included), the 0600 file
//     channels/<relid>/ring (4 MiB), and on_open(subchannel) on this thread;
//     from then on the subchannel's packets reach on_packet with its own
//     HostChannel (spec().subchannel_id = 1, 2, ...).
// When the guest's last close ends the open, the subchannels are rescinded
// (vmbus_disconnect_ring closes them): the next open starts with the
// primary alone and must ask again (netvsc sends SUBCH_REQ on every open).
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
//     void on_open(hvsim::HostChannel& ch) override {  // or on NVSP SUBCH_REQ
//       if (ch.spec().subchannel_id == 0) (void)offer_subchannels(subchannels_granted());
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
class DeviceService;

// What hvsim does for a device host beyond its channels; DeviceService
// implements it for each open of a device. Host service thread only.
class HostServices {
 public:
  virtual ~HostServices() = default;
  // Returns how many subchannels will be offered: min(count, granted - offered).
  virtual std::uint32_t offer_subchannels(std::uint32_t count) noexcept = 0;
  virtual std::uint32_t subchannels_granted() const noexcept = 0;  // DeviceSpec::subchannels
  virtual std::uint32_t subchannels_offered() const noexcept = 0;  // in this open
};

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
  // A channel was opened (its rings are fresh): the primary when the guest
  // opens the device, each subchannel when its offer completed (its ring
  // file appears right after). A host that speaks first (KVP's
  // negotiation) sends here.
  virtual void on_open(HostChannel& channel) { (void)channel; }
  // One packet from the guest, copied out of the ring and validated
  // (vmbus::IncomingRing::read). Typed headers are not parsed yet: use
  // vmbus::GpaDirectPacket::parse and friends, and treat failures as the
  // guest's error (log and drop), never as the host's.
  virtual PacketResult on_packet(HostChannel& channel, const vmbus::IncomingPacket& packet) = 0;
  // Every guest signal, before the channel drains its TX ring.
  virtual void on_signal(HostChannel& channel) { (void)channel; }
  // The guest closed the device, or it was rescinded or unbound (every
  // channel, subchannels included).
  virtual void on_close(HostChannel& channel) { (void)channel; }
  // Once per pass of the host service thread, after the channels drained:
  // where a host sends what it did not answer in on_packet (a NIC's batched
  // receives, link indications, frames from its backend). A host that needs
  // it without guest signals asks for a pass every poll_interval_us()
  // (0: only when something else wakes the thread).
  virtual void on_poll() {}
  virtual std::uint32_t poll_interval_us() const noexcept { return 0; }

 protected:
  // Asks the host to offer `count` more subchannels of this device (see the
  // top of this file); returns how many it will offer, 0 if the config
  // grants none or all were offered in this open. Host service thread only
  // (from on_open, on_packet, on_signal); never blocks.
  std::uint32_t offer_subchannels(std::uint32_t count) noexcept {
    return services_ != nullptr ? services_->offer_subchannels(count) : 0;
  }
  std::uint32_t subchannels_granted() const noexcept { return services_ != nullptr ? services_->subchannels_granted() : 0; }
  std::uint32_t subchannels_offered() const noexcept { return services_ != nullptr ? services_->subchannels_offered() : 0; }

 private:
  friend class DeviceService;  // attaches itself before the first on_open
  HostServices* services_ = nullptr;
};

using DeviceHostFactory = std::function<std::unique_ptr<DeviceHost>(const DeviceSpec& spec)>;

// Adds or replaces a kind of device host ("echo", "silent", ...).
void register_device_host(std::string kind, DeviceHostFactory factory);
bool is_known_host(std::string_view kind);
std::string known_host_names();  // "echo, silent, ..." for messages
// Throws ConfigError if spec.host names no registered kind.
std::unique_ptr<DeviceHost> make_device_host(const DeviceSpec& spec);

}  // namespace hvsim
