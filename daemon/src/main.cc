// vmbusd: claims VMBus devices for user space and serves the gRPC control
// API (docs/vmbusd.md). SIGTERM or SIGINT stops it: the sockets close, then
// every device it claimed goes back to the driver it had.
#include <signal.h>

#include <cstdio>
#include <exception>

#include "bus_watcher.h"
#include "control_server.h"
#include "daemon_config.h"
#include "daemon_log.h"
#include "device_registry.h"

int main(int argc, char** argv) {
  vmbusd::DaemonConfig config;
  if (auto exit_code = vmbusd::parse_daemon_options(argc, argv, config)) return *exit_code;

  // Signals are taken by sigwait below, never by a handler on some gRPC
  // thread: block them before any thread exists.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    const vmbus::SysfsRoot root = config.dev_dir.empty() ? vmbus::SysfsRoot(config.sysfs_root)
                                                         : vmbus::SysfsRoot(config.sysfs_root, config.dev_dir);
    vmbusd::EventBus bus;
    vmbusd::DeviceRegistry registry(root, config.run_dir / "root");
    registry.publish_to(&bus);
    vmbusd::ControlServer server(config, registry, &bus);
    server.start();  // takes the run directory's lock first
    registry.start();
    vmbusd::BusWatcher watcher(registry, bus);
    watcher.start();
    for (const std::string& selector : config.claim) {
      try {
        (void)registry.claim(selector);
      } catch (const vmbusd::ControlError& e) {
        vmbusd::log_warn("config names '" + selector + "' to claim: " + e.what());
      }
    }
    vmbusd::log_info("ready: " + root.devices_dir().string());
    int signal = 0;
    sigwait(&stop_signals, &signal);
    vmbusd::log_info(std::string("stopping (") + (signal == SIGINT ? "SIGINT" : "SIGTERM") + ")");
    watcher.stop();
    server.stop();
    registry.release_all();
    vmbusd::log_info("stopped");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vmbusd: %s\n", e.what());
    return 1;
  }
}
