// File: bench/common/hvsim_child.h
//
// hvsim as a child process of the benchmark, under a fresh root in /dev/shm:
// fork + exec `hvsim --root /dev/shm/<root_prefix>-<pid>-<n>
// [--config FILE] [--monitor-latency-us N]`, its output to a log file, then wait (up to 10 s)
// for <root>/hvsim.ctl. `ctl()` runs `hvsim ctl --root R ... --json` (no
// shell) and parses what it prints. stop() (and the destructor) sends
// SIGTERM, waits up to 10 s (SIGKILL after that), and removes the root and
// the log whatever hvsim left. hvsim gets SIGTERM too if the benchmark dies
// without unwinding (PR_SET_PDEATHSIG), and hvsim removes its tree on SIGTERM.
// It runs in its own process group, so a Ctrl-C reaches only the benchmark,
// which gives the device back before it stops hvsim.
//
// Usage:
//   HvsimChild sim({.binary = "/path/to/hvsim", .monitor_latency_us = std::nullopt});  // throws, with hvsim's log
//   vmbus::SysfsRoot root(sim.sysfs_root());
//   nlohmann::json stats = sim.ctl({"stats", "echo"});
//   sim.stop();
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bench {

class HvsimChild {
 public:
  struct Options {
    std::string binary;                               // the hvsim executable
    std::optional<std::uint32_t> monitor_latency_us;  // --monitor-latency-us; hvsim's default if empty
    std::string root_prefix = "vmbus-echo-bench";     // the root's name in /dev/shm, before -<pid>-<n>
    std::optional<std::filesystem::path> config;       // --config FILE; hvsim's default VM if empty
  };

  // Throws std::runtime_error naming the binary, the root and what went
  // wrong, with hvsim's log when it got that far.
  explicit HvsimChild(const Options& options);
  ~HvsimChild();
  HvsimChild(const HvsimChild&) = delete;
  HvsimChild& operator=(const HvsimChild&) = delete;

  const std::filesystem::path& root() const noexcept { return root_; }
  std::filesystem::path sysfs_root() const { return root_ / "sys"; }
  const std::string& binary() const noexcept { return binary_; }
  pid_t pid() const noexcept { return pid_; }

  // Still running? Once it exited, exit_text() says how ("exit status 1", "killed by signal 9").
  bool running();
  const std::string& exit_text() const noexcept { return exit_text_; }

  // What hvsim printed so far; the last `max_lines` lines.
  std::string log_tail(std::size_t max_lines = 20) const;

  // `hvsim ctl --root R <args...> --json`. Throws std::runtime_error with the
  // command, its exit status and its output if it fails or prints no JSON.
  nlohmann::json ctl(const std::vector<std::string>& args) const;

  // SIGTERM, wait, remove the root and the log. Idempotent; never throws.
  void stop() noexcept;

 private:
  std::string binary_;
  std::filesystem::path root_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  std::string exit_text_;
};

}  // namespace bench
