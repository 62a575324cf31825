// File: vmbus/channel/channel.h
//
// One VMBus channel as a driver uses it: the TX ring (guest -> host), the RX
// ring (host -> guest), the way to signal the host, the RX interrupt mask, and
// counters. It turns the ring layer's "signal needed" answers into at most one
// signal per batch, and owns the interrupt mask the kernel left to user space
// (b15b7d2a1b09, "Let userspace take care of interrupt mask").
//
// Cost model: no allocation, lock or syscall per packet. The only syscall is
// the one signal a batch may need, and only for channels without a monitor id
// (write(uio fd, 1)); monitored channels signal with two atomic ORs.
//
// Threads: one thread sends (send/write/flush) and one thread receives
// (receive/peek/consume/finish_receive/rx_empty/set_poll_mode/arm_interrupts);
// they may be the same thread or two. counters(), ring_state() and rescinded()
// may be read from any thread.
//
// Sending, one packet or a batch:
//   ch.send_inband(request, /*trans_id=*/7, /*completion_requested=*/true);
//   for (auto& m : burst) if (!ch.write(vmbus::packet::inband(m, id++))) break;
//   ch.flush();  // one index store, at most one signal
//
// Receiving, poll mode then sleep (the channel starts in poll mode):
//   alignas(8) std::byte buffer[4096];
//   for (;;) {
//     while (auto p = ch.receive(buffer)) handle(*p);  // copies: safe to parse
//     if (!ch.finish_receive()) break;                 // commit reads once
//     if (ch.arm_interrupts()) continue;               // data raced in: poll again
//     if (!device.wait(std::chrono::seconds(1))) break;  // rescinded
//     ch.set_poll_mode();
//   }
//
// Errors: receive()/peek() return Errc::empty when there is nothing, and
// Errc::rescinded instead once the ring is drained and the device is gone.
// Corruption errors mean the host broke the protocol: tear the channel down.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "vmbus/channel/channel_counters.h"
#include "vmbus/channel/signaller.h"
#include "vmbus/packet/builders.h"
#include "vmbus/packet/gpa_direct.h"
#include "vmbus/packet/incoming_packet.h"
#include "vmbus/packet/outgoing_packet.h"
#include "vmbus/result.h"
#include "vmbus/ring/incoming_ring.h"
#include "vmbus/ring/outgoing_ring.h"

namespace vmbus {

struct ChannelConfig {
  std::uint32_t relid = 0;                 // channels/<relid>; the primary's is the device's id
  std::optional<std::uint8_t> monitor_id;  // set if the host allocated one (monitored channel)
  // Bumped by IrqControlSignaller after each irqcontrol(1), which clears
  // every channel's RX interrupt_mask. Null if nothing on this device uses
  // irqcontrol (all channels monitored), or in tests.
  const std::atomic<std::uint64_t>* unmask_epoch = nullptr;
  // Where the counters live: a slot of the device's shared CountersTable
  // (vmbus/channel/counters_table.h), which must outlive the channel. Null:
  // the channel keeps its own.
  ChannelCounters* counters = nullptr;
};

// The ring header fields as last published, for control planes and tools.
struct ChannelRingState {
  std::uint32_t tx_write_index = 0;
  std::uint32_t tx_read_index = 0;
  std::uint32_t tx_interrupt_mask = 0;  // the host's: it is polling our TX ring
  std::uint32_t tx_data_size = 0;
  std::uint32_t rx_write_index = 0;
  std::uint32_t rx_read_index = 0;
  std::uint32_t rx_interrupt_mask = 0;  // ours
  std::uint32_t rx_pending_send_size = 0;  // the host asks for this much room
  std::uint32_t rx_data_size = 0;
};

class Channel {
 public:
  // Attaches to two rings already initialized by their creator (the kernel,
  // hvsim, or a test): `tx_ring` the guest writes, `rx_ring` the guest reads,
  // each a 4 KiB header page plus its data. `signaller` must outlive the
  // channel. Puts the channel in poll mode (RX interrupt_mask = 1).
  // Errors: invalid_argument (RingMemory::from: bad size or alignment),
  // corrupt_index (an index in a header is out of range).
  static Result<std::unique_ptr<Channel>> attach(std::span<std::byte> tx_ring, std::span<std::byte> rx_ring,
                                                 Signaller& signaller, ChannelConfig config = {});

  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // ---- Sending ------------------------------------------------------------
  // Stages one packet; the host sees nothing until flush(). Errors: those of
  // OutgoingRing::write (full: detail = bytes needed; counted as a
  // ring_full_event), and rescinded.
  Status write(const OutgoingPacket& packet) noexcept;
  // Publishes every staged packet with one index store and signals the host
  // if the ring went from empty to non-empty with its mask clear
  // (hv_ringbuffer_write). Errors: rescinded (nothing is published), or the
  // signal's error (the packets are published).
  Status flush() noexcept;
  // Drops the staged packets.
  void discard_batch() noexcept;
  std::uint32_t batched_packets() const noexcept { return staged_packets_; }

  // write() + flush(): also publishes packets staged before.
  Status send(const OutgoingPacket& packet) noexcept;
  // Type 6, flags 0 or COMPLETION_REQUESTED (vmbus_sendpacket).
  Status send_inband(std::span<const std::byte> payload, std::uint64_t trans_id,
                     bool completion_requested = false) noexcept {
    return send(packet::inband(payload, trans_id, completion_requested));
  }
  // Type 0xb echoing `trans_id` (vmbus_sendpacket(VM_PKT_COMP)).
  Status send_completion(std::uint64_t trans_id, std::span<const std::byte> payload = {}) noexcept {
    return send(packet::completion(trans_id, payload));
  }
  // Type 9, page buffers or MPB ranges (vmbus_sendpacket_pagebuffer/_mpb_desc).
  Status send_gpa_direct(GpaDirectHeader& ranges, std::span<const std::byte> payload,
                         std::uint64_t trans_id) noexcept {
    return send(packet::gpa_direct(ranges, payload, trans_id));
  }

  // A full TX ring: ask the host to signal once `bytes` are free
  // (pending_send_sz). True if they already are: retry instead of waiting.
  // Then wait on the device, and cancel once the packet went through.
  bool request_space_notification(std::uint32_t bytes) noexcept { return tx_.request_space_signal(bytes); }
  void cancel_space_notification() noexcept { tx_.cancel_space_signal(); }
  Result<std::uint32_t> tx_bytes_free() noexcept { return tx_.bytes_free(); }

  // ---- Receiving ----------------------------------------------------------
  // Copies the next packet into `buffer` (validated descriptor included) and
  // returns spans into that copy: parse these, never the ring (adae1e931acd).
  // Errors: empty, rescinded (empty and the device is gone), buffer_too_small
  // (detail = bytes needed), corruption.
  Result<IncomingPacket> receive(std::span<std::byte> buffer) noexcept;
  // Zero-copy: the next packet as windows into the ring, for trusted fast
  // paths that copy a payload once and parse nothing (the host can rewrite
  // the ring under the windows). Then consume(view).
  Result<PacketView> peek() noexcept;
  // Moves past `view` (the latest peek()); false if it is not the next packet.
  bool consume(const PacketView& view) noexcept;
  // Publishes the reads once and signals the host if that made the room it
  // was waiting for (hv_pkt_iter_close, pending_send_sz). Call after each
  // receive batch. Errors: the signal's.
  Status finish_receive() noexcept;
  // Nothing published beyond what was read (DPDK rte_vmbus_chan_rx_empty).
  bool rx_empty() noexcept;

  // ---- Interrupt mask (the receiving thread's) ----------------------------
  // Poll mode: RX interrupt_mask = 1, the host does not interrupt.
  void set_poll_mode() noexcept;
  // Before sleeping: finish_receive(), then clear the mask, full barrier,
  // re-check. True means do not sleep: data arrived in the window (or the
  // reads could not be committed: poll again and see the error).
  [[nodiscard]] bool arm_interrupts() noexcept;
  bool poll_mode() const noexcept { return poll_mode_; }

  // ---- State, for everyone ------------------------------------------------
  std::uint32_t relid() const noexcept { return config_.relid; }
  std::optional<std::uint8_t> monitor_id() const noexcept { return config_.monitor_id; }
  bool monitored() const noexcept { return config_.monitor_id.has_value(); }
  bool rescinded() const noexcept { return rescinded_.load(std::memory_order_acquire); }
  const ChannelCounters& counters() const noexcept { return *counters_; }
  ChannelRingState ring_state() const noexcept;

  // For Device: the host took the channel (or the device) away. Sends fail
  // with Errc::rescinded from then on; receives once the ring is drained.
  void mark_rescinded() noexcept { rescinded_.store(true, std::memory_order_release); }
  // For Device: interrupts seen on the device's fd.
  void count_interrupts(std::uint32_t n) noexcept {
    counters_->interrupts_seen.fetch_add(n, std::memory_order_relaxed);
  }

 private:
  Channel(OutgoingRing tx, IncomingRing rx, Signaller& signaller, ChannelConfig config) noexcept;

  Status signal_host() noexcept;
  // Re-masks after an irqcontrol(1) cleared the mask under a channel in poll
  // mode. Runs on the receiving thread only, so it never races arm_interrupts().
  void remask_if_unmasked() noexcept;
  Error receive_error(Error error) noexcept;

  // Sending thread.
  OutgoingRing tx_;
  std::uint32_t staged_packets_ = 0;
  std::uint64_t staged_bytes_ = 0;
  // Receiving thread.
  IncomingRing rx_;
  bool poll_mode_ = true;
  std::uint64_t seen_epoch_ = 0;
  // Read-mostly, shared.
  alignas(64) Signaller* signaller_;
  ChannelConfig config_;
  std::atomic<bool> rescinded_{false};
  ChannelCounters* counters_;                     // config_.counters, or own_counters_
  std::unique_ptr<ChannelCounters> own_counters_;
};

}  // namespace vmbus
