// File: daemon/src/control_error.h
//
// The errors vmbusd's control plane reports, each mapped to one gRPC status
// code by the service layer (control_service.cc). The message says what was
// wrong and what to do, for a person at vmbusctl.
//
// Usage:
//   throw ControlError(ControlCode::not_found, "no VMBus device " + id + " (vmbusctl devices lists them)");
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace vmbusd {

enum class ControlCode {
  invalid_argument,     // a malformed GUID, relid 0, ...
  not_found,            // no such device, channel or lease
  failed_precondition,  // leased, not claimed, a claim step failed, ...
  permission_denied,    // a change asked on the reader socket
  unavailable,          // shutting down
  internal,             // a bug: never expected
};

struct ControlError : std::runtime_error {
  ControlError(ControlCode c, const std::string& message) : std::runtime_error(message), code(c) {}
  ControlCode code;
};

// strerror's text for `e`, for the messages above: "Permission denied".
inline std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

}  // namespace vmbusd
