// vmbusd's log lines (daemon_log.h).
#include "daemon_log.h"

#include <unistd.h>

#include <string>

namespace vmbusd {
namespace {

void emit(std::string_view level, std::string_view message) noexcept {
  try {
    std::string line = "vmbusd: ";
    line += level;
    line += message;
    line += '\n';
    // One write(2) per line, so lines from several threads never interleave.
    (void)!::write(STDERR_FILENO, line.data(), line.size());
  } catch (...) {  // bad_alloc: nothing sensible left to say
  }
}

}  // namespace

void log_info(std::string_view message) noexcept { emit("", message); }
void log_warn(std::string_view message) noexcept { emit("warning: ", message); }

}  // namespace vmbusd
