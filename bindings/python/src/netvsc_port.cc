// File: bindings/python/src/netvsc_port.cc
//
// vmbus.netvsc.Port: the poll-mode netvsc driver (netvsc/port.h) on a NIC
// found under a sysfs root, claimed if needed (netvsc::open_port), as a
// context manager. tx_burst takes buffer-protocol frames and copies each
// once (into the host's send buffer); rx_burst_into writes frames into the
// caller's buffers, rx_burst into new bytes objects.
//
// Bursts run with the GIL held: a queue belongs to one thread at a time and
// the GIL is that guarantee. Only the sleep between polls of a waiting
// rx_burst releases it.
#include <algorithm>
#include <cerrno>
#include <thread>
#include <vector>

#include "buffers.h"
#include "discovery.h"
#include "errors.h"
#include "netvsc/port.h"

namespace vmbus_py {
namespace {

// Frames per call into the C++ burst (it takes a uint16_t count).
constexpr std::size_t kMaxBurst = 1024;
// How long a waiting rx_burst sleeps between polls: the port is poll mode
// (its channels never interrupt), so waiting is polling.
constexpr std::chrono::microseconds kPollPause{200};

struct PortHandle {
  std::shared_ptr<netvsc::OpenedPort> opened;  // null once closed; GIL held
  std::string instance;
  std::size_t frame_size = 0;      // mtu + 18: a frame with a VLAN tag
  std::vector<std::byte> scratch;  // rx_burst's landing area, reused (GIL held)

  netvsc::Port& require(const char* what) const {
    if (!opened) raise_closed(what, "port");
    return *opened->port;
  }
};

std::uint16_t checked_queue(const netvsc::Port& port, int queue, const char* what) {
  if (queue < 0 || queue >= port.queue_count()) {
    throw py::index_error(std::string(what) + ": queue " + std::to_string(queue) + " is not open (the port has " +
                          std::to_string(port.queue_count()) + ")");
  }
  return static_cast<std::uint16_t>(queue);
}

std::shared_ptr<PortHandle> open_port(const std::string& selector, std::optional<std::string> sysfs_root, int queues,
                                      std::uint32_t mtu, bool claim, bool keep_claim, double control_timeout) {
  constexpr const char* what = "Port.open";
  if (queues < 1 || queues > 64) {
    throw py::value_error("Port.open: queues must be 1..64, not " + std::to_string(queues));
  }
  if (mtu < netvsc::kPortMinMtu || mtu > netvsc::kPortMaxMtu) {
    throw py::value_error("Port.open: mtu must be " + std::to_string(netvsc::kPortMinMtu) + ".." +
                          std::to_string(netvsc::kPortMaxMtu) + ", not " + std::to_string(mtu));
  }
  if (!(control_timeout > 0 && control_timeout <= 600)) {
    throw py::value_error("Port.open: control_timeout must be seconds in (0, 600]");
  }
  netvsc::PortConfig config;
  config.queues = static_cast<std::uint16_t>(queues);
  config.mtu = mtu;
  config.control_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(control_timeout * 1000));
  const vmbus::SysfsRoot root = sysfs_root_of(sysfs_root);
  auto handle = std::make_shared<PortHandle>();
  auto opened = std::make_shared<netvsc::OpenedPort>();
  std::string failure;
  int errno_value = 0;
  {
    py::gil_scoped_release nogil;  // the claim and NVSP/RNDIS set-up wait on the host
    // Found (not claimed) here so "no such NIC" is ENODEV as for every open;
    // open_port claims if needed.
    std::optional<vmbus::Claim> unused;
    vmbus::DeviceInfo info;
    failure = find_and_claim(root, selector, ClaimRequest{false, false, std::nullopt}, unused, info, errno_value);
    if (!failure.empty() && errno_value == EIO && claim) failure.clear();  // not bound: open_port claims it
    if (failure.empty()) {
      *opened = netvsc::open_port(root, info.instance, config);
      if (keep_claim) opened->claim.keep();
      handle->instance = info.instance.str();
    }
  }
  if (!failure.empty()) raise_error(errno_value, std::string(what) + ": " + failure);
  handle->frame_size = std::size_t{opened->port->info().mtu} + 18;
  handle->opened = std::move(opened);
  return handle;
}

void close_port(PortHandle& h) {
  std::shared_ptr<netvsc::OpenedPort> opened = std::move(h.opened);
  h.opened.reset();
  py::gil_scoped_release nogil;  // RNDIS halt, unbind: waits on the host
  if (opened) {
    // OpenedPort's members go port, device, claim: the order they need.
    opened->port.reset();
    opened->device.reset();
  }
  opened.reset();
}

// Raises Rescinded if a burst that moved nothing did so because the host
// took the NIC away (bursts return 0 then, netvsc/port.h).
void check_rescinded(const netvsc::Port& port, const char* what) {
  if (port.rescinded()) raise_rescinded(std::string(what) + ": the host rescinded the NIC");
}

int tx_burst(PortHandle& h, py::sequence frames, int queue) {
  constexpr const char* what = "Port.tx_burst";
  netvsc::Port& port = h.require(what);
  const std::uint16_t q = checked_queue(port, queue, what);
  if (PyObject_CheckBuffer(frames.ptr())) {
    raise_type_error(std::string(what) + ": frames must be a sequence of frames (a list of bytes-like objects); "
                                         "wrap a single frame in a list");
  }
  const std::size_t n = py::len(frames);
  if (n > kMaxBurst) {
    throw py::value_error(std::string(what) + ": " + std::to_string(n) + " frames; at most " +
                          std::to_string(kMaxBurst) + " per burst");
  }
  // The views hold each frame's memory until the burst has copied it.
  std::vector<ByteView> views;
  std::vector<netvsc::TxPacket> tx(n);
  views.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const ByteView& frame = views.emplace_back(frames[i], ByteView::read_only, "Port.tx_burst: frames", i);
    if (frame.size() < 14) {
      throw py::value_error(ByteView::name("Port.tx_burst: frames", i) + " is " + std::to_string(frame.size()) +
                            " bytes: shorter than an Ethernet header (14)");
    }
    tx[i].frame = frame.bytes();
  }
  const std::uint16_t sent = port.tx_burst(q, tx.data(), static_cast<std::uint16_t>(n));
  if (sent == 0 && n > 0) check_rescinded(port, what);
  return sent;
}

// Polls queue `q` until a frame or the deadline; `burst(port)` does one poll
// and returns how many frames it got.
template <typename Burst>
std::uint16_t poll_until(PortHandle& h, const Deadline& deadline, const char* what, Burst&& burst) {
  for (;;) {
    netvsc::Port& port = h.require(what);
    const std::uint16_t got = burst(port);
    if (got > 0) return got;
    check_rescinded(port, what);
    if (deadline.expired()) return 0;
    {
      py::gil_scoped_release nogil;
      std::this_thread::sleep_for(kPollPause);
    }
    check_signals();
  }
}

py::list rx_burst(PortHandle& h, int max, int queue, double timeout) {
  constexpr const char* what = "Port.rx_burst";
  if (max < 1 || static_cast<std::size_t>(max) > kMaxBurst) {
    throw py::value_error(std::string(what) + ": max must be 1.." + std::to_string(kMaxBurst));
  }
  const Deadline deadline = Deadline::from_seconds(timeout, what);
  const std::size_t frame_size = h.frame_size;
  std::vector<netvsc::RxPacket> rx(static_cast<std::size_t>(max));
  if (h.scratch.size() < frame_size * rx.size()) h.scratch.resize(frame_size * rx.size());
  const std::uint16_t got = poll_until(h, deadline, what, [&](netvsc::Port& port) {
    const std::uint16_t q = checked_queue(port, queue, what);
    for (std::size_t i = 0; i < rx.size(); ++i) {
      rx[i] = netvsc::RxPacket{};
      rx[i].buffer = std::span<std::byte>(h.scratch).subspan(i * frame_size, frame_size);
    }
    return port.rx_burst(q, rx.data(), static_cast<std::uint16_t>(rx.size()));
  });
  py::list out;
  for (std::uint16_t i = 0; i < got; ++i) {
    const auto f = rx[i].frame();
    out.append(py::bytes(reinterpret_cast<const char*>(f.data()), f.size()));
  }
  return out;
}

py::list rx_burst_into(PortHandle& h, py::sequence buffers, int queue, double timeout) {
  constexpr const char* what = "Port.rx_burst_into";
  const std::size_t n = py::len(buffers);
  if (n > kMaxBurst) throw py::value_error(std::string(what) + ": at most " + std::to_string(kMaxBurst) + " buffers");
  std::vector<ByteView> views;
  views.reserve(n);
  for (std::size_t i = 0; i < n; ++i) views.emplace_back(buffers[i], ByteView::writable, "Port.rx_burst_into: buffers", i);
  const Deadline deadline = Deadline::from_seconds(timeout, what);
  std::vector<netvsc::RxPacket> rx(n);
  const std::uint16_t got = n == 0 ? 0 : poll_until(h, deadline, what, [&](netvsc::Port& port) {
    const std::uint16_t q = checked_queue(port, queue, what);
    for (std::size_t i = 0; i < n; ++i) {
      rx[i] = netvsc::RxPacket{};
      rx[i].buffer = views[i].writable_bytes();  // the frame lands here: no other copy
    }
    return port.rx_burst(q, rx.data(), static_cast<std::uint16_t>(n));
  });
  py::list lengths;
  for (std::uint16_t i = 0; i < got; ++i) lengths.append(rx[i].length);
  return lengths;
}

py::dict stats_of(const netvsc::QueueStatsSnapshot& t) {
  py::dict d;
  d["rx_packets"] = t.rx_packets;
  d["rx_bytes"] = t.rx_bytes;
  d["rx_errors"] = t.rx_errors;
  d["rx_dropped_too_small"] = t.rx_dropped_too_small;
  d["tx_packets"] = t.tx_packets;
  d["tx_bytes"] = t.tx_bytes;
  d["tx_errors"] = t.tx_errors;
  d["tx_ring_full"] = t.tx_ring_full;
  d["tx_no_resources"] = t.tx_no_resources;
  d["tx_completions"] = t.tx_completions;
  d["link_events"] = t.link_events;
  d["malformed"] = t.malformed_total();
  return d;
}

}  // namespace

void register_netvsc(py::module_& m) {
  py::class_<PortHandle, std::shared_ptr<PortHandle>>(m, "Port", py::module_local(),
      R"doc(A synthetic NIC as a poll-mode port.

    with vmbus.netvsc.Port.open(sysfs_root=root) as port:
        port.tx_burst([frame1, frame2])     # bytes-like Ethernet frames
        frames = port.rx_burst(32, timeout=1.0)

A queue belongs to one thread at a time; bursts never block, except
rx_burst/rx_burst_into with a timeout, which poll with the GIL released
between polls.)doc")
      .def_static("open", &open_port, py::arg("selector") = "network", py::arg("sysfs_root") = py::none(),
                  py::kw_only(), py::arg("queues") = 1, py::arg("mtu") = 1500, py::arg("claim") = true,
                  py::arg("keep_claim") = false, py::arg("control_timeout") = 60.0,
                  R"doc(Finds the NIC (`selector`: "network", its instance GUID...), claims it for
uio_hv_generic if needed (claim=False: it must be bound already), opens the
device and negotiates NVSP/RNDIS. queues: 1..64 (the port opens as many as
the host grants). The GIL is released meanwhile. Raises vmbus.Error:
ENODEV (no such NIC), EIO (the claim or a negotiation step failed, named).)doc")
      .def("close", &close_port, "RNDIS halt, buffers revoked, device closed, claim given back (idempotent).")
      .def("__enter__", [](std::shared_ptr<PortHandle> self) { return self; })
      .def("__exit__", [](PortHandle& self, py::args) { close_port(self); })
      .def_property_readonly("closed", [](const PortHandle& h) { return !h.opened; })
      .def_property_readonly("instance", [](const PortHandle& h) { return h.instance; })
      .def("tx_burst", &tx_burst, py::arg("frames"), py::arg("queue") = 0,
           R"doc(Sends `frames` (a sequence of bytes-like Ethernet frames, at least 14 bytes
each) on `queue`; returns how many were taken (fewer when the ring or the
send buffer is full: retry the rest). Each frame is copied once, into the
host's send buffer. Raises vmbus.Rescinded if the NIC is gone.)doc")
      .def("rx_burst", &rx_burst, py::arg("max") = 32, py::arg("queue") = 0, py::arg("timeout") = 0.0,
           R"doc(Up to `max` received frames as a list of bytes; waits up to `timeout`
seconds for the first one (0: just look), with the GIL released between
polls. Raises vmbus.Rescinded if the NIC is gone.)doc")
      .def("rx_burst_into", &rx_burst_into, py::arg("buffers"), py::arg("queue") = 0, py::arg("timeout") = 0.0,
           R"doc(Receives up to len(buffers) frames straight into `buffers` (writable
bytes-like objects of mtu + 18 bytes or more) and returns their lengths, in
order: frame i is in buffers[i][:lengths[i]]. A frame longer than its
buffer is dropped and counted (stats()["rx_dropped_too_small"]).)doc")
      .def_property_readonly("mac", [](const PortHandle& h) { return netvsc::to_string(h.require("Port.mac").mac()); },
                             "The current MAC address, \"00:15:5d:01:02:03\".")
      .def_property_readonly(
          "mac_bytes",
          [](const PortHandle& h) {
            const netvsc::MacAddress mac = h.require("Port.mac_bytes").mac();
            return py::bytes(reinterpret_cast<const char*>(mac.data()), mac.size());
          },
          "The MAC address as 6 bytes (for building frames).")
      .def_property_readonly("mtu", [](const PortHandle& h) { return h.require("Port.mtu").info().mtu; })
      .def_property_readonly("queue_count",
                             [](const PortHandle& h) { return h.require("Port.queue_count").queue_count(); })
      .def_property_readonly(
          "link",
          [](const PortHandle& h) {
            const netvsc::LinkState l = h.require("Port.link").link();
            py::dict d;
            d["up"] = l.up;
            d["speed_bps"] = l.speed_bps;
            d["mtu"] = l.mtu;
            return d;
          },
          "{'up': bool, 'speed_bps': int, 'mtu': int}: the link as the host last reported it.")
      .def(
          "stats", [](const PortHandle& h) { return stats_of(h.require("Port.stats").stats().total); },
          "The port's counters, summed over its queues, as a dict.")
      .def_property_readonly("rescinded", [](const PortHandle& h) { return h.require("Port.rescinded").rescinded(); })
      .def("__repr__", [](const PortHandle& h) {
        return "<vmbus.netvsc.Port " + h.instance + (h.opened ? "" : " closed") + ">";
      });
}

}  // namespace vmbus_py
