// File: hvsim/tree_paths.h
//
// Where hvsim puts things under its root DIR:
//   DIR/sys/bus/vmbus/devices/<instance>/   the kernel's device directories
//   DIR/sys/bus/vmbus/drivers/<driver>/     bind, unbind, new_id, remove_id
//   DIR/sys/class/uio/uioN                  -> ../../bus/vmbus/devices/<instance>/uio/uioN
//   DIR/dev/uioN                            the endpoint sockets (endpoint_protocol.h)
//   DIR/hvsim.ctl                           the control socket (hvsim ctl)
//   DIR/hvsim/devices/<instance>/channels/<relid>/<counter>   hvsim's own counters
//   DIR/.hvsim/                             private staging for atomic replaces
// An SDK pointed at DIR/sys as its sysfs root finds DIR/dev/uioN as the
// kernel's /dev/uioN (DeviceInfo::uio_node is <root>/../dev/uioN).
//
// Usage:
//   hvsim::TreePaths paths("/dev/shm/vm1");
//   std::filesystem::path bind = paths.driver_dir("uio_hv_generic") / "bind";
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "hvsim/guid.h"

namespace hvsim {

struct TreePaths {
  explicit TreePaths(std::filesystem::path root_dir)
      : root(std::move(root_dir)),
        sys(root / "sys"),
        devices(sys / "bus" / "vmbus" / "devices"),
        drivers(sys / "bus" / "vmbus" / "drivers"),
        class_uio(sys / "class" / "uio"),
        dev(root / "dev"),
        control_socket(root / "hvsim.ctl"),
        stats(root / "hvsim"),
        staging(root / ".hvsim") {}

  std::filesystem::path device_dir(const Guid& instance) const { return devices / instance.str(); }
  std::filesystem::path driver_dir(std::string_view driver) const { return drivers / std::string(driver); }
  std::filesystem::path uio_node(unsigned index) const { return dev / ("uio" + std::to_string(index)); }
  std::filesystem::path stats_dir(const Guid& instance) const { return stats / "devices" / instance.str(); }

  std::filesystem::path root, sys, devices, drivers, class_uio, dev, control_socket, stats, staging;
};

}  // namespace hvsim
