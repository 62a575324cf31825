// hvsim: run a simulated Hyper-V host under a root directory, or control a
// running one (`hvsim ctl`, ctl_command.cc).
// GCC 12 reports a "potential null pointer dereference" inside Boost 1.74's
// typed_value<std::string>::notify() (as bench/ring/ring_options.cc explains):
// off for this file, which is command-line handling only.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <signal.h>

#include <boost/program_options.hpp>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "hvsim/config.h"
#include "hvsim/simulator.h"

int run_ctl(int argc, char** argv);  // ctl_command.cc

namespace {

namespace po = boost::program_options;

constexpr const char* kUsage = R"(hvsim: a simulated Hyper-V host for user-space VMBus drivers

It shows what a Linux guest with uio_hv_generic sees, under DIR:
  DIR/sys/bus/vmbus/devices/<instance>/   the kernel's sysfs tree
  DIR/sys/bus/vmbus/drivers/<driver>/     bind, unbind, new_id: write them to bind
  DIR/dev/uioN                            a device bound to uio_hv_generic
  DIR/hvsim.ctl                           the control socket (hvsim ctl)
and runs the host side of each device until SIGINT or SIGTERM, then removes
all of it.

Usage:
  hvsim --root DIR [--config FILE] [--monitor-latency-us N]
  hvsim --print-default-config
  hvsim ctl --root DIR COMMAND [ARGS] [--json]     (hvsim ctl --help)

Examples:
  hvsim --root /dev/shm/vm1 &
  echo uio_hv_generic > /dev/shm/vm1/sys/bus/vmbus/devices/<instance>/driver_override
  echo <instance> > /dev/shm/vm1/sys/bus/vmbus/drivers/uio_hv_generic/bind
  hvsim ctl --root /dev/shm/vm1 list

Options)";

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "ctl") == 0) return run_ctl(argc - 1, argv + 1);

  po::options_description options(kUsage);
  options.add_options()
      ("help,h", "show this help")
      ("root", po::value<std::string>(), "the directory to build the guest's view in (created if missing)")
      ("config", po::value<std::string>(), "a JSON config of devices (default: an Azure VM; see --print-default-config)")
      ("monitor-latency-us", po::value<unsigned>(), "scan latency of monitored channels, 0 = busy poll (default 50)")
      ("print-default-config", "print the default config as JSON and exit");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hvsim: " << e.what() << " (hvsim --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (vm.count("print-default-config")) {
    std::cout << hvsim::to_json(hvsim::default_config()).dump(2) << "\n";
    return 0;
  }
  if (!vm.count("root")) {
    std::cerr << "hvsim: --root DIR is required (hvsim --help)\n";
    return 2;
  }

  try {
    hvsim::SimulatorOptions sim_options;
    sim_options.root = vm["root"].as<std::string>();
    if (vm.count("config")) sim_options.config = hvsim::load_config(vm["config"].as<std::string>());
    if (vm.count("monitor-latency-us")) {
      const unsigned us = vm["monitor-latency-us"].as<unsigned>();
      if (us > hvsim::kMaxMonitorLatencyUs) {
        std::cerr << "hvsim: --monitor-latency-us " << us << " is above " << hvsim::kMaxMonitorLatencyUs
                  << " (the monitor page holds a u16 of 100 ns units)\n";
        return 2;
      }
      sim_options.config.monitor_latency_us = us;
    }

    // Log lines go to stderr; a closed pipe there must not kill the host.
    ::signal(SIGPIPE, SIG_IGN);
    // Every thread inherits the mask; this one waits for the signals.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    hvsim::Simulator sim(std::move(sim_options));
    sim.start();
    int signal = 0;
    sigwait(&stop_signals, &signal);
    sim.stop();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "hvsim: " << e.what() << "\n";
    return 1;
  }
}
