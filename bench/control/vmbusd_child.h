// File: bench/control/vmbusd_child.h
//
// vmbusd as a child process of a benchmark, serving an hvsim root: fork +
// exec `vmbusd --sysfs-root R --run-dir D`, its output to a log file; ready
// once the log says so (up to 10 s). The destructor sends SIGTERM, waits,
// and removes the run directory. vmbusd gets SIGTERM too if the benchmark
// dies without unwinding (PR_SET_PDEATHSIG).
//
// Usage:
//   bench::VmbusdChild daemon(binary, sim.sysfs_root());   // throws with vmbusd's log
//   auto channel = grpc::CreateChannel("unix:" + daemon.admin_socket().string(), ...);
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace bench {

class VmbusdChild {
 public:
  VmbusdChild(const std::string& binary, const std::filesystem::path& sysfs_root);
  ~VmbusdChild();
  VmbusdChild(const VmbusdChild&) = delete;
  VmbusdChild& operator=(const VmbusdChild&) = delete;

  std::filesystem::path reader_socket() const { return run_dir_ / "reader.sock"; }
  std::filesystem::path admin_socket() const { return run_dir_ / "admin.sock"; }
  pid_t pid() const noexcept { return pid_; }
  std::string log() const;

 private:
  std::filesystem::path run_dir_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

}  // namespace bench
