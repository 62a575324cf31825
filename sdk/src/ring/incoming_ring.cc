// IncomingRing: validated peeks, copy-out reads and Linux's read-side
// signalling rule.
#include "vmbus/ring/incoming_ring.h"

#include <cstring>

namespace vmbus {
namespace {

// Packet types a VMBus data path carries: Hyper-V sends inband, transfer-page
// and completion packets to guests; guests send inband, GPA-direct and
// completions. The rest of enum vmbus_packet_type is unused on rings
// (OpenVMM's parse_packet rejects it too).
bool known_type(std::uint16_t type) noexcept {
  switch (static_cast<PacketType>(type)) {
    case PacketType::data_inband:
    case PacketType::data_using_transfer_pages:
    case PacketType::data_using_gpa_direct:
    case PacketType::completion:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<IncomingRing> IncomingRing::attach(RingMemory memory) {
  const std::uint32_t read_index = memory.load_read_index();
  if (!memory.valid_index(read_index)) return Error{Errc::corrupt_index, read_index};
  return IncomingRing(memory, read_index);
}

Status IncomingRing::next_descriptor(PacketDescriptor& d) noexcept {
  std::uint32_t available = memory_.distance(next_read_, cached_write_);
  if (available == 0) {
    const std::uint32_t write = memory_.load_write_index();
    if (!memory_.valid_index(write)) return Error{Errc::corrupt_index, write};
    cached_write_ = write;
    available = memory_.distance(next_read_, write);
    if (available == 0) return Error{Errc::empty, 0};
  }
  // A writer publishes whole packets: anything shorter than the smallest one
  // (descriptor + trailer) is a broken writer, not a partial packet.
  if (available < kPacketDescriptorSize + kPacketTrailerSize) return Error{Errc::corrupt_length, next_read_};

  memory_.copy_out(next_read_, &d, sizeof d);
  // DPDK rejects hlen < 2 or hlen > tlen; OpenVMM: length8 >= data_offset8 >= 2.
  if (d.offset8 < 2 || d.len8 < d.offset8) return Error{Errc::corrupt_length, next_read_};
  if (packet_ring_size(d.len8) > available) return Error{Errc::corrupt_length, next_read_};
  if (!known_type(d.type)) return Error{Errc::unknown_packet_type, d.type};
  if ((d.flags & ~kPacketKnownFlags) != 0) return Error{Errc::unknown_packet_flags, d.flags};
  return {};
}

Result<PacketView> IncomingRing::peek() noexcept {
  PacketDescriptor d;
  if (Status s = next_descriptor(d); !s) return s.error();
  auto window = [this](std::uint32_t start, std::uint32_t len) {
    const std::uint32_t first = memory_.data_size() - start;
    const std::byte* data = memory_.data();
    if (len <= first) return RingBytes{{data + start, len}, {}};
    return RingBytes{{data + start, first}, {data, len - first}};
  };
  const std::uint32_t header_start = memory_.advance(next_read_, kPacketDescriptorSize);
  const std::uint32_t header_len = std::uint32_t{d.offset8} * 8 - kPacketDescriptorSize;
  const std::uint32_t payload_start = memory_.advance(header_start, header_len);
  const std::uint32_t payload_len = (std::uint32_t{d.len8} - d.offset8) * 8;
  return PacketView{
      .descriptor = d,
      .header = window(header_start, header_len),
      .payload = window(payload_start, payload_len),
      .ring_offset = next_read_,
      .ring_size = packet_ring_size(d.len8),
  };
}

bool IncomingRing::consume(const PacketView& view) noexcept {
  if (view.ring_offset != next_read_ || view.ring_size > memory_.distance(next_read_, cached_write_)) return false;
  next_read_ = memory_.advance(next_read_, view.ring_size);
  return true;
}

Result<IncomingPacket> IncomingRing::read(std::span<std::byte> buffer) noexcept {
  PacketDescriptor d;
  if (Status s = next_descriptor(d); !s) return s.error();
  const std::uint32_t length = std::uint32_t{d.len8} * 8;
  if (buffer.size() < length) return Error{Errc::buffer_too_small, length};

  // The copy carries the validated descriptor, not whatever the peer may have
  // rewritten since (as hv_pkt_iter_first fixes len8/offset8 in its copy);
  // the rest of the packet is fetched exactly once.
  std::memcpy(buffer.data(), &d, sizeof d);
  memory_.copy_out(memory_.advance(next_read_, kPacketDescriptorSize), buffer.data() + kPacketDescriptorSize,
                   length - kPacketDescriptorSize);
  next_read_ = memory_.advance(next_read_, packet_ring_size(d.len8));

  const std::uint32_t offset = std::uint32_t{d.offset8} * 8;
  return IncomingPacket{
      .type = static_cast<PacketType>(d.type),
      .flags = d.flags,
      .trans_id = d.trans_id,
      .header = buffer.subspan(kPacketDescriptorSize, offset - kPacketDescriptorSize),
      .payload = buffer.subspan(offset, length - offset),
  };
}

bool IncomingRing::commit() noexcept {
  if (next_read_ == committed_read_) return false;
  const std::uint32_t bytes_read = memory_.distance(committed_read_, next_read_);
  // Our reads of the packets finish before the writer may reuse the space;
  // seq_cst because a full barrier separates this store from the load of
  // pending_send_sz below (hv_pkt_iter_close: virt_mb).
  memory_.store_read_index(next_read_, std::memory_order_seq_cst);
  committed_read_ = next_read_;

  // hv_pkt_iter_close: only a ring advertising feat_pending_send_sz, only if
  // the writer asked (pending_send_sz != 0).
  if ((memory_.load_feature_bits() & kRingFeaturePendingSendSize) == 0) return false;
  const std::uint32_t pending = memory_.load_pending_send_size(std::memory_order_seq_cst);
  if (pending == 0) return false;
  const std::uint32_t write = memory_.load_write_index();
  if (!memory_.valid_index(write)) return false;  // the next read() reports it
  // hv_get_bytes_to_write after our commit.
  const std::uint32_t free_now =
      write >= next_read_ ? memory_.data_size() - (write - next_read_) : next_read_ - write;
  // Signal only on the transition: before this commit the writer lacked room
  // (free_now - bytes_read <= pending), and now it has it (free_now > pending).
  const std::uint64_t free_before = free_now >= bytes_read ? free_now - bytes_read : 0;
  return free_before <= pending && free_now > pending;
}

bool IncomingRing::unmask_interrupts() noexcept {
  // The writer reads the mask after publishing (hv_signal_on_write); a full
  // barrier between our store and our re-check (seq_cst both) makes sure one
  // of us sees the other.
  memory_.store_interrupt_mask(0, std::memory_order_seq_cst);
  const bool unread = memory_.load_write_index(std::memory_order_seq_cst) != next_read_;
  // The writer decides to signal from the published read_index: with reads
  // not yet committed it would never see the ring as emptied, and a reader
  // that slept now would sleep through new data. Not safe to sleep either.
  return unread || next_read_ != committed_read_;
}

}  // namespace vmbus
