// A signal handler that only records which signal asked to stop.
#include "common/stop_signal.h"

#include <signal.h>

#include <atomic>
#include <cstring>
#include <string>

namespace bench {
namespace {

// Lock-free, hence async-signal-safe to store from the handler.
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int sig) { g_signal.store(sig, std::memory_order_relaxed); }

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);  // glibc 2.32
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

}  // namespace

Interrupted::Interrupted(int sig) : std::runtime_error("interrupted by " + signal_name(sig)), signal(sig) {}

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR and the loop sees the flag
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &action, nullptr);
  // Sends to a peer that went away fail with EPIPE instead of killing us.
  ::signal(SIGPIPE, SIG_IGN);
}

int stop_signal() noexcept { return g_signal.load(std::memory_order_relaxed); }

void throw_if_stopped() {
  if (const int sig = stop_signal(); sig != 0) throw Interrupted(sig);
}

}  // namespace bench
