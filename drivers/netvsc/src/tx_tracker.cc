// Send descriptors and completion matching (tx_tracker.h).
#include "tx_tracker.h"

namespace netvsc::internal {

void TxTracker::init(std::uint32_t queue, std::uint32_t slots) {
  if (slots == 0) slots = 1;
  if (slots > kMaxSlots) slots = kMaxSlots;
  count_ = slots;
  queue_ = queue;
  slots_ = std::make_unique<TxSlot[]>(slots);
  state_ = std::make_unique<std::atomic<std::uint32_t>[]>(slots);
  generation_ = std::make_unique<std::uint16_t[]>(slots);
  order_ = std::make_unique<std::uint32_t[]>(slots);
  for (std::uint32_t i = 0; i < slots; ++i) {
    state_[i].store(word(0, kFree), std::memory_order_relaxed);
    generation_[i] = 0;
    order_[i] = i;
  }
  head_ = tail_ = 0;
  head_at_ = tail_at_ = 0;
}

std::uint32_t TxTracker::acquire() noexcept {
  if (head_ - tail_ >= count_) return kNoSlot;
  const std::uint32_t i = order_[head_at_];
  ++head_;
  head_at_ = next(head_at_);
  ++generation_[i];  // a new generation for each use of the slot
  slots_[i] = TxSlot{};
  return i;
}

std::uint64_t TxTracker::trans_id(std::uint32_t i) const noexcept {
  return (std::uint64_t{queue_ & 0xffu} << 48) | (std::uint64_t{generation_[i]} << 32) | i;
}

void TxTracker::publish(std::uint32_t i) noexcept {
  // Release: a completer that matches this word sees the slot's fields.
  state_[i].store(word(generation_[i], kInFlight), std::memory_order_release);
}

void TxTracker::unacquire(std::uint32_t i) noexcept {
  --head_;
  head_at_ = (head_at_ == 0 ? count_ : head_at_) - 1;
  (void)i;
}

bool TxTracker::complete(std::uint16_t generation, std::uint32_t slot, bool ok) noexcept {
  if (slot >= count_) return false;  // `<`, never `<=`: see the file comment
  std::uint32_t expected = word(generation, kInFlight);
  return state_[slot].compare_exchange_strong(expected, word(generation, ok ? kDoneOk : kDoneFailed),
                                              std::memory_order_acq_rel, std::memory_order_relaxed);
}

const TxSlot* TxTracker::oldest_done(bool* ok) const noexcept {
  if (head_ == tail_) return nullptr;
  const std::uint32_t i = order_[tail_at_];
  const std::uint32_t w = state_[i].load(std::memory_order_acquire);
  const std::uint32_t phase = w & 0xffu;
  if (phase != kDoneOk && phase != kDoneFailed) return nullptr;
  if (ok != nullptr) *ok = phase == kDoneOk;
  return &slots_[i];
}

void TxTracker::retire() noexcept {
  const std::uint32_t i = order_[tail_at_];
  state_[i].store(word(generation_[i], kFree), std::memory_order_relaxed);
  ++tail_;  // slot i is now the last of the free ones
  tail_at_ = next(tail_at_);
}

bool TxTracker::done(std::uint32_t slot) const noexcept {
  const std::uint32_t phase = state_[slot].load(std::memory_order_acquire) & 0xffu;
  return phase == kDoneOk || phase == kDoneFailed;
}

// The oldest send goes behind the newest: it swaps places with the first
// free slot, which becomes the last free one. With every slot in flight the
// two positions are the same and this is a plain rotation.
void TxTracker::rotate_oldest() noexcept {
  std::uint32_t& oldest = order_[tail_at_];
  std::uint32_t& first_free = order_[head_at_];
  const std::uint32_t stuck = oldest;
  oldest = first_free;
  first_free = stuck;
  ++head_;
  ++tail_;
  head_at_ = next(head_at_);
  tail_at_ = next(tail_at_);
}

bool TxTracker::skip_stuck(std::uint32_t look_ahead) noexcept {
  const std::uint32_t n = in_flight();
  if (n < 2 || done(order_[tail_at_])) return false;
  const std::uint32_t last = look_ahead < n - 1 ? look_ahead : n - 1;
  std::uint32_t at = tail_at_;
  for (std::uint32_t k = 1; k <= last; ++k) {
    at = next(at);
    if (!done(order_[at])) continue;
    for (std::uint32_t j = 0; j < k; ++j) rotate_oldest();
    return true;
  }
  return false;
}

std::optional<DecodedTransId> TxTracker::decode(std::uint64_t trans_id) noexcept {
  if ((trans_id & 0xff00000000000000ull) != 0) return std::nullopt;
  return DecodedTransId{static_cast<std::uint32_t>((trans_id >> 48) & 0xffu),
                        static_cast<std::uint16_t>(trans_id >> 32), static_cast<std::uint32_t>(trans_id)};
}

}  // namespace netvsc::internal
