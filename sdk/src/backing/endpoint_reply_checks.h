// File: src/backing/endpoint_reply_checks.h (internal)
//
// Checks of what an endpoint server hands over in its DeviceReply, shared by
// the SDK's SocketEndpointBacking and hvsim's uio preload shim (which cannot
// link the SDK's classes): the server is as untrusted as the host.
// noexcept and allocation-free, so the shim may call them inside its hooks.
//
// Usage:
//   if (!vmbus::detail::valid_map_name(reply.maps[k])) ...;
//   if (!vmbus::detail::is_eventfd(fds[reply.map_count])) ...;
#pragma once

#include "vmbus/backing/endpoint_protocol.h"

namespace vmbus::detail {

// A map name: NUL-terminated inside its kMapNameSize bytes, non-empty, printable.
bool valid_map_name(const endpoint::MapInfo& map) noexcept;

// An eventfd is an anonymous inode whose /proc/self/fd link reads
// "anon_inode:[eventfd]". Without /proc, anything that is neither a file nor
// a socket (those would be the server's mistake we can name).
bool is_eventfd(int fd) noexcept;

}  // namespace vmbus::detail
