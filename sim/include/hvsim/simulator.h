// File: hvsim/simulator.h
//
// hvsim in one object: a simulated Hyper-V host that shows a Linux guest's
// view of VMBus under a root directory (hvsim/tree_paths.h), as the kernel
// with uio_hv_generic would:
//   - a sysfs tree with every offered device, with the kernel's names and
//     formats, whose driver files (bind, unbind, new_id, driver_override) act
//     when written;
//   - for each device bound to uio_hv_generic, a uio node DIR/dev/uioN that
//     speaks vmbus/backing/endpoint_protocol.h;
//   - behind each open device, a host service thread that drains the guest's
//     rings by Hyper-V's rules and hands packets to the device's host
//     (echo, silent, the NIC, KVP);
//   - a control socket DIR/hvsim.ctl for `hvsim ctl` (list, stats, offer,
//     rescind, reoffer, bind, unbind, fault), and the same operations as
//     methods here.
// `hvsim --root DIR` runs one; tests run one in-process.
//
// Threads: start() runs a control thread (sysfs writes, endpoints, the
// control socket, counter refresh) plus one host thread per open device.
// Every public method is thread-safe.
//
// Usage:
//   hvsim::Simulator sim({.root = "/dev/shm/vm1", .config = hvsim::default_config()});
//   sim.start();                                   // the tree appears
//   sim.bind("echo", "uio_hv_generic");            // or write the bind file
//   auto d = sim.device("echo");                   // d.uio == 0: DIR/dev/uio0
//   sim.offer(hvsim::device_from_class("echo"));   // hot-add
//   sim.inject_fault("echo", hvsim::parse_fault({"drop-interrupt"}));
//   sim.rescind("echo");
//   sim.reoffer("echo");                           // the same instance and relid again
//   sim.stop();                                    // the tree goes
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "hvsim/config.h"
#include "hvsim/faults.h"
#include "hvsim/log.h"
#include "hvsim/status.h"
#include "hvsim/tree_paths.h"

namespace hvsim {

// An operation refused: unknown device, wrong driver, ... The text says what
// was wrong and names the device.
class SimError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SimulatorOptions {
  std::filesystem::path root;            // created if missing; must not hold another tree
  SimConfig config = default_config();
  Logger log;                            // stderr by default
};

class Simulator {
 public:
  // Resolves the config; throws ConfigError naming the device and field.
  explicit Simulator(SimulatorOptions options);
  ~Simulator();  // stop()
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Builds the tree, offers the configured devices, starts the threads.
  // Throws std::runtime_error naming the path or device that failed (and
  // leaves nothing behind).
  void start();
  // Closes every endpoint (clients get Rescinded), stops the threads, removes
  // everything start() created. Idempotent.
  void stop() noexcept;
  const TreePaths& paths() const;

  // Hot-add (the host offers a new channel): the device directory appears and
  // the device is bound as its `driver` says. Throws ConfigError or SimError.
  DeviceStatus offer(const DeviceConfig& device);
  // The host rescinds the device: its client gets Rescinded, its uio node and
  // directory disappear. `device` is a name or an instance GUID.
  void rescind(std::string_view device);
  // Offers a rescinded device again with everything it had (instance, relid,
  // monitor id, driver): to the guest a new device with the same identity.
  // Throws SimError if it is offered, was never rescinded, or its relid or
  // monitor id was taken meanwhile.
  DeviceStatus reoffer(std::string_view device);
  // Arms a fault on one of the device's channels (the primary unless
  // fault.relid names another). Throws SimError naming the device or relid.
  void inject_fault(std::string_view device, const FaultRequest& fault);
  // As writing drivers/<driver>/bind and drivers/<driver>/unbind, but
  // without the match check (the admin's will) for bind.
  void bind(std::string_view device, std::string_view driver);
  void unbind(std::string_view device);

  std::vector<DeviceStatus> devices() const;
  DeviceStatus device(std::string_view device) const;  // throws SimError if unknown

  // One control request (the ctl protocol, docs/hvsim.md); never throws.
  nlohmann::json handle_control(const nlohmann::json& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hvsim
