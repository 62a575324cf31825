// File: bindings/python/src/common.h
//
// What every file of the extension vmbus._vmbus shares: pybind11, and the
// functions module.cc calls to add each part to the module. Each part lives
// in its own file: errors, buffers, discovery, device (and its channels),
// netvsc port, KVP service.
//
// Rules every binding follows (docs/python.md):
//   - the GIL is held for everything that touches Python objects or a ring
//     (it is the lock that keeps two Python threads off one channel or
//     queue), and released only around a blocking wait or an open, which
//     touch neither;
//   - every failure raises vmbus.Error (or Rescinded, TimeoutError,
//     TypeError, ValueError): no C++ exception or abort reaches Python.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <optional>

namespace py = pybind11;

namespace vmbus_py {

void register_errors(py::module_& m);      // errors.cc: vmbus.Error, Rescinded, translators
void register_discovery(py::module_& m);   // discovery.cc: discover, find_device, DeviceInfo
void register_device(py::module_& m);      // device.cc: Device
void register_channel(py::module_& m);     // channel.cc: Channel, Packet, ChannelCounters
void register_netvsc(py::module_& netvsc); // netvsc_port.cc: vmbus.netvsc.Port
void register_kvp(py::module_& kvp);       // kvp_service.cc: vmbus.kvp.Service, Pools

// A Python timeout in seconds (None: forever) as a deadline. Negative or
// not finite: ValueError naming `what`.
struct Deadline {
  std::optional<std::chrono::steady_clock::time_point> at;  // nullopt: forever

  static Deadline from_seconds(std::optional<double> seconds, const char* what);
  bool expired() const { return at && std::chrono::steady_clock::now() >= *at; }
  // What is left, at most `slice` (so that a wait wakes to check for
  // signals and a close); zero once expired.
  std::chrono::milliseconds next_slice(std::chrono::milliseconds slice) const;
};

// How long one wait sleeps with the GIL released before it takes the GIL
// back to run Python's signal handlers (Ctrl-C) and to notice a close.
inline constexpr std::chrono::milliseconds kWaitSlice{100};

// PyErr_CheckSignals: a pending KeyboardInterrupt (or a handler's
// exception) is raised from the waiting call. GIL held.
void check_signals();

}  // namespace vmbus_py
