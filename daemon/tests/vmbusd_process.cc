// The real vmbusd as a test's child process (vmbusd_process.h).
#include "vmbusd_process.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

#include "vmbus/device/discovery.h"

namespace vmbusd_test {

std::unique_ptr<vmbus::Device> open_leased(const pb::Device& claimed) {
  const vmbus::SysfsRoot root{claimed.lease_root()};
  return vmbus::Device::open(vmbus::describe_device(root, vmbus::Guid::parse(claimed.device_id()).value()));
}

std::unique_ptr<grpc::ClientContext> context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

VmbusdProcess::VmbusdProcess(const vmbus_it::HvsimProcess& sim, std::vector<std::string> extra_args,
                             std::filesystem::path run_dir) {
  static std::atomic<unsigned> counter{0};
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
  own_run_dir_ = run_dir.empty();
  run_dir_ = own_run_dir_ ? std::filesystem::temp_directory_path() / ("vmbusd-test-" + tag) : run_dir;
  std::vector<std::string> args = {VMBUSD_BINARY, "--sysfs-root", (sim.root() / "sys").string(), "--run-dir",
                                   run_dir_.string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  child_.emplace(std::move(args), std::filesystem::temp_directory_path() / ("vmbusd-test-" + tag + ".log"));
  // Ready once the log says so: both sockets serve, configured claims done.
  if (!child_->wait_for_log("vmbusd: ready:", std::chrono::seconds(10)) && child_->running()) {
    const std::string text = child_->log();
    (void)child_->stop();
    throw std::runtime_error("vmbusd did not become ready within 10 s; its log:\n" + text);
  }
}

VmbusdProcess::~VmbusdProcess() {
  child_.reset();
  std::error_code ec;
  if (own_run_dir_) std::filesystem::remove_all(run_dir_, ec);
}

std::shared_ptr<grpc::Channel> VmbusdProcess::reader_channel() const {
  return grpc::CreateChannel("unix:" + (run_dir_ / "reader.sock").string(), grpc::InsecureChannelCredentials());
}

std::shared_ptr<grpc::Channel> VmbusdProcess::admin_channel() const {
  return grpc::CreateChannel("unix:" + (run_dir_ / "admin.sock").string(), grpc::InsecureChannelCredentials());
}

}  // namespace vmbusd_test
