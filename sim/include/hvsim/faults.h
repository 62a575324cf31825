// File: hvsim/faults.h
//
// Fault injection: hvsim misbehaving on purpose, the way a slow, lossy or
// broken host would, so a guest driver's handling of it can be tested.
// A fault is armed on one channel of a device (`hvsim ctl fault`, or
// Simulator::inject_fault) and fires on that channel's host service thread
// the next `count` times its moment comes:
//
//   delay-reply MS      the host sleeps MS before handling the guest's next
//                       packet: a slow VSP (DPDK waits up to 60 s for one)
//   drop-signal         the host ignores the guest's next signal, as if it
//                       were lost: nothing is drained until the next one
//   drop-interrupt      the host does not deliver its next interrupt to the
//                       guest: a guest sleeping without a timeout hangs
//   corrupt-rx-index    the host publishes an out-of-range write_index in the
//                       guest's RX ring instead of its next commit, then
//                       stops serving the channel (a broken host)
//   corrupt-tx-index    the host publishes a misaligned read_index in the
//                       guest's TX ring when it next drains, then stops
//   corrupt-length      the next packet the host sends says its length is
//                       larger than what the ring holds (len8 = 0xffff)
//   corrupt-offset      ... says its payload starts past its end (offset8 > len8)
//   corrupt-type        ... has a packet type VMBus does not define (0x77)
//
// Payload faults, for the synthetic NIC's host only ("network" devices
// served by the "netvsc" host; arming one on another device is refused):
// the packet stays well framed, what it says is wrong. Each fires on the
// next message of its kind the NIC host writes on that channel:
//   corrupt-pageset-id    the next transfer-page packet carrying received
//                         frames (type 7) names pageset 0xCAFF, not 0xCAFE
//   corrupt-range-count   ... announces 0 ranges (netvsc_receive: 1..562)
//   corrupt-range-bounds  ... its first range starts at 2 GiB, past any
//                         receive buffer (at most 31 MiB)
//   corrupt-rndis-length  the next received frame's RNDIS msg_len is 8 bytes
//                         more than its range holds
//   corrupt-rndis-packet  the next received frame's REMOTE_NDIS_PACKET_MSG
//                         data_offset = msg_len: the data lies past the message
//   corrupt-completion-id the next SEND_RNDIS_PKT_COMPLETE carries the
//                         bitwise complement of the guest's trans_id: it
//                         names no send, and the send it should have
//                         completed is never completed
// The receive sections of a corrupt transfer-page packet are still the
// guest's to return: the host frees them when the guest completes it.
//
// The guest must report each as an error naming what was wrong, never crash
// or hang. Every fault that fired is counted (Counter::faults_injected) and
// logged.
//
// Threads: arm() from any thread; the take_*() calls from the channel's host
// service thread. Checking for a fault is one relaxed atomic load.
//
// Usage:
//   hvsim::FaultRequest f = hvsim::parse_fault({"delay-reply", "200"});  // throws FaultError
//   sim.inject_fault("echo", f);                                        // its primary channel
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hvsim {

class FaultError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

enum class FaultKind : std::uint8_t {
  delay_reply,
  drop_signal,
  drop_interrupt,
  corrupt_rx_index,
  corrupt_tx_index,
  corrupt_length,
  corrupt_offset,
  corrupt_type,
  // NIC host payload faults (nic_payload_fault()).
  corrupt_pageset_id,
  corrupt_range_count,
  corrupt_range_bounds,
  corrupt_rndis_length,
  corrupt_rndis_packet,
  corrupt_completion_id,
  count_,
};
inline constexpr std::size_t kFaultKinds = static_cast<std::size_t>(FaultKind::count_);

std::string_view fault_name(FaultKind kind);       // "delay-reply", ...
std::optional<FaultKind> find_fault(std::string_view name);
std::string known_fault_names();                   // "delay-reply, drop-signal, ..."
// A fault that corrupts what the synthetic NIC's host sends (NVSP/RNDIS):
// only a device served by the "netvsc" host can fire it.
constexpr bool nic_payload_fault(FaultKind kind) noexcept {
  return kind >= FaultKind::corrupt_pageset_id && kind <= FaultKind::corrupt_completion_id;
}

struct FaultRequest {
  FaultKind kind = FaultKind::drop_signal;
  std::uint32_t count = 1;                 // how many times it fires
  std::uint32_t delay_ms = 0;              // delay-reply only
  std::optional<std::uint32_t> relid;      // nullopt: the device's primary channel
};

inline constexpr std::uint32_t kMaxFaultDelayMs = 60'000;
inline constexpr std::uint32_t kMaxFaultCount = 1'000'000;

// `KIND [MS] [--count N] [--relid R]` as `hvsim ctl fault DEVICE ...` passes
// them. Throws FaultError naming the argument that was wrong.
FaultRequest parse_fault(std::span<const std::string> args);

class ChannelFaults {
 public:
  // Adds `count` firings of the fault (a delay replaces the previous delay).
  void arm(const FaultRequest& request) noexcept;
  // Any fault waiting to fire: the host thread's cheap check.
  bool armed() const noexcept { return armed_.load(std::memory_order_relaxed) != 0; }

  // Host service thread: consumes one firing if there is one.
  bool take(FaultKind kind) noexcept;
  // delay-reply: the milliseconds to sleep, 0 if none is armed.
  std::uint32_t take_delay_ms() noexcept { return take(FaultKind::delay_reply) ? delay_ms_.load(std::memory_order_relaxed) : 0; }
  // The first armed descriptor corruption (length, offset, type), consumed.
  std::optional<FaultKind> take_descriptor_corruption() noexcept;
  // The first of `kinds` that is armed, consumed (the NIC host's payload faults).
  std::optional<FaultKind> take_first(std::span<const FaultKind> kinds) noexcept;
  std::uint32_t remaining(FaultKind kind) const noexcept {
    return remaining_[static_cast<std::size_t>(kind)].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<std::uint32_t>, kFaultKinds> remaining_{};
  std::atomic<std::uint32_t> delay_ms_{0};
  std::atomic<std::uint32_t> armed_{0};  // sum of remaining_
};

}  // namespace hvsim
