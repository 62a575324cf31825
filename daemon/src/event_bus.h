// File: daemon/src/event_bus.h
//
// What happens on the bus, for WatchEvents: a bounded history of
// vmbus.control.v1.Event messages, each numbered (sequence, strictly
// increasing) and time-stamped when published. Publishers are the registry
// (claims, releases), the lease server (lease start and end) and the bus
// watcher (offers, rescinds, ring-full); readers are the WatchEvents
// streams, each following its own cursor. A reader that falls more than
// `retained` events behind learns how many it missed (EVENTS_DROPPED)
// instead of blocking publishers: nobody on the control plane ever waits
// for a slow client.
//
// Usage:
//   EventBus bus;
//   bus.publish(event);                              // any thread
//   std::uint64_t cursor = bus.last_sequence();
//   EventBus::Batch b;
//   while (bus.wait_after(cursor, b, 1s)) { send(b.events); cursor = b.next_after; }
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "vmbus/control/v1/control.pb.h"

namespace vmbusd {

class EventBus {
 public:
  explicit EventBus(std::size_t retained = 4096) : retained_(retained) {}

  // Numbers and time-stamps `event` and keeps it; wakes the readers.
  void publish(vmbus::control::v1::Event event);
  // Ends every wait_after: the daemon is stopping.
  void close();

  struct Batch {
    std::vector<vmbus::control::v1::Event> events;  // sequence > the cursor, oldest first
    std::uint64_t dropped = 0;        // events after the cursor no longer retained
    std::uint64_t first_dropped = 0;  // the first of them
    std::uint64_t next_after = 0;     // the cursor to pass next time
  };
  // Waits up to `timeout` for events after `after`. False once closed.
  bool wait_after(std::uint64_t after, Batch& out, std::chrono::milliseconds timeout);
  std::uint64_t last_sequence() const;

 private:
  const std::size_t retained_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<vmbus::control::v1::Event> events_;
  std::uint64_t last_ = 0;
  bool closed_ = false;
};

}  // namespace vmbusd
