// CPU time taken by other processes, and by one process, from /proc.
#include "common/host_load.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace bench {

std::optional<std::uint64_t> process_cpu_ticks(pid_t pid) {
  // Field 2 (comm) may hold spaces, so count from the last ')'.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  const auto paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 > line.size()) return std::nullopt;
  std::istringstream fields(line.substr(paren + 2));  // starts at field 3
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  if (!(fields >> utime >> stime)) return std::nullopt;
  return utime + stime;
}

LoadSnapshot LoadSnapshot::take() {
  LoadSnapshot s;
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
  std::ifstream stat("/proc/stat");
  std::string label;
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(stat >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || label != "cpu") {
    return s;
  }
  s.total = user + nice + system + idle + iowait + irq + softirq + steal;
  s.busy = s.total - idle - iowait;
  const std::optional<std::uint64_t> self = process_cpu_ticks(::getpid());
  if (!self) return s;
  s.self = *self;
  s.valid = true;
  return s;
}

double foreign_cpu_share(const LoadSnapshot& before, const LoadSnapshot& after) noexcept {
  if (!before.valid || !after.valid || after.total <= before.total) return -1;
  const auto busy = static_cast<double>(after.busy - before.busy);
  const auto self = static_cast<double>(after.self - before.self);
  const auto total = static_cast<double>(after.total - before.total);
  const double share = (busy - self) / total;
  return share < 0 ? 0 : share;  // the two files are read at slightly different times
}

}  // namespace bench
