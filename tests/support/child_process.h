// File: tests/support/child_process.h
//
// A program run as a child of a test or a benchmark (vmbusd, hvsim): fork +
// exec with its stdout and stderr in a log file, and SIGTERM if the parent
// dies without unwinding (PR_SET_PDEATHSIG). stop() sends SIGTERM, waits,
// SIGKILLs after a grace period, and returns how it ended; the destructor
// stops it and removes the log.
//
// Usage:
//   ChildProcess vmbusd({"/path/vmbusd", "--run-dir", dir}, "/tmp/vmbusd.log");
//   if (!vmbusd.wait_for_log("vmbusd: ready", std::chrono::seconds(10))) fail(vmbusd.log());
//   int status = vmbusd.stop();   // 0, an exit status, or 128 + the signal
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace vmbus_support {

class ChildProcess {
 public:
  // Throws std::runtime_error if fork fails. An exec failure shows as exit
  // status 127 with nothing in the log.
  ChildProcess(std::vector<std::string> argv, std::filesystem::path log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Still running? Reaps it if it exited.
  bool running() noexcept;
  // SIGTERM, then SIGKILL after `grace`. The exit status, or 128 + the
  // signal that ended it. Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10)) noexcept;
  // Until `text` is in the log (true), or the child exited or `timeout`
  // passed (false).
  bool wait_for_log(std::string_view text, std::chrono::milliseconds timeout);

  int exit_status() const noexcept { return exit_status_; }
  pid_t pid() const noexcept { return pid_; }
  std::string log() const;

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

}  // namespace vmbus_support
