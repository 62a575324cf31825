// File: bindings/python/src/kvp_service.cc
//
// vmbus.kvp: the KVP service (kvp/service.h) on a claimed KVP device, and
// Pools, hv_kvp_daemon's pool files without the device (kvp/pool/pool_store.h),
// with the operations of the vmbus-kvp CLI (drivers/kvp/cli/vmbus_kvp.cc):
// get, set, delete, list, on any of the five pools by name or number.
//
// Serving (poll, run) waits with the GIL released; run() comes back for the
// GIL every kWaitSlice to see stop(), Ctrl-C and close(). The pool calls are
// file operations under the files' locks and may come from any thread.
#include <atomic>
#include <cerrno>

#include "discovery.h"
#include "errors.h"
#include "kvp/pool/pool_store.h"
#include "kvp/service.h"

namespace vmbus_py {
namespace {

constexpr const char* kPoolNames[kvp::pool::kPoolCount] = {"external", "guest", "auto", "auto_external",
                                                          "auto_internal"};

// A pool given as a name ("guest") or its number (0..4), as vmbus-kvp takes it.
int pool_of(py::handle pool, const char* what) {
  if (py::isinstance<py::str>(pool)) {
    const std::string name = pool.cast<std::string>();
    for (int i = 0; i < kvp::pool::kPoolCount; ++i) {
      if (name == kPoolNames[i] || name == std::to_string(i)) return i;
    }
  } else if (py::isinstance<py::int_>(pool) && !py::isinstance<py::bool_>(pool)) {
    const long long n = pool.cast<long long>();
    if (n >= 0 && n < kvp::pool::kPoolCount) return static_cast<int>(n);
  } else {
    raise_type_error(std::string(what) + ": pool must be a name or a number, not '" +
                     Py_TYPE(pool.ptr())->tp_name + "'");
  }
  throw py::value_error(std::string(what) + ": unknown pool " + py::repr(pool).cast<std::string>() +
                        " (external, guest, auto, auto_external, auto_internal or 0..4)");
}

// The pool operations, on any PoolStore (the service's or one of Pools').
py::object pool_get(const kvp::pool::PoolStore& store, py::handle pool, const std::string& key) {
  const int p = pool_of(pool, "get");
  const auto r = store.get(p, key);
  if (!r) raise_pool_error(r.error(), "get");
  if (!r->value) return py::none();
  return py::str(*r->value);
}

void pool_set(const kvp::pool::PoolStore& store, py::handle pool, const std::string& key, const std::string& value) {
  const int p = pool_of(pool, "set");
  const auto r = store.set(p, key, value);
  if (!r) raise_pool_error(r.error(), "set");
}

bool pool_delete(const kvp::pool::PoolStore& store, py::handle pool, const std::string& key) {
  const int p = pool_of(pool, "delete");
  const auto r = store.remove(p, key);
  if (!r) raise_pool_error(r.error(), "delete");
  return r->change != kvp::pool::Change::not_found;
}

py::dict pool_list(const kvp::pool::PoolStore& store, py::handle pool) {
  const int p = pool_of(pool, "list");
  const auto r = store.list(p);
  if (!r) raise_pool_error(r.error(), "list");
  py::dict out;  // in file order (dicts keep it)
  for (const kvp::pool::Entry& e : r->entries) out[py::str(e.key)] = py::str(e.value);
  return out;
}

struct ServiceHandle {
  std::optional<vmbus::Claim> claim;        // released last
  std::shared_ptr<kvp::Service> service;    // null once closed; GIL held
  std::string instance;
  std::atomic<bool> stopping{false};

  kvp::Service& require(const char* what) const {
    if (!service) raise_closed(what, "service");
    return *service;
  }
};

std::shared_ptr<ServiceHandle> open_service(const std::string& selector, std::optional<std::string> sysfs_root,
                                            std::optional<std::string> pool_directory, bool poll_mode, bool claim,
                                            bool keep_claim) {
  const vmbus::SysfsRoot root = sysfs_root_of(sysfs_root);
  auto handle = std::make_shared<ServiceHandle>();
  kvp::ServiceOptions options;
  if (pool_directory && !pool_directory->empty()) options.pool_directory = *pool_directory;
  options.poll_mode = poll_mode;
  std::string failure;
  int errno_value = 0;
  {
    py::gil_scoped_release nogil;
    vmbus::DeviceInfo info;
    failure = find_and_claim(root, selector, ClaimRequest{claim, keep_claim, std::nullopt}, handle->claim, info,
                             errno_value);
    if (failure.empty()) {
      handle->service = kvp::Service::open(info, options);
      handle->instance = info.instance.str();
    }
  }
  if (!failure.empty()) raise_error(errno_value, "kvp.Service.open: " + failure);
  return handle;
}

void close_service(ServiceHandle& h) {
  h.stopping.store(true);
  std::shared_ptr<kvp::Service> service = std::move(h.service);
  h.service.reset();
  std::optional<vmbus::Claim> claim = std::move(h.claim);
  h.claim.reset();
  py::gil_scoped_release nogil;  // the claim's release waits for the unbind
  if (service) service->stop();
  service.reset();  // a run() on another thread holds its own reference
  claim.reset();
}

std::uint32_t poll_once(ServiceHandle& h, std::chrono::milliseconds slice, const char* what) {
  if (!h.service) raise_closed(what, "service");
  std::shared_ptr<kvp::Service> service = h.service;
  vmbus::Result<std::uint32_t> n = std::uint32_t{0};
  {
    py::gil_scoped_release nogil;
    n = service->poll(slice);
  }
  if (!n) raise_sdk_error(n.error(), what);
  return *n;
}

}  // namespace

void register_kvp(py::module_& m) {
  for (int i = 0; i < kvp::pool::kPoolCount; ++i) m.attr(("POOL_" + std::string(kPoolNames[i])).c_str()) = i;
  m.attr("POOL_NAMES") = py::make_tuple(kPoolNames[0], kPoolNames[1], kPoolNames[2], kPoolNames[3], kPoolNames[4]);

  constexpr const char* kPoolArg = "pool: \"external\" (what the host wrote), \"guest\" (what the appliance "
                                   "publishes), \"auto\", \"auto_external\", \"auto_internal\", or 0..4.";

  py::class_<kvp::pool::PoolStore>(m, "Pools", py::module_local(),
      R"doc(hv_kvp_daemon's pool files in a directory, without the
device (as vmbus-kvp list/get/set/delete use them): the same files whether
this SDK's service or the standard daemon answers the host.)doc")
      .def(py::init([](const std::string& directory) {
             if (directory.empty()) throw py::value_error("Pools: directory is empty");
             return kvp::pool::PoolStore(directory);
           }),
           py::arg("directory") = std::string(kvp::pool::kDefaultDirectory))
      .def_property_readonly("directory",
                             [](const kvp::pool::PoolStore& s) { return s.directory().string(); })
      .def("get", &pool_get, py::arg("pool"), py::arg("key"), "The value of `key` in `pool`, or None.")
      .def("set", &pool_set, py::arg("pool"), py::arg("key"), py::arg("value"), "Adds or replaces `key`.")
      .def("delete", &pool_delete, py::arg("pool"), py::arg("key"), "Removes `key`; False if it was not there.")
      .def("list", &pool_list, py::arg("pool"), "Every key of `pool` and its value, in file order, as a dict.");

  py::class_<ServiceHandle, std::shared_ptr<ServiceHandle>>(m, "Service", py::module_local(),
      R"doc(The KVP service on the KVP device:
answers the host (negotiation, GET/SET/DELETE/ENUMERATE) from the pool files.

    with vmbus.kvp.Service.open(sysfs_root=root, pool_directory=d) as kvp:
        threading.Thread(target=kvp.run, daemon=True).start()   # answers the host
        kvp.set("guest", "ApplianceRole", "edge-router")          # the host can read it
        print(kvp.get("external", "Location"))                    # what the host wrote
        kvp.stop()

Pool keys are str (at most 511 bytes of UTF-8, values 2047); a pool is named
or numbered.)doc")
      .def_static("open", &open_service, py::arg("selector") = "kvp", py::arg("sysfs_root") = py::none(),
                  py::kw_only(), py::arg("pool_directory") = py::none(), py::arg("poll_mode") = false,
                  py::arg("claim") = true, py::arg("keep_claim") = false,
                  R"doc(Finds the KVP device (`selector`), claims it for uio_hv_generic if needed and
opens the service; pool_directory defaults to /var/lib/hyperv (the files
are created if missing). Raises vmbus.Error: ENODEV, EIO (named step).)doc")
      .def("close", &close_service, "Stops serving, closes the device and gives the claim back (idempotent).")
      .def("__enter__", [](std::shared_ptr<ServiceHandle> self) { return self; })
      .def("__exit__", [](ServiceHandle& self, py::args) { close_service(self); })
      .def_property_readonly("closed", [](const ServiceHandle& h) { return !h.service; })
      .def_property_readonly("instance", [](const ServiceHandle& h) { return h.instance; })
      .def(
          "poll",
          [](ServiceHandle& h, double timeout) {
            if (!(timeout >= 0 && timeout <= 3600)) throw py::value_error("poll: timeout must be seconds in [0, 3600]");
            return poll_once(h, std::chrono::milliseconds(static_cast<std::int64_t>(timeout * 1000)), "poll");
          },
          py::arg("timeout") = 0.1,
          "Answers what the host sent, waiting up to `timeout` seconds (GIL released); returns the packets "
          "answered. Raises vmbus.Rescinded if the host took the device away.")
      .def(
          "run",
          [](ServiceHandle& h) {
            // A stop() ends one run(): the flag is cleared when run() sees it,
            // not when it starts, so a stop() that came first is not lost.
            while (!h.stopping.load() && h.service) {
              (void)poll_once(h, kWaitSlice, "run");
              check_signals();
            }
            h.stopping.store(false);
          },
          R"doc(Serves the host until stop() or close() (from another thread), with the
GIL released while it waits. Raises vmbus.Rescinded if the host takes the
device away, KeyboardInterrupt on Ctrl-C.)doc")
      .def(
          "stop", [](ServiceHandle& h) { h.stopping.store(true); },
          "Makes run() return within 0.1 s (any thread); a stop() before run() makes the next run() return at once.")
      .def(
          "get",
          [](const ServiceHandle& h, py::handle pool, const std::string& key) {
            return pool_get(h.require("get").pools(), pool, key);
          },
          py::arg("pool"), py::arg("key"), (std::string("The value of `key`, or None. ") + kPoolArg).c_str())
      .def(
          "set",
          [](const ServiceHandle& h, py::handle pool, const std::string& key, const std::string& value) {
            pool_set(h.require("set").pools(), pool, key, value);
          },
          py::arg("pool"), py::arg("key"), py::arg("value"),
          "Adds or replaces `key` (the appliance publishes in \"guest\"). Raises vmbus.Error(E2BIG) for a key "
          "or value too long.")
      .def(
          "delete",
          [](const ServiceHandle& h, py::handle pool, const std::string& key) {
            return pool_delete(h.require("delete").pools(), pool, key);
          },
          py::arg("pool"), py::arg("key"), "Removes `key`; returns False if it was not there.")
      .def(
          "list",
          [](const ServiceHandle& h, py::handle pool) { return pool_list(h.require("list").pools(), pool); },
          py::arg("pool"), "Every key of the pool and its value, in file order, as a dict.")
      .def_property_readonly(
          "versions",
          [](const ServiceHandle& h) -> py::object {
            const auto v = h.require("versions").versions();
            if (!v) return py::none();
            auto text = [](kvp::ic::Version x) {
              return std::to_string(x.major) + "." + std::to_string(x.minor);
            };
            py::dict d;
            d["framework"] = text(v->framework);
            d["kvp"] = text(v->service);
            return d;
          },
          "The versions negotiated with the host, {'framework': '3.0', 'kvp': '4.0'}, or None before that.")
      .def("__repr__", [](const ServiceHandle& h) {
        return "<vmbus.kvp.Service " + h.instance + (h.service ? "" : " closed") + ">";
      });
}

}  // namespace vmbus_py
