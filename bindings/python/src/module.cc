// File: bindings/python/src/module.cc
//
// The extension module vmbus._vmbus: puts the parts together (common.h lists
// them), with the submodules netvsc and kvp, and the shared helpers for
// timeouts and signals. The package's vmbus/__init__.py re-exports it.
#include <algorithm>
#include <cmath>
#include <string>

#include "common.h"

namespace vmbus_py {

Deadline Deadline::from_seconds(std::optional<double> seconds, const char* what) {
  Deadline d;
  if (!seconds) return d;
  if (!std::isfinite(*seconds) || *seconds < 0) {
    throw py::value_error(std::string(what) + ": timeout must be None or a finite number of seconds >= 0, not " +
                          std::to_string(*seconds));
  }
  // Capped at a day per call: a deadline far beyond that is "forever" in
  // practice and would overflow the clock's arithmetic.
  const double capped = std::min(*seconds, 86400.0);
  d.at = std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(capped));
  return d;
}

std::chrono::milliseconds Deadline::next_slice(std::chrono::milliseconds slice) const {
  if (!at) return slice;
  const auto left = *at - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return std::chrono::milliseconds(0);
  // Rounded up, so that a wait does not spin through its last millisecond.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left);
  return ms < slice ? ms : slice;
}

void check_signals() {
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

}  // namespace vmbus_py

PYBIND11_MODULE(_vmbus, m) {
  m.doc() = "The C++ vmbus SDK, the netvsc driver and the KVP service (import the vmbus package, not this).";
  m.attr("__version__") = VMBUS_PY_PROJECT_VERSION;
  vmbus_py::register_errors(m);
  vmbus_py::register_discovery(m);
  vmbus_py::register_channel(m);
  vmbus_py::register_device(m);
  py::module_ netvsc = m.def_submodule("netvsc", "The poll-mode netvsc NIC driver (netvsc/port.h).");
  vmbus_py::register_netvsc(netvsc);
  py::module_ kvp = m.def_submodule("kvp", "The KVP service (kvp/service.h) and hv_kvp_daemon's pool files.");
  vmbus_py::register_kvp(kvp);
}
