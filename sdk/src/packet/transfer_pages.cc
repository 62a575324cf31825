// Transfer-page (type 7) packets: parsing and range checks.
#include "vmbus/packet/transfer_pages.h"

namespace vmbus {

Result<TransferPagePacket> TransferPagePacket::parse(const IncomingPacket& packet) noexcept {
  if (packet.type != PacketType::data_using_transfer_pages) {
    return Error{Errc::malformed_packet, static_cast<std::uint16_t>(packet.type)};
  }
  if (packet.header.size() < sizeof(TransferPagePrefix)) return Error{Errc::malformed_packet, sizeof(TransferPagePrefix)};
  TransferPagePrefix prefix;
  std::memcpy(&prefix, packet.header.data(), sizeof prefix);
  const std::uint64_t needed = sizeof prefix + std::uint64_t{prefix.range_cnt} * sizeof(TransferPageRange);
  if (packet.header.size() < needed) return Error{Errc::malformed_packet, needed};
  return TransferPagePacket(prefix, packet.header.subspan(sizeof prefix, needed - sizeof prefix));
}

Status TransferPagePacket::check_within(std::uint64_t buffer_size) const noexcept {
  for (std::uint32_t i = 0; i < range_count(); ++i) {
    const TransferPageRange r = range(i);
    if (r.byte_count == 0 || std::uint64_t{r.byte_offset} + r.byte_count > buffer_size) {
      return Error{Errc::malformed_packet, i};
    }
  }
  return {};
}

}  // namespace vmbus
