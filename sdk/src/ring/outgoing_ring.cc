// OutgoingRing: staged writes and Linux's write-side signalling rule.
#include "vmbus/ring/outgoing_ring.h"

#include <atomic>

namespace vmbus {

Result<OutgoingRing> OutgoingRing::attach(RingMemory memory) {
  const std::uint32_t write_index = memory.load_write_index();
  if (!memory.valid_index(write_index)) return Error{Errc::corrupt_index, write_index};
  const std::uint32_t read_index = memory.load_read_index();
  if (!memory.valid_index(read_index)) return Error{Errc::corrupt_index, read_index};
  return OutgoingRing(memory, write_index, read_index);
}

Result<std::uint32_t> OutgoingRing::free_for(std::uint32_t needed) noexcept {
  // hv_get_bytes_to_write, from our cursor: read == write means empty.
  auto free_from = [this](std::uint32_t read) {
    return read > next_write_ ? read - next_write_ : memory_.data_size() - (next_write_ - read);
  };
  std::uint32_t free = free_from(cached_read_);
  if (free > needed) return free;
  const std::uint32_t read = memory_.load_read_index();
  if (!memory_.valid_index(read)) return Error{Errc::corrupt_index, read};
  cached_read_ = read;
  return free_from(read);
}

Result<std::uint32_t> OutgoingRing::bytes_free() noexcept {
  // Force a reload: ask for more than any ring holds.
  auto free = free_for(memory_.data_size());
  if (!free) return free;
  // hv_ringbuffer_write fails when avail <= total: one byte always stays free.
  return *free - 1;
}

Status OutgoingRing::write(const OutgoingPacket& packet) noexcept {
  const std::size_t header_size = packet.header.size();
  if (header_size % 8 != 0) return Error{Errc::invalid_argument, header_size};
  const std::size_t offset = kPacketDescriptorSize + header_size;
  const std::size_t payload = packet.payload_size();
  const std::size_t length = align8(static_cast<std::uint32_t>(offset + payload));
  if (offset + payload > kPacketMaxLength || offset / 8 > 0xffff) {
    return Error{Errc::packet_too_large, offset + payload};
  }
  const auto total = static_cast<std::uint32_t>(length + kPacketTrailerSize);
  // A packet that needs the whole data area can never be written.
  if (total >= memory_.data_size()) return Error{Errc::packet_too_large, total};

  auto free = free_for(total);
  if (!free) return free.error();
  if (*free <= total) return Error{Errc::full, total};

  const PacketDescriptor descriptor{
      .type = static_cast<std::uint16_t>(packet.type),
      .offset8 = static_cast<std::uint16_t>(offset / 8),
      .len8 = static_cast<std::uint16_t>(length / 8),
      .flags = packet.flags,
      .trans_id = packet.trans_id,
  };
  // hv_ringbuffer_write: the trailer records where this packet started.
  const std::uint64_t trailer = std::uint64_t{next_write_} << 32;
  static constexpr std::byte kZeros[8]{};
  const std::uint32_t padding = static_cast<std::uint32_t>(length - offset - payload);

  std::uint32_t at = next_write_;
  auto put = [&](const void* src, std::size_t n) {
    memory_.copy_in(at, src, static_cast<std::uint32_t>(n));
    at = memory_.advance(at, static_cast<std::uint32_t>(n));
  };
  put(&descriptor, sizeof descriptor);
  if (header_size != 0) put(packet.header.data(), header_size);
  for (std::uint8_t i = 0; i < packet.payload_parts; ++i) {
    if (!packet.payload[i].empty()) put(packet.payload[i].data(), packet.payload[i].size());
  }
  if (padding != 0) put(kZeros, padding);
  put(&trailer, sizeof trailer);
  next_write_ = at;
  return {};
}

bool OutgoingRing::commit() noexcept {
  if (next_write_ == committed_write_) return false;
  const std::uint32_t old_write = committed_write_;
  // Release: the packets' bytes are visible before the index that covers them.
  memory_.store_write_index(next_write_);
  committed_write_ = next_write_;
  // hv_signal_on_write: full barrier, then the reader's mask, then its index.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (memory_.load_interrupt_mask() != 0) return false;
  // Signal only on empty -> non-empty: the reader had consumed up to where
  // this batch began. Any other value (even a corrupt one) means no signal.
  return memory_.load_read_index() == old_write;
}

bool OutgoingRing::request_space_signal(std::uint32_t bytes) noexcept {
  memory_.store_pending_send_size(bytes);
  // The reader may have freed the room between our failed write and the
  // store above without seeing the request: re-check after a full barrier.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  auto free = free_for(memory_.data_size());
  return free && *free > bytes;
}

}  // namespace vmbus
