// vmbusd as a benchmark's child process (vmbusd_child.h).
#include "control/vmbusd_child.h"

#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace bench {

VmbusdChild::VmbusdChild(const std::string& binary, const std::filesystem::path& sysfs_root) {
  const std::string tag = std::to_string(::getpid());
  run_dir_ = std::filesystem::temp_directory_path() / ("vmbus-control-bench-" + tag);
  child_.emplace(std::vector<std::string>{binary, "--sysfs-root", sysfs_root.string(), "--run-dir", run_dir_.string()},
                 std::filesystem::temp_directory_path() / ("vmbus-control-bench-" + tag + ".log"));
  if (!child_->wait_for_log("vmbusd: ready", std::chrono::seconds(10))) {
    const std::string log = child_->log();
    throw std::runtime_error(binary + (child_->running() ? " was not ready within 10 s" : " exited at start") +
                             "; its log:\n" + log);
  }
}

VmbusdChild::~VmbusdChild() {
  child_.reset();
  std::error_code ec;
  std::filesystem::remove_all(run_dir_, ec);
}

}  // namespace bench
