// File: netvsc/port_resources.h
//
// What a netvsc port runs on, gathered in one struct: the primary channel,
// the receive and send buffers the host was given by GPADL, a way to get DMA
// memory, and a way to open subchannel i. Port::open(vmbus::Device&) fills it
// from a Device (uio maps 3 and 4, Device::allocate_dma,
// Device::open_subchannel); open it yourself to run a port on channels you
// attached another way (a test's rings in plain memory, a future backing).
//
// Usage:
//   netvsc::PortResources r;
//   r.primary = &channel;
//   r.recv_buffer = recv_memory;  r.recv_gpadl = 0x1234;
//   r.send_buffer = send_memory;  r.send_gpadl = 0x1235;
//   r.allocate_dma = [&](std::size_t n) { return make_dma(n); };
//   auto port = netvsc::Port::open(std::move(r), netvsc::PortConfig{});
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "vmbus/channel/channel.h"
#include "vmbus/device/dma_region.h"

namespace netvsc {

struct PortResources {
  vmbus::Channel* primary = nullptr;  // queue 0; must outlive the port
  std::span<std::byte> recv_buffer;   // shared with the host (uio map 3)
  std::uint32_t recv_gpadl = 0;
  std::span<std::byte> send_buffer;   // shared with the host (uio map 4)
  std::uint32_t send_gpadl = 0;
  // At least `bytes` of memory the host reaches by GPA. Throws on failure.
  std::function<vmbus::DmaRegion(std::size_t bytes)> allocate_dma;
  // The channel the host offered as subchannel `subchannel_id` (1..n) after
  // NVSP SUBCHANNEL, waiting up to the timeout. Throws on failure. Empty: the
  // port has one queue.
  std::function<vmbus::Channel&(std::uint16_t subchannel_id, std::chrono::milliseconds timeout)> open_subchannel;
};

}  // namespace netvsc
