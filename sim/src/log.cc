// Logger: one write(2) per line, so lines from several threads do not interleave.
#include "hvsim/log.h"

#include <unistd.h>

namespace hvsim {

void Logger::emit(std::string_view level, std::string_view message) const {
  std::string line = "hvsim: ";
  line += level;
  line += message;
  if (sink_) {
    sink_(line);
    return;
  }
  line += '\n';
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace hvsim
