// The control thread's epoll set: fds with a handler each. Handlers are found
// by a token, not a pointer, so a handler that removes another fd (a rescind
// closing a session) cannot leave a dangling entry in the current batch of
// events: a removed token is simply not found.
//
// Not thread-safe by itself: the Simulator calls everything (add, remove,
// dispatch) with its state mutex held; only wait() runs without it.
//
// Usage:
//   hvsim::EventLoop loop;
//   auto token = loop.add(fd, EPOLLIN, [&](std::uint32_t events) { ... });
//   int n = loop.wait(events, timeout_ms);
//   for (int i = 0; i < n; ++i) loop.dispatch(events[i]);
//   loop.remove(token);
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>

#include "unique_fd.h"

namespace hvsim {

class EventLoop {
 public:
  using Handler = std::function<void(std::uint32_t events)>;
  using Token = std::uint64_t;

  EventLoop();  // throws std::runtime_error
  Token add(int fd, std::uint32_t events, Handler handler);
  void remove(Token token) noexcept;  // unknown tokens are ignored
  // Waits without dispatching; returns the number of events (0 on EINTR).
  int wait(std::span<epoll_event> events, int timeout_ms) noexcept;
  void dispatch(const epoll_event& event);

 private:
  struct Entry {
    int fd;
    Handler handler;
  };
  UniqueFd epoll_;
  std::unordered_map<Token, Entry> entries_;
  Token next_ = 1;
};

}  // namespace hvsim
