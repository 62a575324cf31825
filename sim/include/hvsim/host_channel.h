// File: hvsim/host_channel.h
//
// One VMBus channel seen from the host: the SDK's ring code with the roles
// swapped. The host reads the guest's TX ring (the first half of txrx_rings)
// with vmbus::IncomingRing and writes the guest's RX ring (the second half)
// with vmbus::OutgoingRing, and follows the rules a Hyper-V host follows
// (reference/host-behaviour.md):
//   - it interrupts the guest only when OutgoingRing::commit() says so (the
//     RX ring went empty -> non-empty while the guest's interrupt_mask was
//     clear), or when IncomingRing::commit() says room the guest asked for
//     with pending_send_sz has freed up (hv_pkt_iter_close);
//   - it keeps its own interrupt_mask on the TX ring set while it drains, and
//     clears it with IncomingRing::unmask_interrupts' re-check before waiting;
//   - when the guest's RX ring is full it sets pending_send_sz there, stops
//     draining, and waits for the guest's signal;
//   - it accounts every guest signal. A signal is necessary only if, since the
//     last drain, the TX ring went empty -> non-empty while the host's mask on
//     it was clear, or the host had asked for room in the RX ring and the room
//     is now free; any other signal is counted as unnecessary. Several signals
//     between two drains count as at most one necessary one. (Monitored
//     channels signal by setting a bit: sets between two scans merge into one.)
// The guest is untrusted: a corrupt ring closes the channel with a log line
// (state corrupt) until the guest opens the device again.
//
// Per packet there is no allocation, no lock and no system call; the buffers
// are allocated when the channel is opened. The one syscall per batch is the
// interrupt (an eventfd write).
//
// Usage (inside a DeviceHost):
//   const std::uint32_t need = hvsim::ring_bytes_for(0, p.payload.size());
//   switch (ch.room_for(need)) {
//     case hvsim::Room::full: return hvsim::PacketResult::blocked(need);
//     case hvsim::Room::never: ch.drop("reply larger than the ring"); return hvsim::PacketResult::done();
//     case hvsim::Room::ok: (void)ch.send(vmbus::packet::inband(p.payload, p.trans_id));
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hvsim/counters.h"
#include "hvsim/faults.h"
#include "hvsim/guest_memory.h"
#include "hvsim/log.h"
#include "vmbus/packet/descriptor.h"
#include "vmbus/packet/incoming_packet.h"
#include "vmbus/packet/outgoing_packet.h"
#include "vmbus/result.h"
#include "vmbus/ring/incoming_ring.h"
#include "vmbus/ring/outgoing_ring.h"

namespace hvsim {

class DeviceHost;

struct ChannelSpec {
  std::uint32_t relid = 0;
  std::uint32_t subchannel_id = 0;          // 0: the primary channel
  std::optional<std::uint8_t> monitor_id;   // nullopt: not monitored (signals via irqcontrol)
  std::uint32_t cpu = 0;
};

// A buffer the guest shared with the host by GPADL: the NIC's receive and
// send buffers (uio maps 3 "recv:<gpadl>" and 4 "send:<gpadl>"). Empty for
// other devices.
struct GpadlBuffer {
  std::uint32_t gpadl = 0;
  std::span<std::byte> bytes;
};

struct HostChannelSetup {
  ChannelSpec spec;
  std::span<std::byte> rings;      // TX ring (guest -> host), then RX ring; equal halves
  ChannelCounters* counters = nullptr;
  ChannelFaults* faults = nullptr;  // armed by ctl; nullptr: none (tests)
  GuestMemory* memory = nullptr;
  DeviceHost* host = nullptr;
  int interrupt_fd = -1;           // the guest's interrupt eventfd
  const Logger* log = nullptr;
  std::string label;               // "echo relid 40", for log lines
  GpadlBuffer recv_buffer;         // NIC only: uio map 3
  GpadlBuffer send_buffer;         // NIC only: uio map 4
};

enum class Room { ok, full, never };

// Ring bytes a packet takes: descriptor, header and payload padded to 8, trailer.
constexpr std::uint32_t ring_bytes_for(std::size_t header_bytes, std::size_t payload_bytes) noexcept {
  const std::size_t n = (vmbus::kPacketDescriptorSize + header_bytes + payload_bytes + 7) / 8 * 8 + vmbus::kPacketTrailerSize;
  return n > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(n);
}

class HostChannel {
 public:
  static constexpr std::uint32_t kBatch = 64;  // packets per pass before publishing
  // The most a GPA-direct packet names: 32 frames.
  static constexpr std::size_t kScratchSize = 32 * 4096;

  // Attaches to rings whose headers the endpoint initialized. Throws
  // std::runtime_error if they are unusable (sizes, indices).
  explicit HostChannel(HostChannelSetup setup);
  ~HostChannel();
  HostChannel(const HostChannel&) = delete;
  HostChannel& operator=(const HostChannel&) = delete;

  // --- For device hosts (host service thread). ---
  const ChannelSpec& spec() const noexcept { return setup_.spec; }
  std::string_view label() const noexcept { return setup_.label; }
  GuestMemory& guest_memory() noexcept { return *setup_.memory; }
  ChannelCounters& counters() noexcept { return *setup_.counters; }
  const Logger& log() const noexcept { return *setup_.log; }
  std::span<std::byte> scratch() noexcept { return {scratch_.get(), kScratchSize}; }
  // The device's GPADL buffers (NIC only; empty otherwise).
  const GpadlBuffer& recv_buffer() const noexcept { return setup_.recv_buffer; }
  const GpadlBuffer& send_buffer() const noexcept { return setup_.send_buffer; }
  // Can `ring_bytes` be written to the guest's RX ring now?
  Room room_for(std::uint32_t ring_bytes) noexcept;
  // Writes one packet; the guest sees it when the current pass publishes.
  // Errors: those of vmbus::OutgoingRing::write. A corrupt guest index closes
  // the channel.
  vmbus::Status send(const vmbus::OutgoingPacket& packet) noexcept;
  // Counts a dropped packet and logs why (rate-limited).
  void drop(std::string_view why) noexcept;
  // Publishes what send() wrote outside this channel's own drain (a device
  // host sending on another queue, or from on_poll) and interrupts the guest
  // if the ring says so. A drain publishes by itself.
  void publish() noexcept { flush(); }
  // Payload faults (hvsim/faults.h) a device host applies to what it writes
  // next: the first of `kinds` armed on this channel, consumed, counted
  // (faults_injected) and logged. One relaxed load when none is armed.
  std::optional<FaultKind> take_payload_fault(std::span<const FaultKind> kinds) noexcept {
    if (!faults_armed()) return std::nullopt;
    return take_payload_fault_slow(kinds);
  }

  // --- For the device's host service thread. ---
  void open() noexcept;                                // DeviceHost::on_open, then publish
  void on_guest_signal(std::uint64_t signals) noexcept;  // account, then drain
  void close() noexcept;                               // DeviceHost::on_close
  bool corrupt() const noexcept { return corrupt_; }
  // hv_uio_irqcontrol: the guest's inbound (RX) interrupt_mask. Any thread.
  void set_guest_interrupt_mask(std::uint32_t mask) noexcept;

 private:
  void drain() noexcept;
  // Publishes both rings and interrupts the guest if either commit says so.
  void flush() noexcept;
  // Hands the packet to the device host; false if it is blocked (stalled_ set).
  bool handle(const vmbus::IncomingPacket& packet) noexcept;
  // Retries the stalled packet; false if the host must wait for the guest.
  bool retry_stalled() noexcept;
  void close_corrupt(std::string_view ring, const vmbus::Error& error) noexcept;
  // --- Injected faults (hvsim/faults.h); each returns quickly when none is armed. ---
  bool faults_armed() const noexcept { return setup_.faults != nullptr && setup_.faults->armed(); }
  bool fault_fires(FaultKind kind) noexcept;  // consumes one firing, counts and logs it
  void delay_before_handling() noexcept;
  std::optional<FaultKind> take_payload_fault_slow(std::span<const FaultKind> kinds) noexcept;
  void corrupt_last_descriptor(FaultKind kind, std::uint32_t position) noexcept;
  // The host breaks the channel on purpose: state broken until the next open.
  void break_channel(std::string_view ring, std::string_view what) noexcept;
  void interrupt_guest(bool for_data, bool for_space) noexcept;

  HostChannelSetup setup_;
  vmbus::RingMemory tx_memory_;
  vmbus::RingMemory rx_memory_;
  std::optional<vmbus::IncomingRing> tx_;  // the guest's TX ring: the host reads
  std::optional<vmbus::OutgoingRing> rx_;  // the guest's RX ring: the host writes
  std::unique_ptr<std::byte[]> buffer_;    // one packet copied out of the TX ring
  std::size_t buffer_size_ = 0;
  std::unique_ptr<std::byte[]> scratch_;
  bool tx_unmasked_ = true;                // the host's TX mask is clear (it waits for signals)
  bool corrupt_ = false;
  std::optional<vmbus::IncomingPacket> stalled_;  // read, not yet handled: the RX ring was full
  std::uint32_t stalled_need_ = 0;
  std::uint64_t drops_logged_ = 0;
};

}  // namespace hvsim
