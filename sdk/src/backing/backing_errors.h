// File: src/backing/backing_errors.h (internal)
//
// The set-up error texts of the backings and Device, in one place so that the
// same failure reads the same everywhere: the file first, then what is wrong,
// then what to do. All throw vmbus::DeviceError.
//
// Usage:
//   int fd = ::open(node.c_str(), O_RDWR | O_CLOEXEC);
//   if (fd < 0) vmbus::detail::throw_open_error(node, errno);
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace vmbus::detail {

// strerror text with the errno name: "Permission denied (errno 13)".
std::string errno_text(int err);

// Opening, connecting to or stat'ing a device node failed with `err`:
//   ENOENT        "<path> does not exist: is the device bound to uio_hv_generic? (vmbus claim)"
//   EACCES, EPERM "<path>: permission denied: run as root or ..."
//   ECONNREFUSED  "<path>: no server is listening: is hvsim (or vmbusd) running?"
//   other         "<path>: cannot open: <strerror>"
[[noreturn]] void throw_open_error(const std::filesystem::path& path, int err);

// "<file>: <detail>" and "<what>: <detail>", as a DeviceError.
[[noreturn]] void throw_file_error(const std::filesystem::path& file, std::string_view detail);
[[noreturn]] void throw_device_error(std::string_view what, std::string_view detail);

}  // namespace vmbus::detail
