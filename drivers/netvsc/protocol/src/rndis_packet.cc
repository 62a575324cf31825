// REMOTE_NDIS_PACKET_MSG: the validating parser and the builder.
#include "netvsc/protocol/rndis_packet.h"

#include <cstring>

namespace netvsc::rndis {
namespace {

constexpr std::uint64_t kU32Max = 0xffffffffu;

// An (offset, length) pair inside the rndis_packet body of `limit` bytes,
// for the OOB and PPI areas: offset past the struct, 4-aligned, and
// offset + length inside.
ParseStatus check_area(std::uint32_t offset, std::uint32_t length, std::uint64_t limit, Field offset_field,
                       Field length_field) noexcept {
  if (offset < kPacketOffsetMin) return ParseError{offset_field, Violation::below_minimum, offset};
  if ((offset & 3u) != 0) return ParseError{offset_field, Violation::misaligned, offset};
  if (offset > limit) return ParseError{offset_field, Violation::out_of_bounds, offset};
  if (std::uint64_t{offset} + length > kU32Max) return ParseError{length_field, Violation::overflow, length};
  if (length > limit - offset) return ParseError{length_field, Violation::out_of_bounds, length};
  return {};
}

// Stores a known record's 4-byte value in `info` (first one wins).
// Error: ppi_data/too_short (value = the raw type) for a known type with
// fewer than 4 value bytes; unknown types are skipped.
ParseStatus decode_record(const ppi::Record& r, ppi::PacketInfo& info) noexcept {
  std::optional<std::uint32_t>* slot = nullptr;
  if (r.internal) {
    if (r.type != ppi::kInternalPktinfoId) return {};
  } else {
    switch (static_cast<ppi::Type>(r.type)) {
      case ppi::Type::tcpip_checksum: slot = &info.checksum; break;
      case ppi::Type::tcp_large_send: slot = &info.lso; break;
      case ppi::Type::ieee_8021q: slot = &info.vlan; break;
      case ppi::Type::hash_value: slot = &info.hash_value; break;
      case ppi::Type::hash_info: slot = &info.hash_info; break;
      default: return {};
    }
  }
  if (r.value.size() < sizeof(std::uint32_t)) {
    return ParseError{Field::ppi_data, Violation::too_short, r.type | (r.internal ? ppi::kInternalBit : 0u)};
  }
  if (slot == nullptr) {
    if (!info.rsc) info.rsc = wire::load<ppi::PktinfoId>(r.value);
  } else if (!*slot) {
    *slot = wire::load<std::uint32_t>(r.value);
  }
  return {};
}

// Validates every record of the PPI area once, decoding the known ones.
ParseStatus walk_records(std::span<const std::byte> area, ppi::PacketInfo& info) noexcept {
  while (!area.empty()) {
    if (area.size() < ppi::kHeaderSize) return ParseError{Field::ppi_header, Violation::too_short, area.size()};
    const auto h = wire::load<ppi::Header>(area);
    if (h.size < ppi::kHeaderSize) return ParseError{Field::ppi_size, Violation::below_minimum, h.size};
    if ((h.size & 3u) != 0) return ParseError{Field::ppi_size, Violation::misaligned, h.size};
    if (h.size > area.size()) return ParseError{Field::ppi_size, Violation::out_of_bounds, h.size};
    if (h.ppi_offset < ppi::kHeaderSize) return ParseError{Field::ppi_offset, Violation::below_minimum, h.ppi_offset};
    // rndis_get_ppi: "ppi->ppi_offset >= ppi->size" is invalid.
    if (h.ppi_offset >= h.size) return ParseError{Field::ppi_offset, Violation::out_of_bounds, h.ppi_offset};
    const ppi::Record record{h.type & ~ppi::kInternalBit, (h.type & ppi::kInternalBit) != 0,
                             area.subspan(h.ppi_offset, h.size - h.ppi_offset)};
    if (auto s = decode_record(record, info); !s) return s;
    area = area.subspan(h.size);
  }
  return {};
}

}  // namespace

ParseResult<PacketView> parse_packet(std::span<const std::byte> bytes) noexcept {
  auto m = frame(bytes);
  if (!m) return m.error();
  return parse_packet(*m);
}

ParseResult<PacketView> parse_packet(const MessageView& message) noexcept {
  if (message.type != raw(MessageType::packet)) {
    return ParseError{Field::rndis_msg_type, Violation::unexpected_value, message.type};
  }
  if (message.length() < kPacketHeaderSize) {
    return ParseError{Field::rndis_msg_len, Violation::too_short, message.length()};
  }
  // One copy of the header: the checks and the spans below use these values
  // even if the peer rewrites the shared bytes meanwhile.
  const auto p = wire::load<Packet>(message.bytes, kHeaderSize);
  const std::span<const std::byte> body = message.body();
  const std::uint64_t limit = body.size();

  // Data (rndis_filter_receive_data; DPDK hn_rndis_rx_data).
  if (p.data_offset < kPacketOffsetMin) return ParseError{Field::rndis_data_offset, Violation::below_minimum, p.data_offset};
  if (p.data_offset > limit) return ParseError{Field::rndis_data_offset, Violation::out_of_bounds, p.data_offset};
  if (p.data_len == 0) return ParseError{Field::rndis_data_length, Violation::below_minimum, 0};
  if (std::uint64_t{p.data_offset} + p.data_len > kU32Max) {
    return ParseError{Field::rndis_data_length, Violation::overflow, p.data_len};
  }
  if (p.data_len > limit - p.data_offset) return ParseError{Field::rndis_data_length, Violation::out_of_bounds, p.data_len};

  PacketView view;
  view.msg_len = message.length();
  view.frame = body.subspan(p.data_offset, p.data_len);

  if (p.oob_data_len != 0) {
    if (auto s = check_area(p.oob_data_offset, p.oob_data_len, limit, Field::rndis_oob_offset, Field::rndis_oob_length); !s) {
      return s.error();
    }
    view.oob = body.subspan(p.oob_data_offset, p.oob_data_len);
  }

  // PPIs exist when their length is non-zero: Linux and DPDK always write
  // per_pkt_info_offset = 36, even with no records.
  if (p.per_pkt_info_len != 0) {
    if (auto s = check_area(p.per_pkt_info_offset, p.per_pkt_info_len, limit, Field::rndis_ppi_offset,
                            Field::rndis_ppi_length);
        !s) {
      return s.error();
    }
    view.per_packet_info = body.subspan(p.per_pkt_info_offset, p.per_pkt_info_len);
    if (auto s = walk_records(view.per_packet_info, view.info); !s) return s.error();
  }
  return view;
}

vmbus::Status PacketBuilder::add(ppi::Type type, std::uint32_t value) noexcept {
  return add_record(ppi::raw(type), false, wire::bytes_of(value));
}

vmbus::Status PacketBuilder::add_record(std::uint32_t type, bool internal, std::span<const std::byte> value) noexcept {
  if ((type & ppi::kInternalBit) != 0) return vmbus::Error{vmbus::Errc::invalid_argument, type};
  const std::uint64_t padded = (std::uint64_t{value.size()} + 3u) & ~std::uint64_t{3};
  const std::uint64_t record = ppi::kHeaderSize + padded;
  const std::uint64_t needed = std::uint64_t{header_size()} + record;
  if (needed > kU32Max) return vmbus::Error{vmbus::Errc::packet_too_large, needed};
  if (out_.size() < needed) return vmbus::Error{vmbus::Errc::buffer_too_small, needed};

  const std::size_t at = header_size();
  const ppi::Header h{static_cast<std::uint32_t>(record), type | (internal ? ppi::kInternalBit : 0u), ppi::kHeaderSize};
  wire::store(out_, at, h);
  std::byte* value_at = out_.data() + at + ppi::kHeaderSize;
  if (!value.empty()) std::memcpy(value_at, value.data(), value.size());
  std::memset(value_at + value.size(), 0, static_cast<std::size_t>(padded - value.size()));
  ppi_len_ += static_cast<std::uint32_t>(record);
  return {};
}

vmbus::Result<std::uint32_t> PacketBuilder::finish(std::uint32_t frame_len) noexcept {
  if (frame_len == 0) return vmbus::Error{vmbus::Errc::invalid_argument, 0};
  const std::uint32_t header = header_size();
  const std::uint64_t total = std::uint64_t{header} + frame_len;
  if (total > kU32Max) return vmbus::Error{vmbus::Errc::packet_too_large, total};
  if (out_.size() < header) return vmbus::Error{vmbus::Errc::buffer_too_small, header};

  // netvsc_xmit / hn_encap: PPIs right after the struct, the frame after them.
  Packet p{};
  p.data_offset = kPacketOffsetMin + ppi_len_;
  p.data_len = frame_len;
  p.per_pkt_info_offset = kPacketOffsetMin;
  p.per_pkt_info_len = ppi_len_;
  wire::store(out_, 0, MessageHeader{raw(MessageType::packet), static_cast<std::uint32_t>(total)});
  wire::store(out_, kHeaderSize, p);
  return header;
}

vmbus::Result<std::uint32_t> PacketBuilder::finish(std::span<const std::byte> frame) noexcept {
  const std::uint64_t total = std::uint64_t{header_size()} + frame.size();
  if (frame.size() > kU32Max || total > kU32Max) return vmbus::Error{vmbus::Errc::packet_too_large, total};
  if (out_.size() < total) return vmbus::Error{vmbus::Errc::buffer_too_small, total};
  auto header = finish(static_cast<std::uint32_t>(frame.size()));
  if (!header) return header.error();
  std::memcpy(out_.data() + *header, frame.data(), frame.size());
  return static_cast<std::uint32_t>(total);
}

}  // namespace netvsc::rndis
