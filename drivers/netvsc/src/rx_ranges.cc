// Transfer-page packet checks (rx_ranges.h).
#include "rx_ranges.h"

#include "netvsc/protocol/nvsp.h"
#include "netvsc/protocol/wire.h"

namespace netvsc::internal {

TransferPageCheck check_transfer_page(const vmbus::IncomingPacket& packet) noexcept {
  TransferPageCheck out;
  auto parsed = vmbus::TransferPagePacket::parse(packet);
  if (!parsed) {
    out.error = Malformed::range_count;  // the header cannot hold the ranges it announces
    return out;
  }
  if (parsed->pageset_id() != nvsp::kReceiveBufferId) {
    out.error = Malformed::pageset_id;
    return out;
  }
  if (parsed->range_count() == 0 || parsed->range_count() > nvsp::kMaxTransferPageRanges) {
    out.error = Malformed::range_count;
    return out;
  }
  out.packet = *parsed;
  return out;
}

std::optional<std::span<const std::byte>> range_bytes(const vmbus::TransferPagePacket& packet, std::uint32_t i,
                                                      std::span<const std::byte> recv_buffer) noexcept {
  if (i >= packet.range_count()) return std::nullopt;
  const vmbus::TransferPageRange r = packet.range(i);
  if (r.byte_count == 0 || !wire::fits(r.byte_offset, r.byte_count, recv_buffer.size())) return std::nullopt;
  return recv_buffer.subspan(r.byte_offset, r.byte_count);
}

}  // namespace netvsc::internal
