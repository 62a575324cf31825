// File: daemon/src/ring_probe.h
//
// Reading a channel's ring state the way a monitoring tool must: from the
// memory the data path shares with the host, without a lock and without
// stopping it. The layout is uio_hv_generic's (hv_uio_probe): map 0
// "txrx_rings" holds the guest's TX ring first, then its RX ring, each a
// 4 KiB header page (vmbus/ring/ring_header.h) followed by the data area; a
// subchannel's sysfs "ring" file has the same layout.
//
// Each read takes the 68 header bytes that matter with one pread(2) of the
// shared file (an hvsim ring file or memfd: the same pages the data path
// maps). A pread cannot fault, so a peer that truncates the file under us
// gives an error, not a SIGBUS. A kernel sysfs "ring" attribute has no read
// method, only mmap: it is mapped read-only for the read instead. Either
// way the two indices are two separate 4-byte reads: consistent per field,
// not across fields, which is what a tool needs under traffic.
//
// Nothing read here is trusted: indices outside the data area, or not
// 8-aligned, are reported as they are, with `indices_valid` false and no
// byte counts derived.
//
// Usage:
//   std::optional<ChannelRings> r = read_channel_rings(map0_fd, map0_size);
//   std::optional<ChannelRings> sub = read_ring_file(channel_dir / "ring");
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace vmbusd {

struct RingSnapshot {
  std::uint32_t write_index = 0;
  std::uint32_t read_index = 0;
  std::uint32_t interrupt_mask = 0;
  std::uint32_t pending_send_sz = 0;
  std::uint32_t feature_bits = 0;
  std::uint32_t data_size = 0;
  bool indices_valid = false;        // both indices inside the data area, 8-aligned
  std::uint32_t bytes_to_read = 0;   // hv_get_bytes_to_read (when valid)
  std::uint32_t bytes_to_write = 0;  // hv_get_bytes_to_write (when valid)
};

struct ChannelRings {
  RingSnapshot tx;  // guest -> host
  RingSnapshot rx;  // host -> guest
};

// Both rings of a channel, TX then RX in equal halves of the `bytes` at the
// start of `fd`. nullopt if the size has not that layout or a read fails.
std::optional<ChannelRings> read_channel_rings(int fd, std::size_t bytes) noexcept;
// Both rings from a read-only mapping of the same layout (a kernel uio map
// or ring attribute, which cannot be truncated under the mapping).
std::optional<ChannelRings> decode_channel_rings(const std::byte* base, std::size_t bytes) noexcept;
// A subchannel's ring file (channels/<relid>/ring).
std::optional<ChannelRings> read_ring_file(const std::filesystem::path& file) noexcept;
// The header fields of one ring from its first 68 bytes.
RingSnapshot decode_ring_header(const std::byte* header, std::uint32_t data_size) noexcept;

}  // namespace vmbusd
