// HostChannel: the host's drain loop, flow control and signal accounting.
#include "hvsim/host_channel.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "hvsim/device_host.h"

namespace hvsim {
namespace {

vmbus::RingMemory ring_at(std::span<std::byte> rings, bool second, const std::string& label) {
  if (rings.size() % 2 != 0) throw std::runtime_error(label + ": ring pair of odd size " + std::to_string(rings.size()));
  const std::size_t half = rings.size() / 2;
  auto memory = vmbus::RingMemory::from(rings.subspan(second ? half : 0, half));
  if (!memory) throw std::runtime_error(label + ": unusable ring: " + memory.error().message());
  return *memory;
}

}  // namespace

HostChannel::HostChannel(HostChannelSetup setup)
    : setup_(std::move(setup)),
      tx_memory_(ring_at(setup_.rings, false, setup_.label)),
      rx_memory_(ring_at(setup_.rings, true, setup_.label)) {
  auto tx = vmbus::IncomingRing::attach(tx_memory_);
  if (!tx) throw std::runtime_error(setup_.label + ": TX ring: " + tx.error().message());
  auto rx = vmbus::OutgoingRing::attach(rx_memory_);
  if (!rx) throw std::runtime_error(setup_.label + ": RX ring: " + rx.error().message());
  tx_.emplace(*tx);
  rx_.emplace(*rx);
  // The largest packet a TX ring can hold: len8 is a u16 of 8-byte units, and
  // a packet never fills the whole data area.
  buffer_size_ = std::min<std::size_t>(tx_memory_.data_size(), vmbus::kPacketMaxLength);
  buffer_.reset(new std::byte[buffer_size_]);
  scratch_.reset(new std::byte[kScratchSize]);
}

HostChannel::~HostChannel() = default;

Room HostChannel::room_for(std::uint32_t ring_bytes) noexcept {
  if (ring_bytes >= rx_memory_.data_size() || ring_bytes > vmbus::kPacketMaxLength + vmbus::kPacketTrailerSize) {
    return Room::never;
  }
  auto free = rx_->bytes_free();  // one byte always stays free: free >= need is enough
  if (!free) return Room::full;   // a corrupt read_index: the write that follows reports it
  return *free >= ring_bytes ? Room::ok : Room::full;
}

vmbus::Status HostChannel::send(const vmbus::OutgoingPacket& packet) noexcept {
  if (corrupt_) return vmbus::Error{vmbus::Errc::rescinded, 0};
  // Where this packet starts (the published write_index, ours, plus what is
  // staged), needed only to corrupt it: not computed when no fault is armed.
  const bool armed = faults_armed();
  const std::uint32_t position =
      armed ? rx_memory_.advance(rx_memory_.load_write_index(std::memory_order_relaxed), rx_->uncommitted_bytes()) : 0;
  vmbus::Status s = rx_->write(packet);
  if (!s) {
    if (s.error().code == vmbus::Errc::corrupt_index) close_corrupt("RX", s.error());
    return s;
  }
  if (armed) {
    if (const auto kind = setup_.faults->take_descriptor_corruption()) corrupt_last_descriptor(*kind, position);
  }
  counters().add(Counter::packets_out);
  counters().add(Counter::bytes_out, ring_bytes_for(packet.header.size(), packet.payload_size()));
  return {};
}

void HostChannel::drop(std::string_view why) noexcept {
  // Log the first few, then every 1000th: a guest looping on bad packets must
  // not flood the log. (Logged before counting: whoever sees the count finds the line.)
  if (drops_logged_ < 5 || drops_logged_ % 1000 == 0) {
    setup_.log->warn(std::string(label()) + ": dropped a packet: " + std::string(why));
  }
  ++drops_logged_;
  counters().add(Counter::packets_dropped);
}

void HostChannel::set_guest_interrupt_mask(std::uint32_t mask) noexcept {
  // hv_uio_irqcontrol: interrupt_mask = !irq_state; virt_mb().
  rx_memory_.store_interrupt_mask(mask, std::memory_order_seq_cst);
}

void HostChannel::open() noexcept {
  counters().set_state(ChannelState::open);
  setup_.host->on_open(*this);
  flush();
}

void HostChannel::close() noexcept {
  setup_.host->on_close(*this);
  counters().set_state(ChannelState::closed);
}

void HostChannel::on_guest_signal(std::uint64_t signals) noexcept {
  if (signals == 0) return;
  if (faults_armed() && fault_fires(FaultKind::drop_signal)) return;  // lost on the way: nothing drains
  counters().add(Counter::signals, signals);
  // At most one signal per reason can be necessary between two drains: the
  // guest's own rules give one signal per transition.
  std::uint64_t necessary = 0;
  if (!corrupt_) {
    // The TX ring went empty -> non-empty while our mask was clear
    // (hv_ringbuffer_write's rule for signalling).
    if (tx_unmasked_ && !tx_->empty()) {
      ++necessary;
      counters().add(Counter::signals_for_data);
    }
    // We had asked for room (pending_send_sz) and it is there (hv_pkt_iter_close).
    if (stalled_ && room_for(stalled_need_) == Room::ok && necessary < signals) {
      ++necessary;
      counters().add(Counter::signals_for_space);
    }
  }
  if (signals > necessary) counters().add(Counter::signals_unnecessary, signals - necessary);
  if (corrupt_) return;
  setup_.host->on_signal(*this);
  drain();
}

void HostChannel::drain() noexcept {
  if (faults_armed() && fault_fires(FaultKind::corrupt_tx_index)) {
    // Misaligned: IncomingRing/OutgoingRing::valid_index rejects it.
    tx_memory_.store_read_index(tx_memory_.load_read_index() | 4u);
    break_channel("TX", "read_index");
    return;
  }
  counters().add(Counter::drains);
  tx_->mask_interrupts();
  tx_unmasked_ = false;
  for (;;) {
    if (stalled_ && !retry_stalled()) return;  // wait for the guest to free room; TX stays masked
    if (corrupt_) return;

    std::uint32_t read = 0;
    while (read < kBatch && !stalled_ && !corrupt_) {
      auto packet = tx_->read({buffer_.get(), buffer_size_});
      if (!packet) {
        if (packet.error().code != vmbus::Errc::empty) close_corrupt("TX", packet.error());
        break;
      }
      ++read;
      counters().add(Counter::packets_in);
      counters().add(Counter::bytes_in, ring_bytes_for(packet->header.size(), packet->payload.size()));
      handle(*packet);
    }
    if (corrupt_) return;
    flush();
    if (stalled_) continue;       // retry once now, then wait for the guest
    if (read == kBatch) continue;  // more may be waiting
    // Clear the mask, then re-check after a full barrier: data that arrived in
    // the window would otherwise wait for a signal the guest will not send.
    if (!tx_->unmask_interrupts()) {
      tx_unmasked_ = true;
      return;
    }
    tx_->mask_interrupts();
  }
}

bool HostChannel::handle(const vmbus::IncomingPacket& packet) noexcept {
  if (faults_armed()) delay_before_handling();
  const PacketResult r = setup_.host->on_packet(*this, packet);
  if (!r.is_blocked() || corrupt_) return true;
  stalled_ = packet;  // its spans point into buffer_, which is not read into until it is handled
  stalled_need_ = r.ring_bytes();
  counters().add(Counter::host_blocked);
  counters().set_state(ChannelState::blocked);
  return false;
}

bool HostChannel::retry_stalled() noexcept {
  // A device host that says "blocked" while the room is there would spin
  // here; after a few immediate retries its packet is dropped.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const PacketResult r = setup_.host->on_packet(*this, *stalled_);
    if (corrupt_) return false;
    if (!r.is_blocked()) {
      stalled_.reset();
      rx_->cancel_space_signal();
      counters().set_state(ChannelState::open);
      return true;
    }
    stalled_need_ = r.ring_bytes();
    flush();
    // pending_send_sz, then a re-check after a full barrier: false means the
    // guest will signal when it has read enough (hv_pkt_iter_close).
    if (!rx_->request_space_signal(stalled_need_)) return false;
  }
  stalled_.reset();
  rx_->cancel_space_signal();
  counters().set_state(ChannelState::open);
  drop("the device host stayed blocked although the room it asked for was free");
  return true;
}

void HostChannel::flush() noexcept {
  if (corrupt_) return;
  if (faults_armed() && rx_->uncommitted_bytes() != 0 && fault_fires(FaultKind::corrupt_rx_index)) {
    // Past the end of the data area instead of the real commit: the guest's
    // IncomingRing must refuse it (corrupt_index), never read past its ring.
    rx_->revert();
    rx_memory_.store_write_index(rx_memory_.data_size() + 8);
    interrupt_guest(true, false);
    break_channel("RX", "write_index");
    return;
  }
  const bool data = rx_->commit();   // hv_ringbuffer_write: empty -> non-empty, mask clear
  const bool space = tx_->commit();  // hv_pkt_iter_close: the guest's pending_send_sz satisfied
  if (data || space) interrupt_guest(data, space);
}

void HostChannel::interrupt_guest(bool for_data, bool for_space) noexcept {
  if (faults_armed() && fault_fires(FaultKind::drop_interrupt)) return;
  // uio_event_notify: one event however many reasons; the eventfd adds up.
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(setup_.interrupt_fd, &one, sizeof one);
  counters().add(Counter::interrupts);
  if (for_data) counters().add(Counter::interrupts_for_data);
  if (for_space) counters().add(Counter::interrupts_for_space);
}

void HostChannel::close_corrupt(std::string_view ring, const vmbus::Error& error) noexcept {
  if (corrupt_) return;
  corrupt_ = true;
  rx_->revert();  // publish nothing more
  stalled_.reset();
  setup_.log->warn(std::string(label()) + ": the guest's " + std::string(ring) + " ring is corrupt (" + error.message() +
                   "); channel closed until the device is opened again");
  counters().add(Counter::corrupt_closes);
  counters().set_state(ChannelState::corrupt);
}

}  // namespace hvsim

namespace hvsim {

bool HostChannel::fault_fires(FaultKind kind) noexcept {
  if (!setup_.faults->take(kind)) return false;
  counters().add(Counter::faults_injected);
  setup_.log->info(std::string(label()) + ": injected fault " + std::string(fault_name(kind)));
  return true;
}

std::optional<FaultKind> HostChannel::take_payload_fault_slow(std::span<const FaultKind> kinds) noexcept {
  const std::optional<FaultKind> kind = setup_.faults->take_first(kinds);
  if (!kind) return std::nullopt;
  counters().add(Counter::faults_injected);
  setup_.log->info(std::string(label()) + ": injected fault " + std::string(fault_name(*kind)));
  return kind;
}

void HostChannel::delay_before_handling() noexcept {
  const std::uint32_t ms = setup_.faults->take_delay_ms();
  if (ms == 0) return;
  counters().add(Counter::faults_injected);
  setup_.log->info(std::string(label()) + ": injected fault delay-reply: " + std::to_string(ms) + " ms");
  timespec t{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1'000'000L};
  while (::nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

void HostChannel::corrupt_last_descriptor(FaultKind kind, std::uint32_t position) noexcept {
  vmbus::PacketDescriptor d{};
  rx_memory_.copy_out(position, &d, sizeof d);
  switch (kind) {
    case FaultKind::corrupt_length: d.len8 = 0xffff; break;                              // beyond the ring's data
    case FaultKind::corrupt_offset: d.offset8 = static_cast<std::uint16_t>(d.len8 + 1); break;  // payload past the end
    default: d.type = 0x77; break;                                                       // no vmbus_packet_type
  }
  rx_memory_.copy_in(position, &d, sizeof d);
  counters().add(Counter::faults_injected);
  setup_.log->info(std::string(label()) + ": injected fault " + std::string(fault_name(kind)) + " at RX offset " +
                   std::to_string(position));
}

void HostChannel::break_channel(std::string_view ring, std::string_view what) noexcept {
  corrupt_ = true;
  stalled_.reset();
  setup_.log->warn(std::string(label()) + ": injected fault: corrupted the guest's " + std::string(ring) + " ring " +
                   std::string(what) + "; the host stops serving the channel until the device is opened again");
  counters().set_state(ChannelState::broken);
}

}  // namespace hvsim
