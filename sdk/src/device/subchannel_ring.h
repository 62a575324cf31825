// File: src/device/subchannel_ring.h (internal)
//
// Maps a subchannel's ring file, <device>/channels/<relid>/ring, the way
// uio_hv_generic serves it (hv_uio_ring_mmap) and DPDK maps it
// (vmbus_uio_map_subchan): the whole file at offset 0, TX ring in the first
// half, RX ring in the second. The size comes from fstat, never a constant:
// it was a fixed 2 * SZ_2M until 65995e97a1ca (~6.15) and is the real size
// since. mmap fails with ENODEV until the channel is opened; that is retried
// until the deadline, since the file can appear before the open completes.
//
// Usage:
//   vmbus::MappedRegion ring = vmbus::detail::map_ring_file(dir / "channels/15/ring", deadline);
//   auto tx = std::span(ring.data(), ring.size() / 2);
#pragma once

#include <chrono>
#include <filesystem>

#include "vmbus/backing/device_backing.h"

namespace vmbus::detail {

// Throws DeviceError naming `ring_file`: not openable (permission: the file
// is 0600, root's), its size zero, odd or not 4 KiB per half, or mmap failing.
MappedRegion map_ring_file(const std::filesystem::path& ring_file, std::chrono::steady_clock::time_point deadline);

}  // namespace vmbus::detail
