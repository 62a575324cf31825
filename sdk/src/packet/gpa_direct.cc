// GPA-direct (type 9) headers: building page-buffer and MPB ranges, and
// validating them on receipt.
#include "vmbus/packet/gpa_direct.h"

#include "vmbus/hv_page.h"

namespace vmbus {

Status GpaDirectHeader::reserve(std::uint64_t pages) noexcept {
  const std::uint64_t total = pages_ + pages;
  // The kernel returns -EINVAL beyond MAX_PAGE_BUFFER_COUNT; we name the count.
  if (total > kMaxPageBufferCount) return Error{Errc::too_many_pages, total};
  return {};
}

Status GpaDirectHeader::add_page(std::uint32_t len, std::uint32_t offset, std::uint64_t pfn) noexcept {
  const std::uint64_t end = std::uint64_t{offset} + len;
  if (len == 0 || end > kHvPageSize) return Error{Errc::invalid_argument, end};
  if (auto s = reserve(1); !s) return s;
  const PageBuffer entry{.len = len, .offset = offset, .pfn = pfn};
  put(&entry, sizeof entry);
  ++ranges_;
  ++pages_;
  return {};
}

Status GpaDirectHeader::add_buffer(std::uint64_t gpa, std::uint32_t len) noexcept {
  if (len == 0) return Error{Errc::invalid_argument, 0};
  const std::uint32_t offset = hv_page_offset(gpa);
  if (auto s = reserve(hv_pages_spanned(offset, len)); !s) return s;
  std::uint64_t at = gpa;
  std::uint32_t left = len;
  while (left != 0) {
    const std::uint32_t in_page = hv_page_offset(at);
    const std::uint32_t chunk = left < kHvPageSize - in_page ? left : kHvPageSize - in_page;
    if (auto s = add_page(chunk, in_page, hv_pfn(at)); !s) return s;
    at += chunk;
    left -= chunk;
  }
  return {};
}

Status GpaDirectHeader::add_range(std::uint32_t len, std::uint32_t offset,
                                  std::span<const std::uint64_t> pfns) noexcept {
  if (len == 0 || offset >= kHvPageSize) return Error{Errc::invalid_argument, offset};
  const std::uint64_t needed = hv_pages_spanned(offset, len);
  if (pfns.size() != needed) return Error{Errc::invalid_argument, needed};
  if (auto s = reserve(needed); !s) return s;
  // struct hv_mpb_array: len, offset, then the frames, packed back to back.
  put(&len, sizeof len);
  put(&offset, sizeof offset);
  put(pfns.data(), pfns.size_bytes());
  ++ranges_;
  pages_ += static_cast<std::uint32_t>(needed);
  return {};
}

std::span<const std::byte> GpaDirectHeader::bytes() noexcept {
  const GpaDirectPrefix prefix{.reserved = 0, .rangecount = ranges_};
  std::memcpy(storage_, &prefix, sizeof prefix);
  return {storage_, size_};
}

Result<GpaDirectPacket> GpaDirectPacket::parse(const IncomingPacket& packet) noexcept {
  if (packet.type != PacketType::data_using_gpa_direct) {
    return Error{Errc::malformed_packet, static_cast<std::uint16_t>(packet.type)};
  }
  const std::span<const std::byte> header = packet.header;
  if (header.size() < sizeof(GpaDirectPrefix)) return Error{Errc::malformed_packet, header.size()};
  GpaDirectPrefix prefix;
  std::memcpy(&prefix, header.data(), sizeof prefix);
  if (prefix.rangecount == 0) return Error{Errc::malformed_packet, offsetof(GpaDirectPrefix, rangecount)};

  // Walk every range once now, so iteration later needs no checks. Each range
  // takes at least 16 bytes, so the loop ends within header.size() / 16 steps.
  std::size_t at = sizeof prefix;
  for (std::uint32_t i = 0; i < prefix.rangecount; ++i) {
    if (header.size() - at < sizeof(PageBuffer)) return Error{Errc::malformed_packet, at};
    std::uint32_t len, offset;
    std::memcpy(&len, header.data() + at, 4);
    std::memcpy(&offset, header.data() + at + 4, 4);
    if (len == 0 || offset >= kHvPageSize) return Error{Errc::malformed_packet, at};
    const std::uint64_t bytes = 8 + hv_pages_spanned(offset, len) * 8;
    if (header.size() - at < bytes) return Error{Errc::malformed_packet, at};
    at += bytes;
  }
  return GpaDirectPacket(header.subspan(sizeof prefix, at - sizeof prefix), prefix.rangecount);
}

GpaRange GpaDirectPacket::Iterator::operator*() const noexcept {
  GpaRange r;
  std::memcpy(&r.len, rest_.data(), 4);
  std::memcpy(&r.offset, rest_.data() + 4, 4);
  r.pfn_bytes = rest_.subspan(8, hv_pages_spanned(r.offset, r.len) * 8);
  return r;
}

GpaDirectPacket::Iterator& GpaDirectPacket::Iterator::operator++() noexcept {
  const GpaRange r = **this;
  rest_ = rest_.subspan(8 + r.pfn_bytes.size());
  --left_;
  return *this;
}

}  // namespace vmbus
