// File: bench/common/stop_signal.h
//
// Stopping a benchmark cleanly on SIGINT, SIGTERM or SIGHUP: the handler only
// records the signal; every measuring loop and every wait checks it and
// throws `Interrupted`, so the stack unwinds through the destructors that give
// the device back, stop hvsim and remove its root. The handlers are installed
// without SA_RESTART, so a blocking recv() or waitpid() returns EINTR at once.
//
// Usage:
//   install_stop_handlers();
//   while (...) { throw_if_stopped(); ... }
//   catch (const Interrupted& e) { return 128 + e.signal; }
#pragma once

#include <stdexcept>

namespace bench {

struct Interrupted : std::runtime_error {
  explicit Interrupted(int sig);
  int signal;
};

void install_stop_handlers();
// The signal that asked to stop, 0 if none.
int stop_signal() noexcept;
inline bool stop_requested() noexcept { return stop_signal() != 0; }
// Throws Interrupted if a stop signal arrived.
void throw_if_stopped();

}  // namespace bench
