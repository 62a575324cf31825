// CPU time taken by other processes, from /proc.
#include "host_load.h"

#include <fstream>
#include <sstream>
#include <string>

namespace bench {

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

  // /proc/self/stat: utime and stime are fields 14 and 15; field 2 (comm) may
  // hold spaces, so count from the last ')'.
  std::ifstream self("/proc/self/stat");
  std::string line;
  if (!std::getline(self, line)) return s;
  const auto paren = line.rfind(')');
  if (paren == std::string::npos) return s;
  std::istringstream fields(line.substr(paren + 2));  // starts at field 3
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  if (!(fields >> utime >> stime)) return s;
  s.self = utime + stime;
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
