// Test support: a VMBus sysfs tree built by hand in a temporary directory,
// laid out and formatted as the kernel does it:
//   DIR/sys/devices/.../VMBUS:00/<guid>/        the device (vmbus_drv.c attributes)
//   DIR/sys/bus/vmbus/devices/<guid>            a relative symlink to it
//   DIR/sys/bus/vmbus/drivers/<name>/{bind,unbind,new_id,remove_id}
//   <device>/driver -> ../../../../bus/vmbus/drivers/<name>
//   <device>/uio/uioN/maps/mapK/{name,addr,size,offset}    (drivers/uio/uio.c)
//   DIR/dev/uioN                                 a plain file standing in for the node
//
// Usage:
//   vmbus::test::FakeSysfs sys;
//   fs::path nic = sys.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
//   sys.add_uio(nic, 0, vmbus::test::nic_maps());
//   vmbus::DeviceInfo d = vmbus::describe_device(sys.root(), *vmbus::Guid::parse(kNic1));
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "../temp_dir.h"
#include "vmbus/device/guid.h"
#include "vmbus/device/sysfs.h"

namespace vmbus::test {

namespace fs = std::filesystem;

inline constexpr const char* kNicClass = "f8615163-df3e-46c5-913f-f2d2f965ed0e";
inline constexpr const char* kKvpClass = "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6";
inline constexpr const char* kNic1 = "0a1b2c3d-0000-4000-8000-000000000001";
inline constexpr const char* kNic2 = "0a1b2c3d-0000-4000-8000-000000000002";
inline constexpr const char* kKvp1 = "242ff919-07db-4180-9c2e-b86cb68c8c55";

inline bool running_as_root() { return ::geteuid() == 0; }

// "0x%pa": phys_addr_t printed by the kernel's %pa, 16 hex digits on 64-bit.
inline std::string pa(std::uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%016llx\n", static_cast<unsigned long long>(value));
  return text;
}

// One uio map as add_uio writes it: maps/mapK/{name,size}. (Not
// endpoint_test_server.h's MapSpec: that one is a map FakeHost serves.)
struct SysfsMapSpec {
  std::string name;
  std::uint64_t size;
};

// A NIC's maps (hv_uio_probe): 2 x (2 MiB + 4 KiB) rings, two pages, 31 and 16 MiB buffers.
inline std::vector<SysfsMapSpec> nic_maps() {
  return {{"txrx_rings", 0x402000},
          {"int_page", 0x1000},
          {"monitor_page", 0x1000},
          {"recv:5", 31u << 20},
          {"send:6", 16u << 20}};
}
// Any other class: rings of VMBUS_RING_SIZE(0x11000), no buffers.
inline std::vector<SysfsMapSpec> kvp_maps() {
  return {{"txrx_rings", 2 * 0x12000}, {"int_page", 0x1000}, {"monitor_page", 0x1000}};
}

struct ChannelSpec {
  std::uint32_t relid;
  std::uint32_t subchannel_id = 0;
  std::optional<std::uint32_t> monitor_id;
  std::uint32_t cpu = 0;
  bool ring = false;
};

struct DeviceSpec {
  std::string instance;
  std::string class_id;
  std::uint32_t relid = 14;
  std::optional<std::uint32_t> monitor_id = 1;  // hidden when !monitor_allocated
  std::string driver;                           // "" for none
  bool has_driver_override = true;              // kernels since 2018 have driver_override
  std::vector<ChannelSpec> channels;            // empty: the primary only
};

inline void write_file(const fs::path& file, const std::string& content) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

// The whole file, or "" if it cannot be read.
inline std::string read_file(const fs::path& file) {
  std::string text;
  if (std::FILE* f = std::fopen(file.c_str(), "rb")) {
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
    std::fclose(f);
  }
  return text;
}

class FakeSysfs {
 public:
  FakeSysfs() : root_(dir_.path() / "sys") {
    fs::create_directories(devices_dir());
    fs::create_directories(real_devices_dir());
    fs::create_directories(dir_.path() / "dev");
    for (const char* driver : {"hv_netvsc", "hv_utils", "uio_hv_generic"}) add_driver(driver);
  }

  const SysfsRoot& root() const { return root_; }
  const fs::path& dir() const { return dir_.path(); }
  fs::path devices_dir() const { return root_.devices_dir(); }
  fs::path real_devices_dir() const {
    return root_.root() / "devices" / "LNXSYSTM:00" / "LNXSYBUS:00" / "ACPI0004:00" / "VMBUS:00";
  }
  fs::path driver_dir(const std::string& name) const { return root_.driver_dir(name); }

  // drivers/<name>/ with the driver core's and vmbus's files (vmbus_drv_attrs).
  void add_driver(const std::string& name) {
    for (const char* file : {"bind", "unbind", "new_id", "remove_id", "uevent"}) {
      write_file(driver_dir(name) / file, "");
    }
  }

  // Returns the path through bus/vmbus/devices/<guid>, as the SDK sees it.
  fs::path add_device(const DeviceSpec& spec) {
    const fs::path real = real_devices_dir() / spec.instance;
    write_file(real / "class_id", "{" + spec.class_id + "}\n");  // class_id_show: "{%pUl}\n"
    write_file(real / "device_id", "{" + spec.instance + "}\n");
    write_file(real / "id", std::to_string(spec.relid) + "\n");  // id_show: "%d\n"
    if (spec.monitor_id) write_file(real / "monitor_id", std::to_string(*spec.monitor_id) + "\n");
    write_file(real / "state", "3\n");
    write_file(real / "numa_node", "0\n");
    write_file(real / "modalias", "vmbus:" + wire_hex(spec.class_id) + "\n");  // "vmbus:%*phN\n"
    if (spec.has_driver_override) write_file(real / "driver_override", "(null)\n");
    fs::create_symlink(fs::relative(real, devices_dir()), devices_dir() / spec.instance);
    const fs::path device = devices_dir() / spec.instance;
    if (spec.channels.empty()) {
      add_channel(device, {.relid = spec.relid, .monitor_id = spec.monitor_id});
    } else {
      for (const ChannelSpec& c : spec.channels) add_channel(device, c);
    }
    set_driver(device, spec.driver);
    return device;
  }

  // channels/<relid>/ (vmbus_chan_attrs; monitor attributes hidden when not monitored).
  void add_channel(const fs::path& device, const ChannelSpec& c) {
    const fs::path dir = device / "channels" / std::to_string(c.relid);
    write_file(dir / "subchannel_id", std::to_string(c.subchannel_id) + "\n");
    write_file(dir / "cpu", std::to_string(c.cpu) + "\n");
    write_file(dir / "in_mask", "0\n");
    write_file(dir / "out_mask", "0\n");
    if (c.monitor_id) {
      write_file(dir / "monitor_id", std::to_string(*c.monitor_id) + "\n");
      write_file(dir / "latency", "100\n");
    }
    if (c.ring) write_file(dir / "ring", "");
  }

  // <device>/driver as the driver core links it (relative); "" removes it.
  void set_driver(const fs::path& device, const std::string& driver) {
    const fs::path link = device / "driver";
    std::error_code ignored;
    fs::remove(link, ignored);
    if (driver.empty()) return;
    const fs::path real = fs::canonical(device);
    fs::create_symlink(fs::relative(driver_dir(driver), real), link);
  }

  // uio/uioN/maps/mapK/ as drivers/uio/uio.c prints them, and DIR/dev/uioN.
  void add_uio(const fs::path& device, int n, const std::vector<SysfsMapSpec>& maps, bool with_node = true) {
    const std::string name = "uio" + std::to_string(n);
    const fs::path uio = device / "uio" / name;
    write_file(uio / "name", "uio_hv_generic\n");
    write_file(uio / "version", "0.02.1\n");
    write_file(uio / "event", "0\n");
    for (std::size_t k = 0; k < maps.size(); ++k) {
      const fs::path map = uio / "maps" / ("map" + std::to_string(k));
      write_file(map / "name", maps[k].name + "\n");             // "%s\n"
      write_file(map / "addr", pa(0x100000000ULL + (k << 32)));  // "%pa\n"
      write_file(map / "size", pa(maps[k].size));                // "%pa\n"
      write_file(map / "offset", "0x0\n");                       // "0x%llx\n"
    }
    if (with_node) write_file(uio_node(n), "");
  }

  void remove_uio(const fs::path& device) {
    for (const auto& entry : fs::directory_iterator(device / "uio")) {
      std::error_code ignored;
      fs::remove(dir() / "dev" / entry.path().filename(), ignored);
    }
    fs::remove_all(device / "uio");  // the class glue directory goes with its last device
  }

  fs::path uio_node(int n) const { return dir() / "dev" / ("uio" + std::to_string(n)); }

 private:
  // The class GUID's 16 bytes in memory order, as modalias_show prints them.
  static std::string wire_hex(const std::string& guid) {
    std::string out;
    const Guid parsed = Guid::parse(guid).value();
    for (std::uint8_t b : parsed.bytes()) {
      char two[3];
      std::snprintf(two, sizeof two, "%02x", b);
      out += two;
    }
    return out;
  }

  TempDir dir_;
  SysfsRoot root_;
};

}  // namespace vmbus::test
