// EventLoop: epoll with token-addressed handlers.
#include "event_loop.h"

#include <cerrno>
#include <stdexcept>

#include "fs_util.h"

namespace hvsim {

EventLoop::EventLoop() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) throw std::runtime_error("epoll_create1: " + fs::errno_text(errno));
}

EventLoop::Token EventLoop::add(int fd, std::uint32_t events, Handler handler) {
  const Token token = next_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    throw std::runtime_error("epoll_ctl(ADD, fd " + std::to_string(fd) + "): " + fs::errno_text(errno));
  }
  entries_.emplace(token, Entry{fd, std::move(handler)});
  return token;
}

void EventLoop::remove(Token token) noexcept {
  auto it = entries_.find(token);
  if (it == entries_.end()) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.fd, nullptr);
  entries_.erase(it);
}

int EventLoop::wait(std::span<epoll_event> events, int timeout_ms) noexcept {
  const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
  return n < 0 ? 0 : n;
}

void EventLoop::dispatch(const epoll_event& event) {
  // A copy, not a reference: struct epoll_event is packed on x86-64
  // (<sys/epoll.h>, __EPOLL_PACKED), so data.u64 may sit at offset 4.
  const Token token = event.data.u64;
  auto it = entries_.find(token);
  if (it == entries_.end()) return;
  // Copy: the handler may remove itself.
  Handler handler = it->second.handler;
  handler(event.events);
}

}  // namespace hvsim
