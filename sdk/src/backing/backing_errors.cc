// Set-up error texts shared by the backings and Device.
#include "backing_errors.h"

#include <cerrno>
#include <cstring>

#include "vmbus/backing/device_backing.h"

namespace vmbus::detail {

std::string errno_text(int err) {
  return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")";
}

void throw_open_error(const std::filesystem::path& path, int err) {
  const std::string p = path.string();
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      throw DeviceError(p + " does not exist: is the device bound to uio_hv_generic? (vmbus claim <device>)");
    case EACCES:
    case EPERM:
      throw DeviceError(p + ": permission denied: run as root or give this user read-write access to it "
                            "(a udev rule, or a lease from vmbusd)");
    case ECONNREFUSED:
      throw DeviceError(p + ": no server is listening on this endpoint: is hvsim (or vmbusd) running?");
    case ENODEV:
    case ENXIO:
      throw DeviceError(p + ": the device behind this node is gone (rescinded or unbound): " + errno_text(err));
    default:
      throw DeviceError(p + ": cannot open: " + errno_text(err));
  }
}

void throw_file_error(const std::filesystem::path& file, std::string_view detail) {
  throw_device_error(file.string(), detail);
}

void throw_device_error(std::string_view what, std::string_view detail) {
  std::string text(what);
  text += ": ";
  text += detail;
  throw DeviceError(text);
}

}  // namespace vmbus::detail
