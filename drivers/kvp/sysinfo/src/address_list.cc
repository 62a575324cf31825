// The daemon's two list shapes and where it cuts them.
#include "address_list.h"

namespace kvp::sysinfo::detail {

bool JoinedList::add(std::string_view item, std::size_t reserve) {
  // if ((length - *offset) < addr_length + 2) return HV_E_FAIL;
  const bool daemon_refuses = capacity_ < used_ || capacity_ - used_ < reserve + 2;
  const std::size_t after = text_.size() + (text_.empty() ? 0 : 1) + item.size();
  if (full_ || daemon_refuses || after > max_chars_) {
    full_ = true;
    ++dropped_;
    return false;
  }
  if (!text_.empty()) text_ += ';';
  text_ += item;
  used_ += item.size() + 1;  // *offset += strlen(str) + 1;
  return true;
}

bool TerminatedList::add(std::string_view item, std::size_t reserve) {
  // if (len < strlen(config_buf) + element_size + 1) break;
  if (capacity_ < text_.size() + reserve + 1 || text_.size() + item.size() + 1 > max_chars_) {
    ++dropped_;
    return false;
  }
  text_ += item;
  text_ += ';';
  return true;
}

}  // namespace kvp::sysinfo::detail
