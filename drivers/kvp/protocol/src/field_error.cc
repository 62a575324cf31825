// Names for FieldError fields and violations, for logs and tools.
#include "kvp/protocol/field_error.h"

namespace kvp {

const char* FieldError::field_name() const noexcept {
  switch (field) {
    case Field::ic_packet: return "IC packet";
    case Field::icmsgsize: return "icmsg_hdr.icmsgsize";
    case Field::icmsgtype: return "icmsg_hdr.icmsgtype";
    case Field::icflags: return "icmsg_hdr.icflags";
    case Field::icmsg_negotiate: return "icmsg_negotiate";
    case Field::icframe_vercnt: return "icmsg_negotiate.icframe_vercnt";
    case Field::icmsg_vercnt: return "icmsg_negotiate.icmsg_vercnt";
    case Field::icversion_data: return "icmsg_negotiate.icversion_data";
    case Field::kvp_operation: return "hv_kvp_hdr.operation";
    case Field::kvp_pool: return "hv_kvp_hdr.pool";
    case Field::kvp_message: return "hv_kvp_msg";
    case Field::value_type: return "hv_kvp_exchg_msg_value.value_type";
    case Field::key_size: return "hv_kvp_exchg_msg_value.key_size";
    case Field::key: return "hv_kvp_exchg_msg_value.key";
    case Field::value_size: return "hv_kvp_exchg_msg_value.value_size";
    case Field::value: return "hv_kvp_exchg_msg_value.value";
    case Field::delete_key_size: return "hv_kvp_msg_delete.key_size";
    case Field::delete_key: return "hv_kvp_msg_delete.key";
    case Field::adapter_id: return "hv_kvp_ipaddr_value.adapter_id";
    case Field::addr_family: return "hv_kvp_ipaddr_value.addr_family";
    case Field::ip_addr: return "hv_kvp_ipaddr_value.ip_addr";
    case Field::sub_net: return "hv_kvp_ipaddr_value.sub_net";
    case Field::gate_way: return "hv_kvp_ipaddr_value.gate_way";
    case Field::dns_addr: return "hv_kvp_ipaddr_value.dns_addr";
    case Field::output_buffer: return "output buffer";
  }
  return "unknown field";
}

const char* FieldError::violation_name() const noexcept {
  switch (violation) {
    case Violation::too_short: return "too short";
    case Violation::above_maximum: return "above maximum";
    case Violation::below_minimum: return "below minimum";
    case Violation::unexpected_value: return "unexpected value";
    case Violation::out_of_bounds: return "out of bounds";
    case Violation::odd_size: return "odd size for UTF-16";
    case Violation::missing_nul: return "missing NUL terminator";
    case Violation::embedded_nul: return "NUL before the end of the string";
    case Violation::unpaired_high_surrogate: return "unpaired UTF-16 high surrogate";
    case Violation::unpaired_low_surrogate: return "unpaired UTF-16 low surrogate";
    case Violation::invalid_utf8_lead: return "invalid UTF-8 lead byte";
    case Violation::invalid_utf8_continuation: return "invalid UTF-8 continuation byte";
    case Violation::truncated_utf8: return "truncated UTF-8 sequence";
    case Violation::overlong_utf8: return "overlong UTF-8 sequence";
    case Violation::utf8_surrogate: return "UTF-8 encodes a surrogate";
    case Violation::utf8_above_max: return "UTF-8 code point above U+10FFFF";
  }
  return "unknown violation";
}

std::string FieldError::message() const {
  std::string text = field_name();
  text += ": ";
  text += violation_name();
  text += is_position(violation) ? " (at byte " : " (value ";
  text += std::to_string(value);
  text += ')';
  return text;
}

}  // namespace kvp
