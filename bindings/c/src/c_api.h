// File: bindings/c/src/c_api.h
//
// What every entry point of the C ABI shares: the handle structs behind
// vmbus_c/vmbus.h's opaque types, and guarded(), which runs an entry point's
// body so that no C++ exception crosses the C boundary (each becomes a
// negative errno, its text the thread's vmbus_last_error()).
//
// Usage:
//   int vmbus_x(vmbus_device* d) {
//     return vmbus_c::guarded("vmbus_x", [&] {
//       if (!d) return vmbus_c::fail(-EINVAL, "vmbus_x: device is NULL");
//       return vmbus_c::from_status(d->device->channel(0).flush(), "vmbus_x");
//     });
//   }
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kvp/pool/pool_error.h"
#include "kvp/service.h"
#include "netvsc/port.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/channel/channel.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"
#include "vmbus/device/device_info.h"
#include "vmbus/device/sysfs.h"
#include "vmbus/result.h"
#include "vmbus_c/vmbus.h"

struct vmbus_bus {
  vmbus::SysfsRoot root;
  std::string root_text;
  std::vector<vmbus::DeviceInfo> scanned;
};

struct vmbus_channel {
  vmbus::Channel* channel = nullptr;
};

struct vmbus_device {
  std::optional<vmbus::Claim> claim;  // declared first: released last
  std::unique_ptr<vmbus::Device> device;
  std::string instance;
  std::string description;
  // One handle per channel, stable for the device's lifetime.
  std::vector<std::unique_ptr<vmbus_channel>> channels;
};

struct vmbus_netvsc_port {
  netvsc::OpenedPort opened;
};

struct vmbus_kvp_service {
  std::optional<vmbus::Claim> claim;
  std::unique_ptr<kvp::Service> service;
};

namespace vmbus_c {

// Records `message` as this thread's last error and returns `code` (< 0).
int fail(int code, const std::string& message) noexcept;

// vmbus::Errc as a negative errno (see vmbus.h's table); the message names
// `what` and the SDK's text.
int from_error(const vmbus::Error& error, const char* what) noexcept;
inline int from_status(const vmbus::Status& status, const char* what) noexcept {
  return status ? 0 : from_error(status.error(), what);
}
int from_pool_error(const kvp::pool::PoolError& error, const char* what) noexcept;

// The exception being handled as a negative errno and message.
int from_current_exception(const char* what) noexcept;

// Runs `body` (which returns int); any exception becomes a negative errno.
template <typename Body>
int guarded(const char* what, Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return from_current_exception(what);
  }
}

// The options struct the caller passed, as a zero-defaulted full struct: the
// library reads only the fields `given->struct_size` covers (vmbus.h, "Growing
// structs"). False (and the last error set) if the size is below version 1's.
template <typename T>
bool read_options(const T* given, std::size_t version1_size, T& out, const char* what) noexcept {
  out = T{};
  out.struct_size = sizeof(T);
  if (given == nullptr) return true;
  if (given->struct_size < version1_size) {
    fail(-EINVAL, std::string(what) + ": struct_size " + std::to_string(given->struct_size) +
                      " is smaller than version 1's " + std::to_string(version1_size));
    return false;
  }
  std::memcpy(static_cast<void*>(&out), given, std::min<std::size_t>(given->struct_size, sizeof(T)));
  out.struct_size = sizeof(T);
  return true;
}

// Copies `full` into the caller's output struct, only as far as its
// struct_size covers. -EINVAL if that is below version 1's.
template <typename T>
int write_output(T* out, const T& full, std::size_t version1_size, const char* what) noexcept {
  if (out == nullptr) return fail(-EINVAL, std::string(what) + ": the output struct is NULL");
  const std::uint32_t size = out->struct_size;
  if (size < version1_size) {
    return fail(-EINVAL, std::string(what) + ": struct_size " + std::to_string(size) +
                             " is smaller than version 1's " + std::to_string(version1_size));
  }
  std::memcpy(static_cast<void*>(out), &full, std::min<std::size_t>(size, sizeof(T)));
  out->struct_size = size;
  return 0;
}

// Copies `text` into a fixed char array, cut to fit, NUL-terminated.
template <std::size_t N>
void copy_text(char (&dst)[N], const std::string& text) noexcept {
  const std::size_t n = std::min(text.size(), N - 1);
  std::memcpy(dst, text.data(), n);
  dst[n] = '\0';
}

// Finds the device `selector` names (-ENODEV if none or several) and claims
// it for uio_hv_generic unless `flags` has VMBUS_OPEN_NO_CLAIM. On success
// `claim` holds the claim (inactive with NO_CLAIM) and `info` the device as
// bound. Throws only what the claim throws.
int find_and_claim(const vmbus_bus* bus, const char* selector, std::uint32_t flags, std::uint32_t timeout_ms,
                   std::optional<vmbus::Claim>& claim, vmbus::DeviceInfo& info, const char* what);

}  // namespace vmbus_c
