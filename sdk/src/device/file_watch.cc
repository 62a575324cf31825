// wait_for_file: inotify plus a periodic re-check (see file_watch.h).
#include "file_watch.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "../backing/unique_fd.h"

namespace vmbus::detail {
namespace {

constexpr std::chrono::milliseconds kRecheckInterval{50};

bool path_exists(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

// The deepest existing directory on the way from device_dir to file.
std::filesystem::path deepest_existing(const std::filesystem::path& file, const std::filesystem::path& device_dir) {
  std::filesystem::path dir = file.parent_path();
  while (!dir.empty() && dir != device_dir && !path_exists(dir)) dir = dir.parent_path();
  return dir.empty() ? device_dir : dir;
}

void drain(int inotify_fd) {
  alignas(inotify_event) char events[4096];
  while (::read(inotify_fd, events, sizeof events) > 0) {
  }
}

}  // namespace

WaitResult wait_for_file(const std::filesystem::path& file, const std::filesystem::path& device_dir,
                         std::chrono::steady_clock::time_point deadline) {
  using Clock = std::chrono::steady_clock;
  // Without inotify (fd limits), the re-check alone still works.
  UniqueFd watcher(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  std::filesystem::path watched;
  int watch = -1;
  for (;;) {
    if (path_exists(file)) return WaitResult::appeared;
    if (!path_exists(device_dir)) return WaitResult::device_gone;
    if (watcher) {
      std::filesystem::path dir = deepest_existing(file, device_dir);
      if (dir != watched) {
        if (watch >= 0) ::inotify_rm_watch(watcher.get(), watch);
        watch = ::inotify_add_watch(watcher.get(), dir.c_str(), IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF);
        watched = watch >= 0 ? dir : std::filesystem::path();
        // Created between the check above and the watch: look again.
        if (path_exists(file)) return WaitResult::appeared;
      }
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return WaitResult::timed_out;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                      std::chrono::milliseconds(1);
    const auto wait = std::min<std::chrono::milliseconds>(left, kRecheckInterval);
    pollfd p{watcher.get(), POLLIN, 0};
    // poll ignores a negative fd: then this is a plain sleep.
    if (::poll(&p, 1, static_cast<int>(wait.count())) > 0) drain(watcher.get());
  }
}

}  // namespace vmbus::detail
