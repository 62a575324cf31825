// The bounded event history behind WatchEvents (event_bus.h).
#include "event_bus.h"

#include "proto_convert.h"

namespace vmbusd {

void EventBus::publish(vmbus::control::v1::Event event) {
  {
    std::lock_guard lock(mutex_);
    event.set_sequence(++last_);
    to_proto(SystemClock::now(), *event.mutable_time());
    events_.push_back(std::move(event));
    while (events_.size() > retained_) events_.pop_front();
  }
  changed_.notify_all();
}

void EventBus::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

std::uint64_t EventBus::last_sequence() const {
  std::lock_guard lock(mutex_);
  return last_;
}

bool EventBus::wait_after(std::uint64_t after, Batch& out, std::chrono::milliseconds timeout) {
  out.events.clear();
  out.dropped = 0;
  out.first_dropped = 0;
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return closed_ || last_ > after; });
  if (closed_) return false;
  out.next_after = after;
  if (last_ <= after) return true;  // timed out: nothing new
  const std::uint64_t oldest = events_.empty() ? last_ + 1 : events_.front().sequence();
  if (oldest > after + 1) {
    out.dropped = oldest - (after + 1);
    out.first_dropped = after + 1;
  }
  for (const auto& e : events_) {
    if (e.sequence() > after) out.events.push_back(e);
  }
  out.next_after = last_;
  return true;
}

}  // namespace vmbusd
