// File: sim/hosts/netvsc/frame_backend.h
//
// Where the NIC's frames go and come from: the far side of the virtual
// switch port. The NIC host hands every frame the guest sends to
// transmit(); frames for the guest come back through a FrameSink, either
// at once (loopback) or from poll() on the host service thread (source, tap).
// Backends (nic "backend" in the config):
//   loopback  every frame comes back to the guest, on its flow's queue
//   sink      counts and drops
//   source    generates frames of a set size at a set rate, TCP flows that
//             RSS spreads over every queue
//   tap       a Linux TAP interface: frames to and from the kernel
//
// Usage:
//   std::unique_ptr<FrameBackend> b = make_frame_backend(spec.nic, spec.nic.mac, log);
//   b->transmit(frame, meta, sink);  // guest -> wire
//   b->poll(sink);                   // wire -> guest, once per host pass
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "hvsim/config.h"
#include "hvsim/log.h"

namespace hvsim::netvsc {

// Offload metadata that travels with a frame (from the guest's PPIs, or
// decided by the backend).
struct FrameMeta {
  std::optional<std::uint32_t> vlan;  // ppi::vlan_info encoding
  bool checksum_offloaded = false;    // the guest asked for checksums: report them good on receive
};

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // A frame for the guest. `may_wait`: keep it in the host's backlog when no
  // receive slot is free (loopback's backpressure) instead of dropping it.
  // False if it was dropped (counted by the NIC).
  virtual bool receive(std::span<const std::byte> frame, const FrameMeta& meta, bool may_wait) noexcept = 0;
};

class FrameBackend {
 public:
  virtual ~FrameBackend() = default;
  virtual std::string_view name() const noexcept = 0;
  // A frame from the guest. False if the backend dropped it.
  virtual bool transmit(std::span<const std::byte> frame, const FrameMeta& meta, FrameSink& sink) noexcept = 0;
  // Frames for the guest, once per pass of the host service thread.
  virtual void poll(FrameSink& sink) noexcept { (void)sink; }
  // How often poll() must run without guest traffic (0: no need).
  virtual std::uint32_t poll_interval_us() const noexcept { return 0; }
};

// Throws nothing: a TAP that cannot be opened logs why and drops frames.
std::unique_ptr<FrameBackend> make_frame_backend(const NicConfig& config, const Logger& log);
std::unique_ptr<FrameBackend> make_tap_backend(const NicConfig& config, const Logger& log);

}  // namespace hvsim::netvsc
