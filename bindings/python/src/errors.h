// File: bindings/python/src/errors.h
//
// Raising the package's exceptions (vmbus/_errors.py) from C++: vmbus.Error
// with an errno and a message, vmbus.Rescinded when the host took the device
// away. The SDK's vmbus::Error and KVP's PoolError map to the errno values
// the C ABI uses (bindings/c/src/errors.cc), so both bindings agree.
// Every function here needs the GIL and throws py::error_already_set.
//
// Usage:
//   vmbus::Status s = channel.flush();
//   vmbus_py::check(s, "Channel.flush");   // raises Rescinded, Error(EBADMSG)...
//   vmbus_py::raise_error(EBADF, "Channel.send: the device is closed");
#pragma once

#include <string>

#include "common.h"
#include "kvp/pool/pool_error.h"
#include "vmbus/result.h"

namespace vmbus_py {

// vmbus.Error(errno_value, message).
[[noreturn]] void raise_error(int errno_value, const std::string& message);
// vmbus.Rescinded(ENODEV, message).
[[noreturn]] void raise_rescinded(const std::string& message);
// TimeoutError(ETIMEDOUT, message): a send that found no room in time.
[[noreturn]] void raise_timeout(const std::string& message);
// TypeError(message).
[[noreturn]] void raise_type_error(const std::string& message);

// The SDK's error: Rescinded for Errc::rescinded, else vmbus.Error with the
// C ABI's errno; the message is "`what`: <the SDK's text>".
[[noreturn]] void raise_sdk_error(const vmbus::Error& error, const std::string& what);
inline void check(const vmbus::Status& status, const char* what) {
  if (!status) raise_sdk_error(status.error(), what);
}
// KVP's pool errors: EINVAL, E2BIG, EBADMSG, or the system call's errno.
[[noreturn]] void raise_pool_error(const kvp::pool::PoolError& error, const std::string& what);

// "Device.send: the device is closed": vmbus.Error(EBADF).
[[noreturn]] void raise_closed(const char* what, const char* thing);

}  // namespace vmbus_py
