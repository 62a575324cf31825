// File: bindings/python/src/channel.cc
//
// vmbus.Channel: one channel of an open Device (vmbus/channel/channel.h).
// send() takes any buffer-protocol object and copies it once, into the ring;
// receive() copies a packet's payload once, from the ring into a new bytes
// object, and receive_into() into the caller's buffer. Waiting for a packet
// (or for room to send) arms the channel's interrupt and sleeps on the
// device with the GIL released, in slices, so Ctrl-C and close() are seen.
//
// The ring operations themselves run with the GIL held: it is what keeps a
// second Python thread from using the same ring at the same moment (the SDK
// allows one sender and one receiver per channel, unlocked).
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "buffers.h"
#include "device.h"
#include "errors.h"
#include "vmbus/packet/builders.h"

namespace vmbus_py {
namespace {

// A received packet with its VMBus metadata.
struct Packet {
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::uint64_t trans_id = 0;
  py::bytes payload;
};

// The counters as read now (they are plain per-channel memory).
struct CountersSnapshot {
  std::uint64_t packets_sent, bytes_sent, ring_full_events, signals_sent, packets_received, bytes_received,
      corrupt_packets, interrupts_seen;
};

struct Bound {
  std::shared_ptr<OpenedDevice> opened;  // keeps the device alive while the channel is used
  vmbus::Channel* channel;
};

Bound bind(const ChannelHandle& h, const char* what) {
  auto opened = h.device->require(what);
  return {opened, &opened->device->channel(h.index)};
}

// The next packet as windows into the ring (vmbus::Channel::peek), waiting
// up to the deadline; nullopt on timeout. The caller copies the payload out
// and calls finish() with the GIL held throughout.
std::optional<vmbus::PacketView> next_packet(const ChannelHandle& h, const Deadline& deadline, const char* what) {
  for (;;) {
    Bound b = bind(h, what);
    vmbus::Channel& ch = *b.channel;
    vmbus::Result<vmbus::PacketView> p = ch.peek();
    if (p) return *p;
    // Rescinded comes only once the ring is drained: what the host sent
    // before it went away is still delivered.
    if (p.error().code != vmbus::Errc::empty) raise_sdk_error(p.error(), what);
    check(ch.finish_receive(), what);
    if (deadline.expired()) return std::nullopt;
    // Sleep on an interrupt: arm, re-check (data may have raced in), wait,
    // back to poll mode (the loop of vmbus/channel/channel.h).
    if (ch.arm_interrupts()) {
      ch.set_poll_mode();
      continue;
    }
    const vmbus::Result<std::uint32_t> woke = wait_without_gil(*b.opened, deadline.next_slice(kWaitSlice));
    ch.set_poll_mode();
    // A rescind seen by the wait marks the channel: the next peek drains
    // what is left, then reports it.
    if (!woke && woke.error().code != vmbus::Errc::rescinded) raise_sdk_error(woke.error(), what);
    check_signals();
  }
}

// Moves past `view` and publishes the read (the host may be waiting for room).
void finish(const ChannelHandle& h, const vmbus::PacketView& view, const char* what) {
  Bound b = bind(h, what);
  if (!b.channel->consume(view)) raise_error(EIO, std::string(what) + ": the packet was consumed by another call");
  check(b.channel->finish_receive(), what);
}

py::bytes payload_bytes(const vmbus::PacketView& view) {
  // One copy: ring -> the bytes object's own storage.
  PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(view.payload.size()));
  if (raw == nullptr) throw py::error_already_set();
  py::bytes out = py::reinterpret_steal<py::bytes>(raw);
  view.payload.copy_to({reinterpret_cast<std::byte*>(PyBytes_AS_STRING(raw)), view.payload.size()});
  return out;
}

void send(const ChannelHandle& h, py::handle data, std::uint64_t trans_id, bool completion_requested, bool flush,
          std::optional<double> timeout) {
  constexpr const char* what = "Channel.send";
  const ByteView bytes(data, ByteView::read_only, "Channel.send: data");
  const Deadline deadline = Deadline::from_seconds(timeout, what);
  const vmbus::OutgoingPacket packet = vmbus::packet::inband(bytes.bytes(), trans_id, completion_requested);
  bool asked_for_room = false;
  for (;;) {
    Bound b = bind(h, what);
    vmbus::Channel& ch = *b.channel;
    const vmbus::Status s = flush ? ch.send(packet) : ch.write(packet);
    if (s) {
      if (asked_for_room) ch.cancel_space_notification();
      return;
    }
    if (s.error().code != vmbus::Errc::full) raise_sdk_error(s.error(), what);
    // The ring is full: publish what is staged (the host cannot drain what
    // it cannot see), ask the host to signal once there is room, and sleep.
    if (ch.batched_packets() > 0) check(ch.flush(), what);
    if (deadline.expired()) {
      if (asked_for_room) ch.cancel_space_notification();
      raise_timeout(std::string(what) + ": the ring stayed full (the packet needs " +
                    std::to_string(s.error().detail) + " bytes; is the host reading?)");
    }
    asked_for_room = true;
    if (ch.request_space_notification(static_cast<std::uint32_t>(s.error().detail))) continue;  // room already
    const vmbus::Result<std::uint32_t> woke = wait_without_gil(*b.opened, deadline.next_slice(kWaitSlice));
    if (!woke) raise_sdk_error(woke.error(), what);
    check_signals();
  }
}

}  // namespace

void register_channel(py::module_& m) {
  py::class_<Packet>(m, "Packet", py::module_local(),
      "A received packet: its VMBus type, flags and transaction id, and its payload.")
      .def_readonly("type", &Packet::type, "6: inband data, 11: a completion, 7: transfer pages, 9: GPA direct.")
      .def_readonly("flags", &Packet::flags, "1: the sender asks for a completion.")
      .def_readonly("trans_id", &Packet::trans_id)
      .def_readonly("payload", &Packet::payload, "bytes, padded to a multiple of 8 as the ring carries it.")
      .def("__repr__", [](const Packet& p) {
        return "<vmbus.Packet type " + std::to_string(p.type) + " trans_id " + std::to_string(p.trans_id) + " " +
               std::to_string(py::len(p.payload)) + " bytes>";
      });

  py::class_<CountersSnapshot>(m, "ChannelCounters", py::module_local(), "A channel's counters, as read when asked.")
      .def_readonly("packets_sent", &CountersSnapshot::packets_sent)
      .def_readonly("bytes_sent", &CountersSnapshot::bytes_sent)
      .def_readonly("ring_full_events", &CountersSnapshot::ring_full_events)
      .def_readonly("signals_sent", &CountersSnapshot::signals_sent)
      .def_readonly("packets_received", &CountersSnapshot::packets_received)
      .def_readonly("bytes_received", &CountersSnapshot::bytes_received)
      .def_readonly("corrupt_packets", &CountersSnapshot::corrupt_packets)
      .def_readonly("interrupts_seen", &CountersSnapshot::interrupts_seen);

  py::class_<ChannelHandle>(m, "Channel", py::module_local(), R"doc(One channel of an open Device (Device.channel(i)).

One thread sends and one receives at a time (they may be the same one).
Payloads are padded to 8 bytes by the ring: receive() returns the padded
length; protocols above VMBus carry their own lengths.)doc")
      .def("send", &send, py::arg("data"), py::arg("trans_id") = 0, py::kw_only(),
           py::arg("completion_requested") = false, py::arg("flush") = true, py::arg("timeout") = py::none(),
           R"doc(Sends `data` (bytes, bytearray, memoryview or any contiguous buffer) as one
inband packet, copied once, straight into the ring.

trans_id: the packet's transaction id (a reply echoes it).
completion_requested: ask the host for a completion packet.
flush=False stages the packet; the next send() or flush() publishes every
staged packet with one signal. If the ring is full, waits for room up to
`timeout` seconds (None: no limit) with the GIL released, then raises
TimeoutError. Raises vmbus.Rescinded if the host took the channel away,
vmbus.Error(EMSGSIZE) for a packet that can never fit, TypeError for data
without the buffer protocol.)doc")
      .def(
          "flush", [](const ChannelHandle& h) { check(bind(h, "Channel.flush").channel->flush(), "Channel.flush"); },
          "Publishes the packets staged with send(flush=False), signalling the host once if it needs it.")
      .def(
          "receive",
          [](const ChannelHandle& h, std::optional<double> timeout) -> py::object {
            constexpr const char* what = "Channel.receive";
            const auto view = next_packet(h, Deadline::from_seconds(timeout, what), what);
            if (!view) return py::none();
            py::bytes out = payload_bytes(*view);
            finish(h, *view, what);
            return out;
          },
          py::arg("timeout") = py::none(),
          R"doc(The next packet's payload as bytes, or None if nothing came within `timeout`
seconds (None: wait for ever; 0: just look). The wait releases the GIL.
Raises vmbus.Rescinded once the host took the channel away and what it sent
before was received.)doc")
      .def(
          "receive_packet",
          [](const ChannelHandle& h, std::optional<double> timeout) -> py::object {
            constexpr const char* what = "Channel.receive_packet";
            const auto view = next_packet(h, Deadline::from_seconds(timeout, what), what);
            if (!view) return py::none();
            Packet p{static_cast<std::uint16_t>(view->descriptor.type), view->descriptor.flags,
                     view->descriptor.trans_id, payload_bytes(*view)};
            finish(h, *view, what);
            return py::cast(std::move(p));
          },
          py::arg("timeout") = py::none(), "As receive(), as a Packet (type, flags, trans_id, payload), or None.")
      .def(
          "receive_into",
          [](const ChannelHandle& h, py::handle buffer, std::optional<double> timeout) -> py::object {
            constexpr const char* what = "Channel.receive_into";
            const ByteView into(buffer, ByteView::writable, "Channel.receive_into: buffer");
            const auto view = next_packet(h, Deadline::from_seconds(timeout, what), what);
            if (!view) return py::none();
            const std::size_t size = view->payload.size();
            if (size > into.size()) {
              // Left in the ring: a bigger buffer gets it.
              raise_error(ENOBUFS, std::string(what) + ": the packet's payload is " + std::to_string(size) +
                                       " bytes and the buffer holds " + std::to_string(into.size()));
            }
            view->payload.copy_to(into.writable_bytes());  // the only copy: ring -> caller's memory
            finish(h, *view, what);
            return py::int_(size);
          },
          py::arg("buffer"), py::arg("timeout") = py::none(),
          R"doc(Copies the next packet's payload into `buffer` (a bytearray, a memoryview of
one, or any writable contiguous buffer; it may be a slice) and returns its
length, or None on timeout. No other copy is made. A payload larger than the
buffer raises vmbus.Error(ENOBUFS) and stays in the ring.)doc")
      .def_property_readonly("relid", [](const ChannelHandle& h) { return bind(h, "Channel.relid").channel->relid(); })
      .def_property_readonly("index", [](const ChannelHandle& h) { return h.index; },
                             "Its index in Device.channel(): 0 is the primary.")
      .def_property_readonly("monitored",
                             [](const ChannelHandle& h) { return bind(h, "Channel.monitored").channel->monitored(); })
      .def_property_readonly(
          "rescinded", [](const ChannelHandle& h) { return bind(h, "Channel.rescinded").channel->rescinded(); })
      .def_property_readonly(
          "counters",
          [](const ChannelHandle& h) {
            const vmbus::ChannelCounters& c = bind(h, "Channel.counters").channel->counters();
            constexpr auto r = std::memory_order_relaxed;
            return CountersSnapshot{c.packets_sent.load(r),     c.bytes_sent.load(r),     c.ring_full_events.load(r),
                                    c.signals_sent.load(r),     c.packets_received.load(r), c.bytes_received.load(r),
                                    c.corrupt_packets.load(r), c.interrupts_seen.load(r)};
          },
          "A ChannelCounters snapshot.")
      .def("__repr__", [](const ChannelHandle& h) {
        return "<vmbus.Channel " + std::to_string(h.index) + " of " + h.device->instance +
               (h.device->opened ? "" : " (device closed)") + ">";
      });
}

}  // namespace vmbus_py
