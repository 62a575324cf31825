// Ring headers read from shared files without a lock (ring_probe.h).
#include "ring_probe.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "vmbus/ring/ring_header.h"

namespace vmbusd {
namespace {

// write_index .. feature_bits: the part of the header a tool shows.
constexpr std::size_t kHeaderBytes = offsetof(vmbus::RingHeader, feature_bits) + 4;

std::uint32_t field(const std::byte* header, std::size_t offset) noexcept {
  std::uint32_t v;
  std::memcpy(&v, header + offset, sizeof v);
  return v;
}

bool ring_size_ok(std::size_t ring_bytes) noexcept {
  return ring_bytes > vmbus::kRingHeaderSize && ring_bytes - vmbus::kRingHeaderSize <= vmbus::kRingMaxDataSize;
}

}  // namespace

RingSnapshot decode_ring_header(const std::byte* header, std::uint32_t data_size) noexcept {
  RingSnapshot s;
  s.data_size = data_size;
  s.write_index = field(header, offsetof(vmbus::RingHeader, write_index));
  s.read_index = field(header, offsetof(vmbus::RingHeader, read_index));
  s.interrupt_mask = field(header, offsetof(vmbus::RingHeader, interrupt_mask));
  s.pending_send_sz = field(header, offsetof(vmbus::RingHeader, pending_send_sz));
  s.feature_bits = field(header, offsetof(vmbus::RingHeader, feature_bits));
  s.indices_valid = s.write_index < data_size && s.read_index < data_size && s.write_index % 8 == 0 &&
                    s.read_index % 8 == 0;
  if (s.indices_valid) {
    // hv_get_bytes_to_read / hv_get_bytes_to_write: equal indices mean empty.
    s.bytes_to_read = s.write_index >= s.read_index ? s.write_index - s.read_index
                                                     : data_size - s.read_index + s.write_index;
    s.bytes_to_write = data_size - s.bytes_to_read;
  }
  return s;
}

std::optional<ChannelRings> read_channel_rings(int fd, std::size_t bytes) noexcept {
  if (bytes % 2 != 0 || !ring_size_ok(bytes / 2)) return std::nullopt;
  const std::size_t half = bytes / 2;
  const auto data_size = static_cast<std::uint32_t>(half - vmbus::kRingHeaderSize);
  std::byte tx[kHeaderBytes], rx[kHeaderBytes];
  if (::pread(fd, tx, sizeof tx, 0) != static_cast<ssize_t>(sizeof tx) ||
      ::pread(fd, rx, sizeof rx, static_cast<off_t>(half)) != static_cast<ssize_t>(sizeof rx)) {
    return std::nullopt;
  }
  return ChannelRings{decode_ring_header(tx, data_size), decode_ring_header(rx, data_size)};
}

std::optional<ChannelRings> decode_channel_rings(const std::byte* base, std::size_t bytes) noexcept {
  if (base == nullptr || bytes % 2 != 0 || !ring_size_ok(bytes / 2)) return std::nullopt;
  const auto data_size = static_cast<std::uint32_t>(bytes / 2 - vmbus::kRingHeaderSize);
  return ChannelRings{decode_ring_header(base, data_size), decode_ring_header(base + bytes / 2, data_size)};
}

std::optional<ChannelRings> read_ring_file(const std::filesystem::path& file) noexcept {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<ChannelRings> rings;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    const auto size = static_cast<std::size_t>(st.st_size);
    rings = read_channel_rings(fd, size);
    if (!rings && size % 2 == 0 && ring_size_ok(size / 2)) {
      // A kernel ring attribute: mmap only (hv_uio_ring_mmap).
      void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (map != MAP_FAILED) {
        rings = decode_channel_rings(static_cast<const std::byte*>(map), size);
        ::munmap(map, size);
      }
    }
  }
  ::close(fd);
  return rings;
}

}  // namespace vmbusd
