// Task-offload NDIS objects: the capabilities query and answer, and the
// offload parameters.
#include "netvsc/protocol/ndis_offload.h"

#include "ndis_object_check.h"

namespace netvsc::ndis {

ObjectHeader offload_query_header(nvsp::Version v) noexcept {
  // rndis_filter_query_device, OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES.
  if (nvsp::at_least(v, nvsp::Version::v5)) return {kObjectTypeOffload, kOffloadRevision3, kOffloadSize};
  if (nvsp::at_least(v, nvsp::Version::v4)) return {kObjectTypeOffload, kOffloadRevision2, kOffloadSize6_1};
  return {kObjectTypeOffload, kOffloadRevision1, kOffloadSize6_0};
}

vmbus::Result<std::uint32_t> write_offload_query(nvsp::Version v, std::span<std::byte> out) noexcept {
  return internal::write_query_object(offload_query_header(v), out);
}

ParseResult<Offload> parse_offload(std::span<const std::byte> info) noexcept {
  auto size = internal::check_object(info, kObjectTypeOffload, kOffloadSize6_0);
  if (!size) return size.error();
  return internal::copy_object<Offload>(info, *size);
}

vmbus::Result<std::uint32_t> write_offload_parameters(const OffloadParameters& params, nvsp::Version v,
                                                      std::span<std::byte> out) noexcept {
  OffloadParameters p = params;
  const bool ndis_6_30 = nvsp::at_least(v, nvsp::Version::v5);
  const std::uint16_t size = ndis_6_30 ? kOffloadParametersSize : kOffloadParametersSize6_1;
  p.header = {kObjectTypeDefault, ndis_6_30 ? kOffloadParametersRevision3 : kOffloadParametersRevision2, size};
  p.pad0 = 0;
  p.pad1[0] = p.pad1[1] = 0;
  if (out.size() < size) return vmbus::Error{vmbus::Errc::buffer_too_small, size};
  std::memcpy(out.data(), &p, size);
  return std::uint32_t{size};
}

ParseResult<OffloadParameters> parse_offload_parameters(std::span<const std::byte> info) noexcept {
  auto size = internal::check_object(info, kObjectTypeDefault, kOffloadParametersSize6_1);
  if (!size) return size.error();
  return internal::copy_object<OffloadParameters>(info, *size);
}

}  // namespace netvsc::ndis
