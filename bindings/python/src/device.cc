// File: bindings/python/src/device.cc
//
// vmbus.Device: a claimed and opened device (vmbus/device/device.h), as a
// context manager; its channels, its interrupts (wait, event_fd) and its
// rescind. Opening claims the device for uio_hv_generic if needed and
// closing gives it back, as the C ABI's vmbus_device_open/close do.
#include "device.h"

#include <cerrno>

#include "discovery.h"
#include "errors.h"

namespace vmbus_py {

std::shared_ptr<OpenedDevice> DeviceHandle::require(const char* what) const {
  if (!opened) raise_closed(what, "device");
  return opened;
}

vmbus::Result<std::uint32_t> wait_without_gil(OpenedDevice& opened, std::chrono::milliseconds slice) {
  py::gil_scoped_release nogil;
  const std::lock_guard lock(opened.wait_mutex);
  return opened.device->wait(slice);
}

namespace {

std::shared_ptr<DeviceHandle> open_device(const std::string& selector, std::optional<std::string> sysfs_root,
                                          bool claim, bool keep_claim, std::optional<double> claim_timeout,
                                          bool map_shared_buffers) {
  if (claim_timeout && !(*claim_timeout > 0 && *claim_timeout < 3600)) {
    throw py::value_error("Device.open: claim_timeout must be None or seconds in (0, 3600)");
  }
  const vmbus::SysfsRoot root = sysfs_root_of(sysfs_root);
  auto handle = std::make_shared<DeviceHandle>();
  auto opened = std::make_shared<OpenedDevice>();
  std::string failure;
  int errno_value = 0;
  {
    // Claiming waits for the binding to take effect (up to seconds): no
    // Python object is touched in here.
    py::gil_scoped_release nogil;
    failure = find_and_claim(root, selector, ClaimRequest{claim, keep_claim, claim_timeout}, opened->claim,
                             handle->info, errno_value);
    if (failure.empty()) {
      vmbus::DeviceOptions options;
      options.map_shared_buffers = map_shared_buffers;
      opened->device = vmbus::Device::open(handle->info, options);
    }
  }
  if (!failure.empty()) raise_error(errno_value, "Device.open: " + failure);
  handle->instance = handle->info.instance.str();
  handle->opened = std::move(opened);
  return handle;
}

void close_device(DeviceHandle& handle) {
  std::shared_ptr<OpenedDevice> opened = std::move(handle.opened);
  handle.opened.reset();
  // Releasing the claim waits for the unbind: without the GIL.
  py::gil_scoped_release nogil;
  opened.reset();
}

}  // namespace

void register_device(py::module_& m) {
  py::class_<DeviceHandle, std::shared_ptr<DeviceHandle>>(m, "Device", py::module_local(),
      R"doc(An open VMBus device: its rings mapped,
its channels ready. Open it with Device.open(); use it as a context manager
(or call close()) so that the claim is given back.

    with vmbus.Device.open("echo", sysfs_root=root) as dev:
        ch = dev.channel(0)
)doc")
      .def_static("open", &open_device, py::arg("selector"), py::arg("sysfs_root") = py::none(), py::kw_only(),
                  py::arg("claim") = true, py::arg("keep_claim") = false, py::arg("claim_timeout") = py::none(),
                  py::arg("map_shared_buffers") = false,
                  R"doc(Finds, claims and opens a device.

selector: an instance GUID, or a class ("echo", "network", "kvp", a class
GUID) exactly one device has. sysfs_root: as for discover(). claim: bind the
device to uio_hv_generic if it is not (and unbind it at close, unless
keep_claim); claim=False needs it bound already. claim_timeout: seconds for
each claim step (default 5). map_shared_buffers: also map a NIC's receive
and send buffers (the netvsc Port does that itself).
Raises vmbus.Error: ENODEV (no such device, or several match), EIO (the
claim or the open failed; the message names the file or step). The GIL is
released while the device is claimed and opened.)doc")
      .def("close", &close_device,
           "Unmaps the device and gives the claim back (idempotent). Its channels raise vmbus.Error(EBADF) afterwards.")
      .def("__enter__", [](std::shared_ptr<DeviceHandle> self) { return self; })
      .def("__exit__", [](DeviceHandle& self, py::args) { close_device(self); })
      .def_property_readonly("closed", [](const DeviceHandle& self) { return !self.opened; })
      .def_property_readonly("instance", [](const DeviceHandle& self) { return self.instance; },
                             "The instance GUID.")
      .def_property_readonly("info", [](const DeviceHandle& self) { return self.info; },
                             "The DeviceInfo as the device was when opened (bound to uio_hv_generic).")
      .def_property_readonly(
          "description",
          [](const DeviceHandle& self) { return self.require("Device.description")->device->describe(); },
          "How the device is reached: \"uio /dev/uio0\" or \"endpoint <root>/dev/uio0\" (hvsim).")
      .def_property_readonly(
          "channel_count",
          [](const DeviceHandle& self) { return self.require("Device.channel_count")->device->channel_count(); })
      .def(
          "channel",
          [](std::shared_ptr<DeviceHandle> self, std::uint32_t index) {
            auto opened = self->require("Device.channel");
            const std::uint32_t count = opened->device->channel_count();
            if (index >= count) {
              throw py::index_error("Device.channel: channel " + std::to_string(index) + " is not open (" +
                                    std::to_string(count) + " are: 0 is the primary, open_subchannel adds more)");
            }
            return ChannelHandle{std::move(self), index};
          },
          py::arg("index") = 0, "Channel `index` (0, the default, is the primary channel).")
      .def(
          "open_subchannel",
          [](std::shared_ptr<DeviceHandle> self, std::uint32_t subchannel_id, double timeout) {
            if (!(timeout >= 0 && timeout < 3600)) {
              throw py::value_error("Device.open_subchannel: timeout must be seconds in [0, 3600)");
            }
            auto opened = self->require("Device.open_subchannel");
            vmbus::Channel* channel = nullptr;
            {
              py::gil_scoped_release nogil;  // waits for the host's offer
              channel = &opened->device->open_subchannel_by_id(
                  subchannel_id, std::chrono::milliseconds(static_cast<std::int64_t>(timeout * 1000)));
            }
            for (std::uint32_t i = 0; i < opened->device->channel_count(); ++i) {
              if (&opened->device->channel(i) == channel) return ChannelHandle{std::move(self), i};
            }
            raise_error(EIO, "Device.open_subchannel: the subchannel opened but is not listed");
          },
          py::arg("subchannel_id"), py::arg("timeout") = 10.0,
          "Opens the subchannel the host offered with this id (1..63), waiting up to `timeout` seconds for it.")
      .def(
          "wait",
          [](DeviceHandle& self, std::optional<double> timeout) -> std::uint32_t {
            const Deadline deadline = Deadline::from_seconds(timeout, "Device.wait");
            for (;;) {
              auto opened = self.require("Device.wait");
              const vmbus::Result<std::uint32_t> n = wait_without_gil(*opened, deadline.next_slice(kWaitSlice));
              if (!n) raise_sdk_error(n.error(), "Device.wait");
              if (*n > 0 || deadline.expired()) return *n;
              check_signals();
            }
          },
          py::arg("timeout") = py::none(),
          R"doc(Sleeps until the device interrupts, up to `timeout` seconds (None: no limit),
with the GIL released. Returns the interrupts seen, 0 on timeout. Raises
vmbus.Rescinded if the host took the device away. A channel interrupts only
while armed: Channel.receive() arms it before it sleeps.)doc")
      .def_property_readonly(
          "event_fd", [](const DeviceHandle& self) { return self.require("Device.event_fd")->device->event_fd(); },
          "A file descriptor readable when interrupts are pending (for select/epoll); then call take_interrupts().")
      .def(
          "take_interrupts",
          [](DeviceHandle& self) {
            const vmbus::Result<std::uint32_t> n = self.require("Device.take_interrupts")->device->take_interrupts();
            if (!n) raise_sdk_error(n.error(), "Device.take_interrupts");
            return *n;
          },
          "The interrupts since the last call (after event_fd polled readable). Raises vmbus.Rescinded.")
      .def_property_readonly(
          "rescinded",
          [](const DeviceHandle& self) { return self.require("Device.rescinded")->device->check_rescinded(); },
          "True once the host rescinded the device (also looks at sysfs).")
      .def("__repr__", [](const DeviceHandle& self) {
        return "<vmbus.Device " + self.instance + " " + self.info.class_name + (self.opened ? "" : " closed") + ">";
      });
}

}  // namespace vmbus_py
