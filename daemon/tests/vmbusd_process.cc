// The real vmbusd as a test's child process (vmbusd_process.h).
#include "vmbusd_process.h"

#include "vmbus/device/discovery.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace vmbusd_test {
namespace {

int decode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

}  // namespace

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
  log_ = std::filesystem::temp_directory_path() / ("vmbusd-test-" + tag + ".log");

  std::vector<std::string> args = {VMBUSD_BINARY, "--sysfs-root", (sim.root() / "sys").string(), "--run-dir",
                                   run_dir_.string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::execv(VMBUSD_BINARY, argv.data());
    ::_exit(127);
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status_ = decode(status);
      return;
    }
    // Ready once the log says so: both sockets serve, configured claims done.
    if (log().find("vmbusd: ready:") != std::string::npos) return;
    if (std::chrono::steady_clock::now() > deadline) {
      const std::string text = log();
      (void)stop();
      throw std::runtime_error("vmbusd did not become ready within 10 s; its log:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

VmbusdProcess::~VmbusdProcess() {
  (void)stop();
  std::error_code ec;
  std::filesystem::remove(log_, ec);
  if (own_run_dir_) std::filesystem::remove_all(run_dir_, ec);
}

int VmbusdProcess::stop() {
  if (pid_ <= 0) return exit_status_;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  exit_status_ = decode(status);
  return exit_status_;
}

std::string VmbusdProcess::log() const {
  std::ifstream in(log_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::shared_ptr<grpc::Channel> VmbusdProcess::reader_channel() const {
  return grpc::CreateChannel("unix:" + (run_dir_ / "reader.sock").string(), grpc::InsecureChannelCredentials());
}

std::shared_ptr<grpc::Channel> VmbusdProcess::admin_channel() const {
  return grpc::CreateChannel("unix:" + (run_dir_ / "admin.sock").string(), grpc::InsecureChannelCredentials());
}

}  // namespace vmbusd_test
