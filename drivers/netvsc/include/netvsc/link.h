// File: netvsc/link.h
//
// Link state of a netvsc port: media connected or not, speed, MTU. The port
// reads it at open (OID_GEN_MEDIA_CONNECT_STATUS, OID_GEN_LINK_SPEED,
// OID_GEN_MAXIMUM_FRAME_SIZE) and then follows the host's RNDIS
// INDICATE_STATUS messages: MEDIA_CONNECT, MEDIA_DISCONNECT and
// LINK_SPEED_CHANGE (Linux netvsc_linkstatus_callback; DPDK
// hn_rndis_link_status). Speeds on the wire are in 100 bps units; here bps.
//
// Usage:
//   config.on_link_change = [](const netvsc::LinkEvent& e) {
//     std::printf("link %s %llu Mb/s\n", e.state.up ? "up" : "down",
//                 (unsigned long long)(e.state.speed_bps / 1000000));
//   };
//   netvsc::LinkState now = port->link();
#pragma once

#include <cstdint>
#include <functional>

namespace netvsc {

struct LinkState {
  bool up = false;
  std::uint64_t speed_bps = 0;
  std::uint32_t mtu = 0;  // the host's maximum frame size (without the Ethernet header)
};

enum class LinkEventKind : std::uint8_t { connected, disconnected, speed_changed };

struct LinkEvent {
  LinkEventKind kind;
  LinkState state;  // after the event
  std::uint16_t queue;  // the queue whose burst processed the indication
};

// Called on the thread that processed the indication (a burst of `queue`,
// or Port::open). Keep it short; it must not call back into that queue.
using LinkCallback = std::function<void(const LinkEvent&)>;

}  // namespace netvsc
