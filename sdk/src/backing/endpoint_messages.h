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

namespace vmbus::detail {

template <typename T>
std::span<const std::byte> bytes_of(const T& value) noexcept {
  return std::as_bytes(std::span<const T, 1>(&value, 1));
}

// The caller has checked bytes.size() >= sizeof(T).
template <typename T>
T load(std::span<const std::byte> bytes) noexcept {
  T value;
  std::memcpy(&value, bytes.data(), sizeof value);
  return value;
}

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
