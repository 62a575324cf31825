// File: tests/integration/hvsim_process.h
//
// The real hvsim binary as a separate process for integration tests: the test
// process is the guest. HvsimProcess runs (tests/support/child_process.h) `hvsim --root <unique dir
// under /dev/shm> [--config FILE] [--monitor-latency-us N]`, waits (up to 10 s) for
// <root>/hvsim.ctl, runs `hvsim ctl --root R ... --json` and parses what it
// prints, and on destruction sends SIGTERM, reaps the process and removes the
// root if hvsim left anything behind.
//
// Usage:
//   HvsimProcess sim;                       // throws std::runtime_error with hvsim's log
//   nlohmann::json config = hvsim::to_json(hvsim::default_config());
//   config["subchannel_ring_delay_ms"] = 500;
//   HvsimProcess slow({.config = config});  // written to a file, passed as --config
//   vmbus::SysfsRoot root = sim.sysfs();    // <root>/sys, nodes in <root>/dev
//   nlohmann::json list = sim.ctl({"list"});
//   for (const auto& d : list["devices"]) ...
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "shell_command.h"
#include "vmbus/device/sysfs.h"

namespace vmbus_it {

class HvsimProcess {
 public:
  struct Options {
    std::optional<unsigned> monitor_latency_us{};
    // A whole config (hvsim --print-default-config shows one), passed as --config.
    std::optional<nlohmann::json> config{};
  };

  HvsimProcess() : HvsimProcess(Options{}) {}
  explicit HvsimProcess(const Options& options) {
    static std::atomic<unsigned> counter{0};
    const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    root_ = std::filesystem::path("/dev/shm") / ("vmbus-it-" + tag);
    log_ = std::filesystem::temp_directory_path() / ("vmbus-it-hvsim-" + tag + ".log");
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);

    std::vector<std::string> args = {HVSIM_BINARY, "--root", root_.string()};
    if (options.config) {
      config_ = std::filesystem::temp_directory_path() / ("vmbus-it-hvsim-" + tag + ".json");
      std::ofstream out(config_);
      out << options.config->dump(2) << "\n";
      if (!out) throw std::runtime_error("cannot write the hvsim config " + config_.string());
      args.push_back("--config");
      args.push_back(config_.string());
    }
    if (options.monitor_latency_us) {
      args.push_back("--monitor-latency-us");
      args.push_back(std::to_string(*options.monitor_latency_us));
    }
    // hvsim goes with the test process, even if a crash skips ~HvsimProcess.
    child_.emplace(std::move(args), log_);

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!std::filesystem::exists(control_socket())) {
      if (!child_->running()) {
        throw std::runtime_error("hvsim --root " + root_.string() + " exited before " +
                                 control_socket().string() + " appeared (status " +
                                 std::to_string(child_->exit_status()) + "); its log:\n" + log());
      }
      if (std::chrono::steady_clock::now() > deadline) {
        const std::string text = log();  // stop() removes it
        stop();
        throw std::runtime_error("hvsim --root " + root_.string() + ": " + control_socket().string() +
                                 " did not appear within 10 s; its log:\n" + text);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  ~HvsimProcess() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
    if (!config_.empty()) std::filesystem::remove(config_, ec);
  }

  HvsimProcess(const HvsimProcess&) = delete;
  HvsimProcess& operator=(const HvsimProcess&) = delete;

  const std::filesystem::path& root() const noexcept { return root_; }
  std::filesystem::path control_socket() const { return root_ / "hvsim.ctl"; }
  // The guest's view: <root>/sys, device nodes in <root>/dev.
  vmbus::SysfsRoot sysfs() const { return vmbus::SysfsRoot(root_ / "sys"); }
  pid_t pid() const noexcept { return child_ ? child_->pid() : -1; }

  // What hvsim printed so far.
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // `hvsim ctl --root R <args...> --json`: the JSON it prints. Throws
  // std::runtime_error with the exit status and output if it fails.
  nlohmann::json ctl(const std::vector<std::string>& args) const {
    using vmbus_support::shell_quote;
    std::string command = shell_quote(HVSIM_BINARY) + " ctl --root " + shell_quote(root_.string());
    for (const std::string& a : args) command += " " + shell_quote(a);
    command += " --json";
    const vmbus_support::ShellResult r = vmbus_support::run_shell(command);
    if (r.status != 0) {
      throw std::runtime_error(command + " failed (status " + std::to_string(r.status) + "): " + r.output);
    }
    try {
      return nlohmann::json::parse(r.output);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(command + " printed something else than JSON (" + e.what() + "): " + r.output);
    }
  }

  // The device entry `name` (or instance) from `ctl list`.
  nlohmann::json device(const std::string& name) const {
    nlohmann::json list = ctl({"list", name});
    const nlohmann::json& devices = list.at("devices");
    if (devices.size() != 1) throw std::runtime_error("ctl list " + name + ": not one device: " + list.dump());
    return devices[0];
  }

 private:
  // SIGTERM (hvsim cleans its tree up), SIGKILL if it hangs for 10 s; the log is removed.
  void stop() noexcept { child_.reset(); }

  std::filesystem::path root_;
  std::filesystem::path log_;
  std::filesystem::path config_;  // the --config file, if any
  std::optional<vmbus_support::ChildProcess> child_;
};

}  // namespace vmbus_it
