// NVSP checks that need more than a length: buffer completions and the
// send indirection table.
#include "netvsc/protocol/nvsp_codec.h"

namespace netvsc::nvsp {

ParseStatus check_receive_buffer(const SendReceiveBufferComplete& done, std::uint32_t buffer_size) noexcept {
  // netvsc_init_buf: "There should only be one section for the entire receive buffer".
  if (done.num_sections != 1) return ParseError{Field::recv_buf_num_sections, Violation::unexpected_value, done.num_sections};
  const ReceiveBufferSection& s = done.sections[0];
  if (s.offset != 0) return ParseError{Field::recv_buf_section_offset, Violation::unexpected_value, s.offset};
  if (s.sub_alloc_size == 0) return ParseError{Field::recv_buf_sub_alloc_size, Violation::below_minimum, 0};
  // netvsc_init_buf: (u64)recv_section_size * recv_section_cnt must not exceed the buffer.
  const std::uint64_t spanned = std::uint64_t{s.sub_alloc_size} * s.num_sub_allocs;
  if (spanned > buffer_size) return ParseError{Field::recv_buf_num_sub_allocs, Violation::out_of_bounds, spanned};
  return {};
}

ParseStatus check_send_buffer(const SendSendBufferComplete& done, std::uint32_t buffer_size) noexcept {
  // DPDK hn_nvs_conn_chim: "sectsz == 0 || sectsz & (sizeof(uint32_t) - 1)" is an error.
  if (done.section_size == 0) return ParseError{Field::send_buf_section_size, Violation::below_minimum, 0};
  if ((done.section_size & 3u) != 0) return ParseError{Field::send_buf_section_size, Violation::misaligned, done.section_size};
  if (done.section_size > buffer_size) {
    return ParseError{Field::send_buf_section_size, Violation::out_of_bounds, done.section_size};
  }
  return {};
}

ParseResult<SendTable> parse_send_indirection_table(std::span<const std::byte> payload, Version negotiated) noexcept {
  auto body = parse<SendIndirectionTable>(payload);
  if (!body) return body.error();
  // netvsc_send_table: "Received wrong send-table size".
  if (body->count != kSendIndirectionTableEntries) {
    return ParseError{Field::send_table_count, Violation::unexpected_value, body->count};
  }
  constexpr std::uint64_t table_bytes = kSendIndirectionTableEntries * sizeof(std::uint32_t);
  std::uint64_t offset = body->offset;
  // netvsc_send_table: "If negotiated version <= NVSP_PROTOCOL_VERSION_6, the
  // offset may be wrong due to a host bug": the table then follows a whole
  // nvsp_message (header + the 36-byte v6 union).
  if (!at_least(negotiated, Version::v61) && payload.size() >= kMessageSize + table_bytes) offset = kMessageSize;
  constexpr std::uint64_t header = kHeaderSize + sizeof(SendIndirectionTable);
  if (offset < header) return ParseError{Field::send_table_offset, Violation::below_minimum, offset};
  if (offset + table_bytes > 0xffffffffu) return ParseError{Field::send_table_offset, Violation::overflow, offset};
  if (!wire::fits(offset, table_bytes, payload.size())) {
    return ParseError{Field::send_table_offset, Violation::out_of_bounds, offset};
  }
  SendTable table;
  for (std::size_t i = 0; i < table.entries.size(); ++i) {
    table.entries[i] = wire::load<std::uint32_t>(payload, offset + i * sizeof(std::uint32_t));
  }
  return table;
}

vmbus::Result<std::uint32_t> encode_send_indirection_table(const SendTable& table, std::span<std::byte> out) noexcept {
  if (out.size() < kSendIndirectionTableMessageSize) {
    return vmbus::Error{vmbus::Errc::buffer_too_small, kSendIndirectionTableMessageSize};
  }
  constexpr std::uint32_t entries_at = kHeaderSize + sizeof(SendIndirectionTable);
  wire::store(out, 0, raw(MessageType::send_indirection_table));
  wire::store(out, kHeaderSize, SendIndirectionTable{kSendIndirectionTableEntries, entries_at});
  for (std::size_t i = 0; i < table.entries.size(); ++i) {
    wire::store(out, entries_at + i * sizeof(std::uint32_t), table.entries[i]);
  }
  return kSendIndirectionTableMessageSize;
}

}  // namespace netvsc::nvsp
