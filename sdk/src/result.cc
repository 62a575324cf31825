// Error text for logs and tools, and the "vmbus" std::error_category.
#include "vmbus/result.h"

namespace vmbus {
namespace {

const char* describe(Errc code) noexcept {
  switch (code) {
    case Errc::empty: return "ring empty";
    case Errc::full: return "ring full";
    case Errc::buffer_too_small: return "buffer too small";
    case Errc::corrupt_index: return "corrupt ring index from the peer";
    case Errc::corrupt_length: return "corrupt packet length from the peer";
    case Errc::unknown_packet_type: return "unknown packet type from the peer";
    case Errc::unknown_packet_flags: return "unknown packet flags from the peer";
    case Errc::malformed_packet: return "malformed packet header";
    case Errc::invalid_argument: return "invalid argument";
    case Errc::too_many_pages: return "too many pages (the limit is 32)";
    case Errc::packet_too_large: return "packet too large for the ring";
    case Errc::rescinded: return "device rescinded by the host";
    case Errc::io_error: return "device I/O error";
  }
  return "unknown vmbus error";
}

// What `detail` means for each code, to print it usefully.
const char* detail_label(Errc code) noexcept {
  switch (code) {
    case Errc::full:
    case Errc::buffer_too_small: return "bytes needed";
    case Errc::corrupt_index: return "index";
    case Errc::corrupt_length: return "at ring offset";
    case Errc::unknown_packet_type: return "type";
    case Errc::unknown_packet_flags: return "flags";
    case Errc::malformed_packet: return "at";
    case Errc::too_many_pages: return "pages";
    case Errc::packet_too_large: return "bytes";
    case Errc::io_error: return "errno";
    default: return nullptr;
  }
}

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "vmbus"; }
  std::string message(int code) const override { return describe(static_cast<Errc>(code)); }
};

}  // namespace

const std::error_category& vmbus_category() noexcept {
  static const Category category;
  return category;
}

std::string Error::message() const {
  std::string text = describe(code);
  if (const char* label = detail_label(code)) {
    text += " (";
    text += label;
    text += ' ';
    text += std::to_string(detail);
    text += ')';
  }
  return text;
}

}  // namespace vmbus
