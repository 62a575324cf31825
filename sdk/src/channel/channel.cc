// Channel: batching, signalling, interrupt-mask ownership and counters over
// an OutgoingRing (TX) and an IncomingRing (RX).
#include "vmbus/channel/channel.h"

#include <new>

namespace vmbus {

Result<std::unique_ptr<Channel>> Channel::attach(std::span<std::byte> tx_ring, std::span<std::byte> rx_ring,
                                                 Signaller& signaller, ChannelConfig config) {
  auto tx_memory = RingMemory::from(tx_ring);
  if (!tx_memory) return tx_memory.error();
  auto rx_memory = RingMemory::from(rx_ring);
  if (!rx_memory) return rx_memory.error();
  auto tx = OutgoingRing::attach(*tx_memory);
  if (!tx) return tx.error();
  auto rx = IncomingRing::attach(*rx_memory);
  if (!rx) return rx.error();
  std::unique_ptr<Channel> channel(new Channel(*tx, *rx, signaller, config));
  channel->set_poll_mode();
  return channel;
}

Channel::Channel(OutgoingRing tx, IncomingRing rx, Signaller& signaller, ChannelConfig config) noexcept
    : tx_(tx), rx_(rx), signaller_(&signaller), config_(config), counters_(config.counters) {
  if (counters_ == nullptr) {
    own_counters_ = std::make_unique<ChannelCounters>();
    counters_ = own_counters_.get();
  }
}

// ---- Sending ----------------------------------------------------------------

Status Channel::write(const OutgoingPacket& packet) noexcept {
  if (rescinded_.load(std::memory_order_relaxed)) return Error{Errc::rescinded, 0};
  Status s = tx_.write(packet);
  if (!s) {
    if (s.error().code == Errc::full) ChannelCounters::add(counters_->ring_full_events, 1);
    return s;
  }
  ++staged_packets_;
  // The packet as framed, without the trailer: len8 * 8.
  staged_bytes_ += align8(static_cast<std::uint32_t>(kPacketDescriptorSize + packet.header.size() +
                                                     packet.payload_size()));
  return {};
}

Status Channel::flush() noexcept {
  if (rescinded_.load(std::memory_order_relaxed)) {
    discard_batch();
    return Error{Errc::rescinded, 0};
  }
  const bool needs_signal = tx_.commit();
  ChannelCounters::add(counters_->packets_sent, staged_packets_);
  ChannelCounters::add(counters_->bytes_sent, staged_bytes_);
  staged_packets_ = 0;
  staged_bytes_ = 0;
  // hv_ringbuffer_write + hv_signal_on_write: only on empty -> non-empty with
  // the host's mask clear; a batch of any size costs at most this one signal.
  if (needs_signal) return signal_host();
  return {};
}

void Channel::discard_batch() noexcept {
  tx_.revert();
  staged_packets_ = 0;
  staged_bytes_ = 0;
}

Status Channel::send(const OutgoingPacket& packet) noexcept {
  if (Status s = write(packet); !s) return s;
  return flush();
}

Status Channel::signal_host() noexcept {
  Status s = signaller_->signal();
  if (s) {
    counters_->signals_sent.fetch_add(1, std::memory_order_relaxed);
  } else if (s.error().code == Errc::rescinded) {
    mark_rescinded();
  }
  return s;
}

// ---- Receiving --------------------------------------------------------------

Error Channel::receive_error(Error error) noexcept {
  if (error.code == Errc::empty) {
    // The ring is drained: now is when a poller notices a cleared mask, and
    // when a rescinded channel says so (packets already there came first).
    remask_if_unmasked();
    if (rescinded_.load(std::memory_order_acquire)) return Error{Errc::rescinded, 0};
  } else if (error.is_corruption()) {
    ChannelCounters::add(counters_->corrupt_packets, 1);
  }
  return error;
}

Result<IncomingPacket> Channel::receive(std::span<std::byte> buffer) noexcept {
  Result<IncomingPacket> p = rx_.read(buffer);
  if (!p) return receive_error(p.error());
  ChannelCounters::add(counters_->packets_received, 1);
  ChannelCounters::add(counters_->bytes_received, kPacketDescriptorSize + p->header.size() + p->payload.size());
  return p;
}

Result<PacketView> Channel::peek() noexcept {
  Result<PacketView> v = rx_.peek();
  if (!v) return receive_error(v.error());
  return v;
}

bool Channel::consume(const PacketView& view) noexcept {
  if (!rx_.consume(view)) return false;
  ChannelCounters::add(counters_->packets_received, 1);
  ChannelCounters::add(counters_->bytes_received, view.ring_size - kPacketTrailerSize);
  return true;
}

Status Channel::finish_receive() noexcept {
  remask_if_unmasked();
  // hv_pkt_iter_close: signal only if the host was blocked on pending_send_sz
  // and this commit made its room.
  if (rx_.commit()) return signal_host();
  return {};
}

bool Channel::rx_empty() noexcept {
  remask_if_unmasked();
  return rx_.empty();
}

// ---- Interrupt mask ---------------------------------------------------------

void Channel::set_poll_mode() noexcept {
  poll_mode_ = true;
  // Epoch first, mask second: an irqcontrol(1) that clears the mask after
  // this load bumps the epoch after it too, and the next check re-masks.
  if (config_.unmask_epoch != nullptr) seen_epoch_ = config_.unmask_epoch->load(std::memory_order_acquire);
  rx_.mask_interrupts();
}

bool Channel::arm_interrupts() noexcept {
  poll_mode_ = false;
  // The host decides to interrupt from the published read_index: commit
  // first, or it would see a ring that never empties.
  if (Status s = finish_receive(); !s) return true;
  // Clear the mask, full barrier, re-check (IncomingRing::unmask_interrupts):
  // true if data slipped in before the host could see the mask clear.
  return rx_.unmask_interrupts();
}

void Channel::remask_if_unmasked() noexcept {
  if (!poll_mode_ || config_.unmask_epoch == nullptr) return;
  // hv_uio_irqcontrol set interrupt_mask = 0 on every channel of the device.
  // The signalling thread must not store the mask itself: it could overwrite
  // the 0 of a receiver that just armed and is about to sleep (lost wakeup).
  // The receiver re-masks here instead, on its own thread.
  const std::uint64_t epoch = config_.unmask_epoch->load(std::memory_order_acquire);
  if (epoch == seen_epoch_) return;
  seen_epoch_ = epoch;
  rx_.mask_interrupts();
}

// ---- State ------------------------------------------------------------------

ChannelRingState Channel::ring_state() const noexcept {
  // Only RingMemory (immutable after attach) is touched: safe from any thread.
  const RingMemory& tx = tx_.memory();
  const RingMemory& rx = rx_.memory();
  return {
      .tx_write_index = tx.load_write_index(),
      .tx_read_index = tx.load_read_index(),
      .tx_interrupt_mask = tx.load_interrupt_mask(),
      .tx_data_size = tx.data_size(),
      .rx_write_index = rx.load_write_index(),
      .rx_read_index = rx.load_read_index(),
      .rx_interrupt_mask = rx.load_interrupt_mask(),
      .rx_pending_send_size = rx.load_pending_send_size(),
      .rx_data_size = rx.data_size(),
  };
}

}  // namespace vmbus
