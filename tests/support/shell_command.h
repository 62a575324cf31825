// File: tests/support/shell_command.h
//
// A command line run through the shell, as a person would type it, for tests
// that check what a command-line tool prints and how it exits (hvsim ctl,
// vmbusctl): stdout and stderr together, and the exit status.
//
// Usage:
//   vmbus_support::ShellResult r = vmbus_support::run_shell("hvsim ctl --root R list");
//   EXPECT_EQ(r.status, 0) << r.output;
#pragma once

#include <string>

namespace vmbus_support {

struct ShellResult {
  int status = -1;     // the exit status; -1 if it could not run or died by a signal
  std::string output;  // stdout and stderr, interleaved as written
};

ShellResult run_shell(const std::string& command);

// `text` in single quotes for the shell (a ' inside becomes '\'').
std::string shell_quote(const std::string& text);

}  // namespace vmbus_support
