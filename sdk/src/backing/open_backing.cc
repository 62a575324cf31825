// open_backing: which provider a device node is, by its file type.
//   character device -> the kernel's /dev/uioN (KernelUioBacking)
//   UNIX socket      -> an hvsim endpoint or a vmbusd lease (SocketEndpointBacking)
// The caller never needs to know which it got (vmbus/backing/device_backing.h).
#include <sys/stat.h>

#include <cerrno>
#include <memory>

#include "backing_errors.h"
#include "kernel_uio_backing.h"
#include "socket_endpoint_backing.h"
#include "vmbus/backing/device_backing.h"

namespace vmbus {

std::unique_ptr<DeviceBacking> open_backing(const std::filesystem::path& device_node) {
  struct stat st {};
  // stat, not lstat: /dev/uioN may be reached through a udev symlink.
  if (::stat(device_node.c_str(), &st) < 0) detail::throw_open_error(device_node, errno);
  if (S_ISCHR(st.st_mode)) return std::make_unique<detail::KernelUioBacking>(device_node);
  if (S_ISSOCK(st.st_mode)) return std::make_unique<detail::SocketEndpointBacking>(device_node);
  const char* kind = S_ISREG(st.st_mode)   ? "a regular file"
                     : S_ISDIR(st.st_mode) ? "a directory"
                     : S_ISFIFO(st.st_mode) ? "a FIFO"
                     : S_ISBLK(st.st_mode) ? "a block device"
                                           : "of an unknown file type";
  detail::throw_file_error(device_node, std::string("is ") + kind +
                                              ", expected a character device (the kernel's uio) or a UNIX "
                                              "socket (an hvsim endpoint or a vmbusd lease)");
}

}  // namespace vmbus
