// File: src/device/file_watch.h (internal)
//
// Waiting for a sysfs file the kernel creates late: a subchannel's
// channels/<relid>/ring appears after the host offers the subchannel and
// uio_hv_generic opens it (hv_uio_new_channel), and kernel f31fe8165d36
// ("Fix sysfs creation path for ring buffer") tells user space to use
// inotify for it. DPDK instead retries ENOENT 1000 x 10 ms.
//
// This does both: an inotify watch on the deepest directory of the path that
// exists (moving down as directories appear), so a file created on tmpfs
// (hvsim) wakes it at once, plus a re-check every 50 ms, because kernfs
// creating an attribute does not promise an inotify event. It stops early if
// the device directory goes away (the device was rescinded).
//
// Usage:
//   auto r = vmbus::detail::wait_for_file(dir / "channels/15/ring", dir, deadline);
//   if (r != vmbus::detail::WaitResult::appeared) ...;
#pragma once

#include <chrono>
#include <filesystem>

namespace vmbus::detail {

enum class WaitResult { appeared, timed_out, device_gone };

// `file` must lie inside `device_dir`.
WaitResult wait_for_file(const std::filesystem::path& file, const std::filesystem::path& device_dir,
                         std::chrono::steady_clock::time_point deadline);

}  // namespace vmbus::detail
