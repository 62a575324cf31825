// Names for ParseError fields and violations, for logs and tools.
#include "netvsc/protocol/parse_error.h"

namespace netvsc {

const char* ParseError::field_name() const noexcept {
  switch (field) {
    case Field::nvsp_msg_type: return "nvsp_message.hdr.msg_type";
    case Field::nvsp_body: return "nvsp_message body";
    case Field::recv_buf_num_sections: return "send_recv_buf_complete.num_sections";
    case Field::recv_buf_section_offset: return "send_recv_buf_complete.sections[0].offset";
    case Field::recv_buf_sub_alloc_size: return "send_recv_buf_complete.sections[0].sub_alloc_size";
    case Field::recv_buf_num_sub_allocs: return "send_recv_buf_complete.sections[0].num_sub_allocs";
    case Field::send_buf_section_size: return "send_send_buf_complete.section_size";
    case Field::send_table_count: return "send_table.count";
    case Field::send_table_offset: return "send_table.offset";
    case Field::rndis_header: return "rndis_message header";
    case Field::rndis_msg_type: return "rndis_message.ndis_msg_type";
    case Field::rndis_msg_len: return "rndis_message.msg_len";
    case Field::rndis_data_offset: return "rndis_packet.data_offset";
    case Field::rndis_data_length: return "rndis_packet.data_length";
    case Field::rndis_oob_offset: return "rndis_packet.oob_data_offset";
    case Field::rndis_oob_length: return "rndis_packet.oob_data_len";
    case Field::rndis_ppi_offset: return "rndis_packet.per_pkt_info_offset";
    case Field::rndis_ppi_length: return "rndis_packet.per_pkt_info_len";
    case Field::ppi_header: return "rndis_per_packet_info header";
    case Field::ppi_size: return "rndis_per_packet_info.size";
    case Field::ppi_offset: return "rndis_per_packet_info.ppi_offset";
    case Field::ppi_data: return "rndis_per_packet_info data";
    case Field::rndis_info_offset: return "rndis info_buf_offset";
    case Field::rndis_info_length: return "rndis info_buflen";
    case Field::ndis_object_type: return "ndis_object_header.type";
    case Field::ndis_object_revision: return "ndis_object_header.revision";
    case Field::ndis_object_size: return "ndis_object_header.size";
    case Field::rss_table_offset: return "ndis_recv_scale_param.indirect_taboffset";
    case Field::rss_table_size: return "ndis_recv_scale_param.indirect_tabsize";
    case Field::rss_key_offset: return "ndis_recv_scale_param.hashkey_offset";
    case Field::rss_key_size: return "ndis_recv_scale_param.hashkey_size";
  }
  return "unknown field";
}

const char* ParseError::violation_name() const noexcept {
  switch (violation) {
    case Violation::too_short: return "too short";
    case Violation::unexpected_value: return "unexpected value";
    case Violation::below_minimum: return "below minimum";
    case Violation::misaligned: return "misaligned";
    case Violation::overflow: return "32-bit overflow";
    case Violation::out_of_bounds: return "out of bounds";
  }
  return "unknown violation";
}

std::string ParseError::message() const {
  std::string text = field_name();
  text += ": ";
  text += violation_name();
  text += " (value ";
  text += std::to_string(value);
  text += ')';
  return text;
}

}  // namespace netvsc
