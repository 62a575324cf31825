// Internal: the checks every NDIS object in an information buffer gets
// (rndis_query_hwcaps; DPDK hn_rndis_query_hwcaps / _rsscaps), and copying
// an object whose peer may have sent fewer bytes than our struct holds.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "netvsc/protocol/ndis_offload.h"
#include "netvsc/protocol/parse_error.h"
#include "netvsc/protocol/wire.h"

namespace netvsc::ndis::internal {

// Type as expected, revision >= 1, size in [min_size, info.size()].
// Returns the header's size.
inline ParseResult<std::uint16_t> check_object(std::span<const std::byte> info, std::uint8_t type,
                                               std::uint16_t min_size) noexcept {
  if (info.size() < sizeof(ObjectHeader)) return ParseError{Field::ndis_object_type, Violation::too_short, info.size()};
  const auto h = wire::load<ObjectHeader>(info);
  if (h.type != type) return ParseError{Field::ndis_object_type, Violation::unexpected_value, h.type};
  if (h.revision < 1) return ParseError{Field::ndis_object_revision, Violation::below_minimum, h.revision};
  if (h.size < min_size) return ParseError{Field::ndis_object_size, Violation::below_minimum, h.size};
  if (h.size > info.size()) return ParseError{Field::ndis_object_size, Violation::out_of_bounds, h.size};
  return h.size;
}

// The first min(size, sizeof(T)) bytes of the object into a zeroed T.
template <typename T>
T copy_object(std::span<const std::byte> info, std::uint16_t size) noexcept {
  T value{};
  std::memcpy(&value, info.data(), std::min<std::size_t>(size, sizeof value));
  return value;
}

// A header followed by zeros up to `size`, for a query's input buffer.
inline vmbus::Result<std::uint32_t> write_query_object(ObjectHeader h, std::span<std::byte> out) noexcept {
  if (out.size() < h.size) return vmbus::Error{vmbus::Errc::buffer_too_small, h.size};
  std::memset(out.data(), 0, h.size);
  wire::store(out, 0, h);
  return std::uint32_t{h.size};
}

}  // namespace netvsc::ndis::internal
