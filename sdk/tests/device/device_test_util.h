// Small helpers the device tests share: a Guid from a literal the test
// knows to be well formed, and the text of the DeviceError a call throws.
//
// Usage:
//   const vmbus::Guid nic = vmbus::test::guid(kNic1);
//   const std::string e = vmbus::test::error_of([&] { (void)vmbus::sysfs::read_decimal(file); });
#pragma once

#include <string>

#include "vmbus/backing/device_backing.h"
#include "vmbus/device/guid.h"

namespace vmbus::test {

inline Guid guid(const char* text) { return Guid::parse(text).value(); }

// The DeviceError's text, or "no error" if `f` returned.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const DeviceError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace vmbus::test
