// hvsim as a child process: start, ctl, stop, clean up.
#include "common/hvsim_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "common/stop_signal.h"

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

std::string command_text(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& a : argv) text += (text.empty() ? "" : " ") + a;
  return text;
}

// In a forked child, before exec: die with the parent (the benchmark), even
// if it is SIGKILLed; hvsim cleans its tree up on SIGTERM.
void die_with_parent(pid_t parent, int sig) {
  ::prctl(PR_SET_PDEATHSIG, sig);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
}

// What a forked child executes, prepared before fork(): after it, only
// async-signal-safe calls (the SDK may have started threads).
struct ExecPlan {
  explicit ExecPlan(const std::vector<std::string>& args)
      : failure("exec " + args.at(0) + " failed\n"), null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {
    if (null_fd < 0) throw std::runtime_error(std::string("cannot open /dev/null: ") + std::strerror(errno));
    argv.reserve(args.size() + 1);
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
  }
  ~ExecPlan() { ::close(null_fd); }
  ExecPlan(const ExecPlan&) = delete;
  ExecPlan& operator=(const ExecPlan&) = delete;

  std::vector<char*> argv;
  std::string failure;
  int null_fd;
};

[[noreturn]] void exec_child(const ExecPlan& plan, int out_fd, pid_t parent) {
  die_with_parent(parent, SIGTERM);
  // The benchmark's stop handlers must not survive into the child.
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGHUP, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
  // Its own process group: a Ctrl-C reaches the benchmark only, which gives
  // the device back before it stops hvsim. No terminal input either.
  ::setpgid(0, 0);
  ::dup2(plan.null_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(out_fd, 2);
  ::execv(plan.argv[0], plan.argv.data());
  [[maybe_unused]] const ssize_t n = ::write(2, plan.failure.data(), plan.failure.size());
  ::_exit(127);
}

std::filesystem::path fresh_root(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  for (;;) {
    const std::filesystem::path root =
        std::filesystem::path("/dev/shm") /
        (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    if (!std::filesystem::exists(root)) return root;
  }
}

}  // namespace

HvsimChild::HvsimChild(const Options& options) : binary_(options.binary) {
  if (::access(binary_.c_str(), X_OK) != 0) {
    throw std::runtime_error("hvsim binary " + binary_ + ": " + std::strerror(errno) +
                             " (build the hvsim target, or give its path with --hvsim PATH)");
  }
  if (!std::filesystem::is_directory("/dev/shm")) {
    throw std::runtime_error("/dev/shm is not a directory: hvsim's root goes there (a tmpfs)");
  }
  root_ = fresh_root(options.root_prefix);
  log_ = std::filesystem::temp_directory_path() / (root_.filename().string() + ".hvsim.log");

  std::vector<std::string> args = {binary_, "--root", root_.string()};
  if (options.config) {
    args.push_back("--config");
    args.push_back(options.config->string());
  }
  if (options.monitor_latency_us) {
    args.push_back("--monitor-latency-us");
    args.push_back(std::to_string(*options.monitor_latency_us));
  }
  const ExecPlan plan(args);
  const int log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot create hvsim's log " + log_.string() + ": " + std::strerror(errno));
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) exec_child(plan, log_fd, parent);
  const int fork_errno = errno;
  ::close(log_fd);
  if (pid_ < 0) {
    std::filesystem::remove(log_);
    throw std::runtime_error(std::string("fork for hvsim failed: ") + std::strerror(fork_errno));
  }

  const std::filesystem::path control = root_ / "hvsim.ctl";
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  try {
    while (!std::filesystem::exists(control)) {
      throw_if_stopped();
      if (!running()) {
        throw std::runtime_error(command_text(args) + " exited (" + exit_text_ + ") before " + control.string() +
                                 " appeared; its log:\n" + log_tail());
      }
      if (Clock::now() > deadline) {
        throw std::runtime_error(command_text(args) + ": " + control.string() +
                                 " did not appear within 10 s; its log:\n" + log_tail());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  } catch (...) {
    stop();
    throw;
  }
}

HvsimChild::~HvsimChild() { stop(); }

bool HvsimChild::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  exit_text_ = r == pid_ ? describe_status(status) : std::string("waitpid: ") + std::strerror(errno);
  pid_ = -1;
  return false;
}

std::string HvsimChild::log_tail(std::size_t max_lines) const {
  std::ifstream in(log_);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string text;
  for (const std::string& l : lines) text += "  " + l + "\n";
  return text.empty() ? "  (empty)\n" : text;
}

nlohmann::json HvsimChild::ctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {binary_, "ctl", "--root", root_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--json");
  const std::string command = command_text(argv);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error(command + ": pipe: " + std::strerror(errno));
  const ExecPlan plan(argv);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child == 0) exec_child(plan, pipe_fds[1], parent);
  const int fork_errno = errno;
  ::close(pipe_fds[1]);
  if (child < 0) {
    ::close(pipe_fds[0]);
    throw std::runtime_error(command + ": fork: " + std::strerror(fork_errno));
  }

  // Read everything it prints, for at most 10 s.
  std::string out;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) {
      if (stop_requested()) break;
      continue;
    }
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  if (timed_out || stop_requested()) ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  throw_if_stopped();
  if (timed_out) throw std::runtime_error(command + ": no answer within 10 s; it printed: " + out);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(command + " failed (" + describe_status(status) + "): " + out);
  }
  try {
    return nlohmann::json::parse(out);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(command + " printed something other than JSON (" + e.what() + "): " + out);
  }
}

void HvsimChild::stop() noexcept {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    // hvsim removes its tree on SIGTERM; give it time, SIGKILL if it hangs.
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    int status = 0;
    for (;;) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) break;
      if (Clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    exit_text_ = describe_status(status);
    pid_ = -1;
  }
  std::error_code ec;
  if (!root_.empty()) std::filesystem::remove_all(root_, ec);
  if (!log_.empty()) std::filesystem::remove(log_, ec);
}

}  // namespace bench
