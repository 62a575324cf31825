// RSS NDIS objects: the capabilities query and answer, and the parameters
// with their indirection table and key.
#include "netvsc/protocol/ndis_rss.h"

#include "ndis_object_check.h"

namespace netvsc::ndis {
namespace {

constexpr bool power_of_two(std::uint32_t n) noexcept { return n != 0 && (n & (n - 1)) == 0; }

// A (offset, size) region of the parameters buffer: past the object's own
// header (`object_size` bytes) and inside the buffer.
ParseStatus check_region(std::uint32_t offset, std::uint32_t size, std::uint16_t object_size, std::size_t limit,
                         Field offset_field, Field size_field) noexcept {
  if (offset < object_size) return ParseError{offset_field, Violation::below_minimum, offset};
  if (std::uint64_t{offset} + size > 0xffffffffu) return ParseError{offset_field, Violation::overflow, offset};
  if (offset > limit) return ParseError{offset_field, Violation::out_of_bounds, offset};
  if (size > limit - offset) return ParseError{size_field, Violation::out_of_bounds, size};
  return {};
}

}  // namespace

vmbus::Result<std::uint32_t> write_rss_capabilities_query(std::span<std::byte> out) noexcept {
  return internal::write_query_object({kObjectTypeRssCapabilities, kRssCapabilitiesRevision2, kRssCapabilitiesSize}, out);
}

ParseResult<RssCapabilities> parse_rss_capabilities(std::span<const std::byte> info) noexcept {
  auto size = internal::check_object(info, kObjectTypeRssCapabilities, kRssCapabilitiesSize6_0);
  if (!size) return size.error();
  return internal::copy_object<RssCapabilities>(info, *size);
}

vmbus::Result<std::uint32_t> write_rss_parameters(std::uint16_t flags, std::uint32_t hashinfo,
                                                  std::span<const std::uint8_t> key,
                                                  std::span<const std::uint32_t> table,
                                                  std::span<std::byte> out) noexcept {
  if (table.size() > kRssTableMaxEntries || (!table.empty() && !power_of_two(static_cast<std::uint32_t>(table.size())))) {
    return vmbus::Error{vmbus::Errc::invalid_argument, table.size()};
  }
  if (key.size() > kRssKeyMaxSize) return vmbus::Error{vmbus::Errc::invalid_argument, key.size()};
  const auto entries = static_cast<std::uint32_t>(table.size());
  const auto key_size = static_cast<std::uint32_t>(key.size());
  const std::uint32_t total = rss_parameters_size(entries, key_size);
  if (out.size() < total) return vmbus::Error{vmbus::Errc::buffer_too_small, total};

  // rndis_set_rss_param_msg / hn_rndis_conf_rss: table right after the
  // struct, key right after the table; sizes in bytes.
  RssParameters p{};
  p.header = {kObjectTypeRssParameters, kRssParametersRevision2, kRssParametersSize};
  p.flag = flags;
  p.hashinfo = hashinfo;
  p.indirect_tabsize = static_cast<std::uint16_t>(entries * 4u);
  p.indirect_taboffset = kRssParametersSize;
  p.hashkey_size = static_cast<std::uint16_t>(key_size);
  p.hashkey_offset = kRssParametersSize + entries * 4u;
  wire::store(out, 0, p);
  for (std::uint32_t i = 0; i < entries; ++i) wire::store(out, p.indirect_taboffset + i * 4u, table[i]);
  if (key_size != 0) std::memcpy(out.data() + p.hashkey_offset, key.data(), key_size);
  return total;
}

ParseResult<RssSettings> parse_rss_parameters(std::span<const std::byte> info) noexcept {
  auto size = internal::check_object(info, kObjectTypeRssParameters, kRssParametersSize6_0);
  if (!size) return size.error();
  const auto p = internal::copy_object<RssParameters>(info, *size);

  RssSettings s;
  s.flags = p.flag;
  s.hashinfo = p.hashinfo;
  if (p.indirect_tabsize != 0) {
    if ((p.indirect_tabsize & 3u) != 0) return ParseError{Field::rss_table_size, Violation::misaligned, p.indirect_tabsize};
    const std::uint32_t entries = p.indirect_tabsize / 4u;
    if (entries > kRssTableMaxEntries || !power_of_two(entries)) {
      return ParseError{Field::rss_table_size, Violation::unexpected_value, p.indirect_tabsize};
    }
    if (auto r = check_region(p.indirect_taboffset, p.indirect_tabsize, *size, info.size(), Field::rss_table_offset,
                              Field::rss_table_size);
        !r) {
      return r.error();
    }
    s.table_entries = entries;
    for (std::uint32_t i = 0; i < entries; ++i) {
      s.table_storage[i] = wire::load<std::uint32_t>(info, std::size_t{p.indirect_taboffset} + i * 4u);
    }
  }
  if (p.hashkey_size != 0) {
    if (p.hashkey_size > kRssKeyMaxSize) return ParseError{Field::rss_key_size, Violation::unexpected_value, p.hashkey_size};
    if (auto r = check_region(p.hashkey_offset, p.hashkey_size, *size, info.size(), Field::rss_key_offset,
                              Field::rss_key_size);
        !r) {
      return r.error();
    }
    s.key_size = p.hashkey_size;
    std::memcpy(s.key_storage.data(), info.data() + p.hashkey_offset, p.hashkey_size);
  }
  return s;
}

}  // namespace netvsc::ndis
