// OutgoingRing: staged writes and Linux's write-side signalling rule.
#include "vmbus/ring/outgoing_ring.h"

#include <cstdint>
#include <cstring>

namespace vmbus {

Result<OutgoingRing> OutgoingRing::attach(RingMemory memory) {
  const std::uint32_t write_index = memory.load_write_index();
  if (!memory.valid_index(write_index)) return Error{Errc::corrupt_index, write_index};
  const std::uint32_t read_index = memory.load_read_index();
  if (!memory.valid_index(read_index)) return Error{Errc::corrupt_index, read_index};
  return OutgoingRing(memory, write_index, read_index);
}

Result<std::uint32_t> OutgoingRing::free_for(std::uint32_t needed) noexcept {
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
  const std::uint32_t start = next_write_;
  const std::uint32_t data_size = memory_.data_size();

  if (start + total <= data_size) {
    // Fast path, every packet but at most one per lap: no wrap, one pointer.
    std::byte* const packet_start = memory_.data() + start;
    std::memcpy(packet_start, &descriptor, sizeof descriptor);
    if (header_size != 0) std::memcpy(packet_start + sizeof descriptor, packet.header.data(), header_size);
    // Zero the last word first when there is padding (then length - 8 >= offset);
    // the payload overwrites whatever part of that word is its own.
    if (length != offset + payload) {
      const std::uint64_t zero = 0;
      std::memcpy(packet_start + length - 8, &zero, sizeof zero);
    }
    std::byte* at = packet_start + offset;
    for (std::uint8_t i = 0; i < packet.payload_parts; ++i) {
      const std::span<const std::byte> part = packet.payload[i];
      if (!part.empty()) std::memcpy(at, part.data(), part.size());
      at += part.size();
    }
    std::memcpy(packet_start + length, &trailer, sizeof trailer);
    next_write_ = start + total == data_size ? 0 : start + total;
    return {};
  }

  // The packet wraps: copy piece by piece, splitting at the end.
  static constexpr std::byte kZeros[8]{};
  const std::uint32_t padding = static_cast<std::uint32_t>(length - offset - payload);
  std::uint32_t at = start;
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
  // Publish, then a full barrier before reading the reader's mask and index
  // (hv_signal_on_write: virt_mb): seq_cst store and loads.
  memory_.store_write_index(next_write_, std::memory_order_seq_cst);
  committed_write_ = next_write_;
  if (memory_.load_interrupt_mask(std::memory_order_seq_cst) != 0) return false;
  // Signal only on empty -> non-empty: the reader had consumed up to where
  // this batch began. Any other value (even a corrupt one) means no signal.
  return memory_.load_read_index(std::memory_order_seq_cst) == old_write;
}

bool OutgoingRing::request_space_signal(std::uint32_t bytes) noexcept {
  // The reader counts free space from the published write_index, which does
  // not include packets staged since the last commit: ask for those too, or
  // its signal would come too early or never.
  const std::uint64_t pending = std::uint64_t{bytes} + uncommitted_bytes();
  memory_.store_pending_send_size(static_cast<std::uint32_t>(pending > UINT32_MAX ? UINT32_MAX : pending),
                                  std::memory_order_seq_cst);
  // The reader may have freed the room between our failed write and the
  // store above without seeing the request: re-check after a full barrier
  // (a seq_cst load of read_index).
  const std::uint32_t read = memory_.load_read_index(std::memory_order_seq_cst);
  if (!memory_.valid_index(read)) return false;
  cached_read_ = read;
  return free_from(read) > bytes;
}

}  // namespace vmbus
