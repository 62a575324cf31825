// File: src/backing/endpoint_messages.h (internal)
//
// Small helpers for the endpoint protocol's messages
// (vmbus/backing/endpoint_protocol.h), shared by the handshake and the
// requests of SocketEndpointBacking: packed structs go in and out of byte
// buffers by memcpy (never by cast: the bytes come from an untrusted peer and
// need not be aligned), and message types have names for error texts.
//
// Usage:
//   send_message(sock, vmbus::detail::bytes_of(hello), {});
//   auto header = vmbus::detail::load<vmbus::endpoint::MessageHeader>(reply);
//   "got " + vmbus::detail::message_type_name(header.type)
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "vmbus/backing/endpoint_protocol.h"
#include "vmbus/wire.h"

namespace vmbus::detail {

// Packed structs in and out of byte buffers by memcpy: vmbus/wire.h. The
// caller checks bytes.size() >= sizeof(T) before load().
using vmbus::wire::bytes_of;
using vmbus::wire::load;

inline std::string message_type_name(std::uint32_t type) {
  using endpoint::MessageType;
  switch (static_cast<MessageType>(type)) {
    case MessageType::hello: return "Hello";
    case MessageType::device_reply: return "DeviceReply";
    case MessageType::irqcontrol: return "IrqControl";
    case MessageType::irqcontrol_result: return "IrqControlResult";
    case MessageType::rescinded: return "Rescinded";
    case MessageType::register_memory: return "RegisterMemory";
    case MessageType::register_memory_result: return "RegisterMemoryResult";
    case MessageType::error: return "ErrorReply";
    case MessageType::share_counters: return "ShareCounters";
  }
  return "unknown message type " + std::to_string(type);
}

}  // namespace vmbus::detail
