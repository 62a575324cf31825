// File: daemon/tests/vmbusd_process.h
//
// The real vmbusd binary as a child process of a test, serving an hvsim
// root: fork+exec `vmbusd --sysfs-root <hvsim>/sys --run-dir <fresh dir>
// [extra args]`, wait (up to 10 s) until its admin socket answers a health
// check... or it exits, and gRPC stubs for its two sockets. stop() sends
// SIGTERM and returns the exit status; the destructor stops it and removes
// the run directory.
//
// Usage:
//   vmbus_it::HvsimProcess sim;
//   VmbusdProcess daemon(sim, {"--claim", "network"});
//   auto devices = daemon.reader_devices();          // DeviceService on reader.sock
//   grpc::ClientContext ctx; pb::ListDevicesResponse r;
//   ASSERT_TRUE(devices->ListDevices(&ctx, {}, &r).ok());
//   EXPECT_EQ(daemon.stop(), 0);
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "hvsim_process.h"
#include "vmbus/device/device.h"
#include "vmbus/control/v1/control.grpc.pb.h"

namespace vmbusd_test {

namespace pb = vmbus::control::v1;

class VmbusdProcess {
 public:
  // Starts vmbusd and waits for it. If it exits first, the exit status and
  // its log are in exit_status() and log() (no exception): tests of refusals
  // look there. Throws std::runtime_error if it neither serves nor exits in 10 s.
  VmbusdProcess(const vmbus_it::HvsimProcess& sim, std::vector<std::string> extra_args = {},
                std::filesystem::path run_dir = {});
  ~VmbusdProcess();
  VmbusdProcess(const VmbusdProcess&) = delete;
  VmbusdProcess& operator=(const VmbusdProcess&) = delete;

  bool running() { return child_->running(); }
  // SIGTERM, then the exit status (128 + signal if killed; SIGKILL after 10 s).
  int stop() { return child_->stop(); }
  int exit_status() const noexcept { return child_->exit_status(); }
  std::string log() const { return child_->log(); }
  // True once the log holds `text`, polling up to `timeout`: vmbusd writes a
  // line after the reply it logs may have reached the test.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (log().find(text) != std::string::npos) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  const std::filesystem::path& run_dir() const noexcept { return run_dir_; }
  pid_t pid() const noexcept { return child_->pid(); }

  std::shared_ptr<grpc::Channel> reader_channel() const;
  std::shared_ptr<grpc::Channel> admin_channel() const;
  std::unique_ptr<pb::DeviceService::Stub> reader_devices() const { return pb::DeviceService::NewStub(reader_channel()); }
  std::unique_ptr<pb::LeaseService::Stub> reader_leases() const { return pb::LeaseService::NewStub(reader_channel()); }
  std::unique_ptr<pb::DeviceService::Stub> admin_devices() const { return pb::DeviceService::NewStub(admin_channel()); }
  std::unique_ptr<pb::LeaseService::Stub> admin_leases() const { return pb::LeaseService::NewStub(admin_channel()); }

 private:
  std::filesystem::path run_dir_;
  bool own_run_dir_ = false;
  std::optional<vmbus_support::ChildProcess> child_;
};

// A ClientContext with a 10 s deadline: a hung daemon fails the test, not CI.
std::unique_ptr<grpc::ClientContext> context();

// Opens a device vmbusd claimed as any SDK driver would, given vmbusd's
// lease root (claimed.lease_root()): the lease starts. Throws DeviceError.
std::unique_ptr<vmbus::Device> open_leased(const pb::Device& claimed);

}  // namespace vmbusd_test
