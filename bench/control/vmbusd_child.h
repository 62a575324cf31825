// File: bench/control/vmbusd_child.h
//
// vmbusd as a child process of a benchmark, serving an hvsim root
// (`vmbusd --sysfs-root R --run-dir D`, tests/support/child_process.h),
// ready once its log says so (up to 10 s). The destructor stops it and
// removes the run directory.
//
// Usage:
//   bench::VmbusdChild daemon(binary, sim.sysfs_root());   // throws with vmbusd's log
//   auto channel = grpc::CreateChannel("unix:" + daemon.admin_socket().string(), ...);
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "child_process.h"

namespace bench {

class VmbusdChild {
 public:
  VmbusdChild(const std::string& binary, const std::filesystem::path& sysfs_root);
  ~VmbusdChild();
  VmbusdChild(const VmbusdChild&) = delete;
  VmbusdChild& operator=(const VmbusdChild&) = delete;

  std::filesystem::path reader_socket() const { return run_dir_ / "reader.sock"; }
  std::filesystem::path admin_socket() const { return run_dir_ / "admin.sock"; }

 private:
  std::filesystem::path run_dir_;
  std::optional<vmbus_support::ChildProcess> child_;
};

}  // namespace bench
