// Simulator: the root, the control thread, start and stop, and the public API.
#include "hvsim/simulator.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "fs_util.h"
#include "simulator_impl.h"
#include "vmbus/hv_monitor_page.h"

namespace hvsim {
namespace {

namespace stdfs = std::filesystem;

bool socket_answers(const stdfs::path& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string s = path.string();
  if (!fd || s.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

// ---------------------------------------------------------------- lifecycle

void Simulator::Impl::prepare_root() {
  std::error_code ec;
  if (!stdfs::exists(paths.root, ec)) {
    stdfs::create_directories(paths.root, ec);
    if (ec) throw std::runtime_error("cannot create the root " + paths.root.string() + ": " + ec.message());
    created_root = true;
  }
  if (!stdfs::is_directory(paths.root, ec)) throw std::runtime_error("the root " + paths.root.string() + " is not a directory");
  if (socket_answers(paths.control_socket)) {
    throw std::runtime_error("another hvsim is running on " + paths.root.string() + " (" + paths.control_socket.string() +
                             " answers); stop it or choose another --root");
  }
  if (stdfs::exists(paths.staging, ec)) {
    // A previous hvsim died without cleaning up (its private directory is the mark).
    log().info("removing the tree a previous hvsim left in " + paths.root.string());
    for (const stdfs::path& p : {paths.sys, paths.dev, paths.stats, paths.control_socket, paths.staging}) fs::remove_tree(p);
  }
  for (const stdfs::path& p : {paths.sys, paths.dev, paths.stats, paths.control_socket}) {
    if (stdfs::exists(stdfs::symlink_status(p, ec))) {
      throw std::runtime_error(p.string() + " exists and was not made by hvsim; give hvsim an empty --root");
    }
  }
}

void Simulator::Impl::start() {
  std::lock_guard lock(mutex);
  if (started) return;
  prepare_root();
  try {
    pages.int_page = SharedMemory::create("int_page", 4096);
    pages.monitor_page = SharedMemory::create("monitor_page", sizeof(vmbus::HvMonitorPage));
    tree = std::make_unique<SysfsTree>(paths, pages);
    tree->create_skeleton();
    loop = std::make_unique<EventLoop>();
    start_subchannels();
    watcher = std::make_unique<DriverFileWatcher>(paths, *this, log());
    for (std::string_view driver : kDrivers) watcher->watch_driver(driver);
    loop->add(watcher->fd(), EPOLLIN, [this](std::uint32_t) { watcher->on_readable(); });
    // The devices first, then the control socket: a client that waits for
    // DIR/hvsim.ctl to appear finds every initial device offered.
    for (const DeviceSpec& spec : initial) offer(spec);
    control = std::make_unique<ControlServer>(
        *loop, paths, [this](const nlohmann::json& r) { return handle_control(r); }, log());
    stop_event = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    timer = UniqueFd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!stop_event || !timer) throw std::runtime_error("eventfd/timerfd: " + fs::errno_text(errno));
    const long ms = options.config.counter_refresh_ms;
    const itimerspec period{{ms / 1000, (ms % 1000) * 1000000}, {ms / 1000, (ms % 1000) * 1000000}};
    ::timerfd_settime(timer.get(), 0, &period, nullptr);
    loop->add(stop_event.get(), EPOLLIN, [this](std::uint32_t) { running.store(false); });
    loop->add(timer.get(), EPOLLIN, [this](std::uint32_t) {
      std::uint64_t ticks;
      [[maybe_unused]] const ssize_t n = ::read(timer.get(), &ticks, sizeof ticks);
      refresh_all();
    });
  } catch (...) {
    for (auto it = devices.rbegin(); it != devices.rend(); ++it) detach_uio(**it, true);
    devices.clear();
    control.reset();
    watcher.reset();
    if (tree) tree->remove_all();
    if (created_root) ::rmdir(paths.root.c_str());
    throw;
  }
  started = true;
  running.store(true);
  thread = std::thread([this] { run(); });
  log().info("simulating a Hyper-V host under " + paths.root.string() + " (" + std::to_string(devices.size()) + " devices)");
}

void Simulator::Impl::run() noexcept {
  epoll_event events[64];
  while (running.load()) {
    const int n = loop->wait(events, -1);
    std::lock_guard lock(mutex);
    for (int i = 0; i < n; ++i) {
      try {
        loop->dispatch(events[i]);
      } catch (const std::exception& e) {
        log().error(e.what());
      }
    }
  }
}

void Simulator::Impl::stop() noexcept {
  {
    std::lock_guard lock(mutex);
    if (!started) return;
    running.store(false);
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(stop_event.get(), &one, sizeof one);
  }
  thread.join();
  std::lock_guard lock(mutex);
  // The host goes away: its devices go with it, as if rescinded.
  for (auto it = devices.rbegin(); it != devices.rend(); ++it) detach_uio(**it, true);
  devices.clear();
  pending_rings.clear();
  control.reset();
  watcher.reset();
  tree->remove_all();
  loop.reset();
  subchannel_requests.reset();  // after every host service thread was joined
  ring_timer.reset();
  if (created_root) ::rmdir(paths.root.c_str());
  started = false;
  log().info("stopped; removed the tree under " + paths.root.string());
}

void Simulator::Impl::refresh_all() noexcept {
  for (const auto& d : devices) {
    try {
      tree->refresh(*d);
      d->refresh_failing = false;
    } catch (const std::exception& e) {
      // Someone removed or replaced part of the tree: say so once, not every tick.
      if (!d->refresh_failing) log().warn(d->label() + ": cannot refresh its files: " + e.what());
      d->refresh_failing = true;
    }
  }
}

// ---------------------------------------------------------------- Simulator

Simulator::Simulator(SimulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Simulator::~Simulator() { stop(); }

void Simulator::start() { impl_->start(); }
void Simulator::stop() noexcept { impl_->stop(); }
const TreePaths& Simulator::paths() const { return impl_->paths; }

namespace {

// Public methods report refusals as SimError.
template <typename Fn>
auto as_sim_error(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const BindError& e) {
    throw SimError(e.what());
  }
}

}  // namespace

DeviceStatus Simulator::offer(const DeviceConfig& device) {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->started) throw SimError("the simulator is not running");
  return as_sim_error([&] { return impl_->status_of(impl_->offer_config(device)); });
}

void Simulator::rescind(std::string_view device) {
  std::lock_guard lock(impl_->mutex);
  impl_->rescind(impl_->get(device));
}

void Simulator::bind(std::string_view device, std::string_view driver) {
  std::lock_guard lock(impl_->mutex);
  if (std::find(std::begin(kDrivers), std::end(kDrivers), driver) == std::end(kDrivers)) {
    throw SimError("no driver \"" + std::string(driver) + "\" (hv_netvsc, hv_utils, uio_hv_generic)");
  }
  as_sim_error([&] { impl_->probe(impl_->get(device), driver); });
}

void Simulator::unbind(std::string_view device) {
  std::lock_guard lock(impl_->mutex);
  as_sim_error([&] { impl_->remove(impl_->get(device)); });
}

std::vector<DeviceStatus> Simulator::devices() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<DeviceStatus> all;
  for (const auto& d : impl_->devices) all.push_back(impl_->status_of(*d));
  return all;
}

DeviceStatus Simulator::device(std::string_view device) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->status_of(impl_->get(device));
}

nlohmann::json Simulator::handle_control(const nlohmann::json& request) { return impl_->handle_control(request); }

}  // namespace hvsim
