// File: bindings/python/src/discovery.cc
//
// vmbus.discover() and vmbus.find_device(): the devices under a sysfs root
// (vmbus/device/discovery.h) as DeviceInfo and ChannelInfo objects, read-only
// snapshots of what sysfs said at the time; and find_and_claim (discovery.h).
#include "discovery.h"

#include <cerrno>
#include <chrono>
#include <cmath>

#include "errors.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/device/discovery.h"

namespace vmbus_py {
namespace {

const char* owner_name(vmbus::DeviceOwner owner) {
  switch (owner) {
    case vmbus::DeviceOwner::none: return "none";
    case vmbus::DeviceOwner::uio_hv_generic: return "uio_hv_generic";
    case vmbus::DeviceOwner::kernel_driver: return "kernel_driver";
  }
  return "none";
}

py::object optional_u8(const std::optional<std::uint8_t>& v) {
  return v ? py::object(py::int_(*v)) : py::object(py::none());
}

}  // namespace

vmbus::SysfsRoot sysfs_root_of(const std::optional<std::string>& sysfs_root) {
  return vmbus::SysfsRoot::from_option(sysfs_root ? *sysfs_root : std::string());
}

std::string find_and_claim(const vmbus::SysfsRoot& root, const std::string& selector, const ClaimRequest& request,
                           std::optional<vmbus::Claim>& claim, vmbus::DeviceInfo& info, int& errno_value) {
  if (selector.empty()) {
    errno_value = EINVAL;
    return "the device selector is empty (an instance GUID or a class name such as \"echo\")";
  }
  try {
    info = vmbus::find_device(root, selector);
  } catch (const vmbus::DeviceError& e) {
    // None, several, or unreadable: the device the caller means is not there.
    errno_value = ENODEV;
    return e.what();
  }
  if (!request.claim) {
    if (info.owner != vmbus::DeviceOwner::uio_hv_generic) {
      errno_value = EIO;
      return info.instance.str() + " (" + info.class_name + ") is not bound to uio_hv_generic and claim=False";
    }
    return {};
  }
  vmbus::ClaimOptions options;
  if (request.claim_timeout) {
    options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(*request.claim_timeout * 1000)));
  }
  claim.emplace(vmbus::claim_device(root, info.instance, options));
  info = claim->device();
  if (request.keep_claim) claim->keep();
  return {};
}

void register_discovery(py::module_& m) {
  py::class_<vmbus::ChannelInfo>(m, "ChannelInfo", py::module_local(),
      "One channel of a device, as sysfs lists it (channels/<relid>/).")
      .def_property_readonly("relid", [](const vmbus::ChannelInfo& c) { return c.relid; })
      .def_property_readonly("subchannel_id", [](const vmbus::ChannelInfo& c) { return c.subchannel_id; },
                             "0 for the primary channel.")
      .def_property_readonly("monitor_id", [](const vmbus::ChannelInfo& c) { return optional_u8(c.monitor_id); },
                             "None when the channel is not monitored (it signals through irqcontrol).")
      .def_property_readonly("cpu", [](const vmbus::ChannelInfo& c) { return c.cpu; })
      .def_property_readonly("has_ring_file", [](const vmbus::ChannelInfo& c) { return c.has_ring_file; })
      .def("__repr__", [](const vmbus::ChannelInfo& c) {
        return "<vmbus.ChannelInfo relid " + std::to_string(c.relid) + " subchannel " +
               std::to_string(c.subchannel_id) + ">";
      });

  py::class_<vmbus::DeviceInfo>(m, "DeviceInfo", py::module_local(),
                                "One VMBus device as discovery read it from sysfs (a snapshot: it does not change).")
      .def_property_readonly("instance", [](const vmbus::DeviceInfo& d) { return d.instance.str(); },
                             "The instance GUID (device_id), lower case, without braces.")
      .def_property_readonly("class_id", [](const vmbus::DeviceInfo& d) { return d.class_id.str(); })
      .def_property_readonly("class_name", [](const vmbus::DeviceInfo& d) { return d.class_name; },
                             "\"network\", \"kvp\", \"echo\"... (\"unknown\" for a class the SDK does not name).")
      .def_property_readonly("relid", [](const vmbus::DeviceInfo& d) { return d.relid; },
                             "The primary channel's relid (sysfs id).")
      .def_property_readonly("monitor_id", [](const vmbus::DeviceInfo& d) { return optional_u8(d.monitor_id); })
      .def_property_readonly("owner", [](const vmbus::DeviceInfo& d) { return owner_name(d.owner); },
                             "\"none\", \"uio_hv_generic\" or \"kernel_driver\".")
      .def_property_readonly("driver", [](const vmbus::DeviceInfo& d) { return d.driver; },
                             "The bound driver's name, \"\" if none.")
      .def_property_readonly("driver_override", [](const vmbus::DeviceInfo& d) { return d.driver_override; })
      .def_property_readonly("uio_name", [](const vmbus::DeviceInfo& d) { return d.uio_name; },
                             "\"uio0\" when bound to uio_hv_generic, else \"\".")
      .def_property_readonly("sysfs_dir", [](const vmbus::DeviceInfo& d) { return d.sysfs_dir.string(); })
      .def_property_readonly("channels", [](const vmbus::DeviceInfo& d) { return d.channels; },
                             "ChannelInfo for each channel: the primary first, then subchannels by relid.")
      .def("__repr__", [](const vmbus::DeviceInfo& d) {
        return "<vmbus.DeviceInfo " + d.instance.str() + " " + d.class_name + " relid " + std::to_string(d.relid) +
               " driver " + (d.driver.empty() ? std::string("-") : d.driver) + ">";
      });

  m.def(
      "discover",
      [](std::optional<std::string> sysfs_root) {
        const vmbus::SysfsRoot root = sysfs_root_of(sysfs_root);
        std::vector<vmbus::DeviceInfo> devices;
        try {
          py::gil_scoped_release nogil;  // reads many sysfs files
          devices = vmbus::discover(root);
        } catch (const vmbus::DeviceError& e) {
          raise_error(ENODEV, std::string("discover: ") + e.what());
        }
        return devices;
      },
      py::arg("sysfs_root") = py::none(),
      R"doc(The VMBus devices under a sysfs root, by instance GUID.

sysfs_root: a directory holding bus/vmbus ("/sys" on a Hyper-V guest, or
ROOT/sys under hvsim); None means $VMBUS_SYSFS_ROOT, else "/sys". A device
that cannot be read (or vanishes while read) is left out. Raises
vmbus.Error(ENODEV) if the root has no VMBus at all.)doc");

  m.def(
      "find_device",
      [](const std::string& selector, std::optional<std::string> sysfs_root) {
        const vmbus::SysfsRoot root = sysfs_root_of(sysfs_root);
        vmbus::DeviceInfo info;
        try {
          py::gil_scoped_release nogil;
          info = vmbus::find_device(root, selector);
        } catch (const vmbus::DeviceError& e) {
          raise_error(ENODEV, std::string("find_device: ") + e.what());
        }
        return info;
      },
      py::arg("selector"), py::arg("sysfs_root") = py::none(),
      R"doc(The one device `selector` names: an instance GUID, or a class (a name
such as "network", "kvp", "echo", or a class GUID) exactly one device has.
Raises vmbus.Error(ENODEV) naming what matched instead (none, or several).)doc");
}

}  // namespace vmbus_py
