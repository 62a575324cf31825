// Discovery: reading devices/<instance>/ the way the kernel lays it out
// (drivers/hv/vmbus_drv.c: vmbus_dev_attrs, vmbus_chan_attrs; drivers/uio/uio.c:
// the maps/ directory) and DPDK reads it (drivers/bus/vmbus/linux/vmbus_bus.c:
// vmbus_scan_one; vmbus_uio.c: vmbus_uio_get_subchan).
#include "vmbus/device/discovery.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <system_error>
#include <utility>

#include "vmbus/backing/device_backing.h"
#include "vmbus/device/device_class.h"

namespace vmbus {
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kHvPage = 4096;   // HV_HYP_PAGE_SIZE
constexpr std::uint32_t kMaxUioMaps = 5;  // include/linux/uio_driver.h: MAX_UIO_MAPS

bool is_dir(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

// The names in `dir`, sorted. Throws DeviceError naming `dir`.
std::vector<std::string> list_directory(const fs::path& dir, std::string_view expected) {
  std::error_code error;
  fs::directory_iterator it(dir, error);
  std::vector<std::string> names;
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  if (error) {
    const std::string why = error == std::errc::no_such_file_or_directory ? "missing"
                            : error == std::errc::permission_denied       ? "permission denied (run as root)"
                                                                          : error.message();
    throw DeviceError(dir.string() + ": cannot list: " + why + "; expected " + std::string(expected));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// "uio0" -> 0; std::nullopt for anything else.
std::optional<std::uint32_t> number_after(std::string_view prefix, std::string_view name) {
  if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
  return sysfs::parse_decimal(name.substr(prefix.size()));
}

std::string hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%" PRIx64, value);
  return text;
}

// monitorid is a u8 in the offer (include/linux/hyperv.h: vmbus_channel_offer_channel).
std::optional<std::uint8_t> read_monitor_id(const fs::path& file) {
  const std::optional<std::uint32_t> id = sysfs::read_optional_decimal(file);
  if (!id) return std::nullopt;
  if (*id > 255) {
    throw DeviceError(file.string() + ": expected a monitor id from 0 to 255 (a u8 in the offer), found " +
                      std::to_string(*id));
  }
  return static_cast<std::uint8_t>(*id);
}

// What map `index` of uio_hv_generic must be (uio_hv_generic.c: hv_uio_probe
// fills mem[TXRX_RING_MAP], INT_PAGE_MAP, MON_PAGE_MAP, RECV_BUF_MAP,
// SEND_BUF_MAP in that order). Throws naming name or size.
void check_map(const fs::path& map_dir, const UioMapInfo& map) {
  const auto bad_name = [&](std::string_view expected) {
    throw DeviceError((map_dir / "name").string() + ": expected " + std::string(expected) +
                      " (uio_hv_generic's map " + std::to_string(map.index) + "), found " +
                      sysfs::quoted(map.name));
  };
  const auto bad_size = [&](std::string_view expected) {
    throw DeviceError((map_dir / "size").string() + ": expected " + std::string(expected) + " for map " +
                      sysfs::quoted(map.name) + ", found " + hex(map.size));
  };
  const auto gpadl_named = [&](std::string_view prefix) {
    // "recv:%u" / "send:%u": the GPADL handle in decimal (DPDK strtoul()s it).
    return map.name.substr(0, prefix.size()) == prefix &&
           sysfs::parse_decimal(std::string_view(map.name).substr(prefix.size())).has_value();
  };
  switch (map.index) {
    case 0:
      if (map.name != "txrx_rings") bad_name("\"txrx_rings\"");
      // Two rings (TX then RX), each a 4 KiB header plus whole data pages.
      if (map.size < 4 * kHvPage || map.size % (2 * kHvPage) != 0) {
        bad_size("two rings of at least 8 KiB each, a multiple of 8 KiB in all");
      }
      return;
    case 1:
    case 2:
      if (map.name != (map.index == 1 ? "int_page" : "monitor_page")) {
        bad_name(map.index == 1 ? "\"int_page\"" : "\"monitor_page\"");
      }
      // HV_HYP_PAGE_SIZE since 2025, PAGE_SIZE before: whole 4 KiB pages.
      if (map.size < kHvPage || map.size % kHvPage != 0) {
        bad_size("one page (4 KiB, or the system page size)");
      }
      return;
    case 3:
    case 4:
      if (!gpadl_named(map.index == 3 ? "recv:" : "send:")) {
        bad_name(map.index == 3 ? "\"recv:<gpadl>\"" : "\"send:<gpadl>\"");
      }
      if (map.size == 0 || map.size % kHvPage != 0) bad_size("a non-zero multiple of 4 KiB");
      return;
  }
}

// uio/uioN/maps/mapK/ for K = 0.. while present (drivers/uio/uio.c:
// uio_dev_add_attributes names them "map%d").
std::vector<UioMapInfo> read_maps(const fs::path& uio_dir) {
  const fs::path maps_dir = uio_dir / "maps";
  std::vector<UioMapInfo> maps;
  for (std::uint32_t k = 0; k <= kMaxUioMaps; ++k) {
    const fs::path map_dir = maps_dir / ("map" + std::to_string(k));
    if (!sysfs::exists_no_follow(map_dir)) break;
    if (k == kMaxUioMaps) {
      throw DeviceError(map_dir.string() + ": unexpected; uio has at most " + std::to_string(kMaxUioMaps) +
                        " maps (MAX_UIO_MAPS)");
    }
    UioMapInfo map;
    map.index = k;
    map.name = sysfs::read_text(map_dir / "name");
    map.size = sysfs::read_hex(map_dir / "size");
    // DPDK reads only name and size; offset is informational (0 for these maps).
    if (sysfs::exists_no_follow(map_dir / "offset")) map.offset = sysfs::read_hex(map_dir / "offset");
    check_map(map_dir, map);
    maps.push_back(std::move(map));
  }
  if (maps.size() < 3) {
    throw DeviceError((maps_dir / ("map" + std::to_string(maps.size()))).string() +
                      ": missing; expected maps 0 to 2 (txrx_rings, int_page, monitor_page) at least");
  }
  // A gap would hide maps after it: say so rather than drop them.
  for (const std::string& name : list_directory(maps_dir, "map0, map1, ...")) {
    const std::optional<std::uint32_t> k = number_after("map", name);
    if (k && *k >= maps.size()) {
      throw DeviceError((maps_dir / name).string() + ": present, but map" + std::to_string(maps.size()) +
                        " before it is missing");
    }
  }
  return maps;
}

// The single uioN under <device>/uio/ (the uio class device's glue
// directory; DPDK vmbus_get_uio_dev takes the first).
void read_uio(const SysfsRoot& root, const fs::path& device_dir, DeviceInfo& info) {
  const fs::path dir = device_dir / "uio";
  std::vector<std::string> uio_names;
  for (const std::string& name :
       list_directory(dir, "one uioN directory (the device is bound to uio_hv_generic)")) {
    if (number_after("uio", name)) uio_names.push_back(name);
  }
  if (uio_names.size() != 1) {
    std::string found;
    for (const std::string& name : uio_names) found += (found.empty() ? "" : ", ") + name;
    throw DeviceError(dir.string() + ": expected exactly one uioN directory, found " +
                      (found.empty() ? std::string("none") : found));
  }
  info.uio_name = uio_names.front();
  info.uio_node = root.uio_node(info.uio_name);
  info.maps = read_maps(dir / info.uio_name);
  if (!sysfs::exists_no_follow(info.uio_node)) {
    throw DeviceError(info.uio_node.string() + ": missing; expected the device node of " +
                      (dir / info.uio_name).string() +
                      " (udev creates /dev/uioN; hvsim creates DIR/dev/uioN beside DIR/sys)");
  }
}

DeviceInfo read_device(const SysfsRoot& root, const fs::path& dir, const Guid& instance) {
  DeviceInfo info;
  info.sysfs_dir = dir;
  info.instance = instance;
  // device_id and class_id print "{%pUl}\n" (vmbus_drv.c: device_id_show, class_id_show).
  const Guid device_id = sysfs::read_guid(dir / "device_id");
  if (device_id != instance) {
    throw DeviceError((dir / "device_id").string() + ": expected " + instance.braced() +
                      " (the directory's name), found " + device_id.braced());
  }
  info.class_id = sysfs::read_guid(dir / "class_id");
  info.class_name = std::string(class_name(info.class_id));
  info.relid = sysfs::read_decimal(dir / "id");           // id_show: "%d\n", child_relid
  info.monitor_id = read_monitor_id(dir / "monitor_id");  // hidden if !monitor_allocated
  info.driver = sysfs::read_link_name(dir / "driver").value_or("");
  info.owner = info.driver.empty()         ? DeviceOwner::none
               : info.driver == sysfs::kUioDriver ? DeviceOwner::uio_hv_generic
                                           : DeviceOwner::kernel_driver;
  // driver_override_show prints "%s\n" of a NULL pointer as "(null)".
  info.driver_override = sysfs::read_optional_text(dir / "driver_override").value_or("");
  if (info.driver_override == "(null)") info.driver_override.clear();
  info.channels = read_channels(dir);
  if (info.owner == DeviceOwner::uio_hv_generic) read_uio(root, dir, info);
  return info;
}

std::string devices_dir_hint(const SysfsRoot& root) {
  return "is this a Hyper-V guest? for hvsim, set " + std::string(SysfsRoot::kEnvironmentVariable) +
         "=DIR/sys (now " + root.root().string() + ")";
}

std::string problems_note(const DeviceScan& found) {
  std::string note;
  for (const DeviceProblem& p : found.problems) note += "; could not read a device: " + p.message;
  return note;
}

}  // namespace

// channels/<relid>/ (vmbus_drv.c: vmbus_add_channel_kobj names it "%u").
// monitor_id is hidden when !monitor_allocated (vmbus_chan_attr_is_visible).
std::vector<ChannelInfo> read_channels(const fs::path& device_dir) {
  const fs::path dir = device_dir / "channels";
  std::vector<ChannelInfo> channels;
  if (!sysfs::exists_no_follow(dir)) return channels;  // kernels before the channels kset (4.14)
  for (const std::string& name : list_directory(dir, "one directory per channel, named by relid")) {
    const fs::path channel_dir = dir / name;
    ChannelInfo channel;
    try {
      const std::optional<std::uint32_t> relid = sysfs::parse_decimal(name);
      if (!relid || !is_dir(channel_dir)) {
        throw DeviceError(channel_dir.string() + ": expected a channel directory named by its decimal relid");
      }
      channel.relid = *relid;
      channel.subchannel_id = sysfs::read_decimal(channel_dir / "subchannel_id");
      channel.monitor_id = read_monitor_id(channel_dir / "monitor_id");
      channel.cpu = sysfs::read_decimal(channel_dir / "cpu");
      channel.has_ring_file = sysfs::exists_no_follow(channel_dir / "ring");
    } catch (const DeviceError&) {
      // A subchannel the host rescinded while we read it loses its whole
      // directory (vmbus_remove_channel_attr_group): that channel is gone,
      // not malformed.
      if (!sysfs::exists_no_follow(channel_dir)) continue;
      throw;
    }
    channels.push_back(channel);
  }
  // The primary (subchannel_id 0) first, then by relid.
  std::sort(channels.begin(), channels.end(), [](const ChannelInfo& a, const ChannelInfo& b) {
    return std::pair(a.subchannel_id != 0, a.relid) < std::pair(b.subchannel_id != 0, b.relid);
  });
  return channels;
}

DeviceScan scan(const SysfsRoot& root) {
  const fs::path dir = root.devices_dir();
  DeviceScan found;
  for (const std::string& name :
       list_directory(dir, "the VMBus devices directory; " + devices_dir_hint(root))) {
    const fs::path device_dir = dir / name;
    try {
      const std::optional<Guid> instance = Guid::parse(name);
      if (!instance || !is_dir(device_dir)) {
        throw DeviceError(device_dir.string() + ": expected a device directory named by its instance GUID");
      }
      found.devices.push_back(read_device(root, device_dir, *instance));
    } catch (const DeviceError& error) {
      // Rescinded while we read it: vmbus_device_unregister removed it. Not a problem.
      if (!sysfs::exists_no_follow(device_dir)) continue;
      found.problems.push_back({device_dir, error.what()});
    }
  }
  std::sort(found.devices.begin(), found.devices.end(),
            [](const DeviceInfo& a, const DeviceInfo& b) { return a.instance < b.instance; });
  return found;
}

std::vector<DeviceInfo> discover(const SysfsRoot& root) { return scan(root).devices; }

DeviceInfo describe_device(const SysfsRoot& root, const Guid& instance) {
  const fs::path dir = root.device_dir(instance);
  if (!sysfs::exists_no_follow(dir)) {
    std::string message = "no VMBus device " + instance.str() + " under " + root.devices_dir().string();
    if (!sysfs::exists_no_follow(root.devices_dir())) {
      message += " (that directory is missing: " + devices_dir_hint(root) + ")";
    }
    throw DeviceError(message);
  }
  return read_device(root, dir, instance);
}

std::vector<DeviceInfo> find_devices_of_class(const SysfsRoot& root, const Guid& class_id) {
  std::vector<DeviceInfo> devices = discover(root);
  std::erase_if(devices, [&](const DeviceInfo& d) { return d.class_id != class_id; });
  return devices;
}

DeviceInfo find_device(const SysfsRoot& root, std::string_view selector) {
  const std::optional<Guid> guid = Guid::parse(selector);
  if (guid && sysfs::exists_no_follow(root.device_dir(*guid))) return describe_device(root, *guid);
  const std::optional<Guid> class_id = find_class_guid(selector);
  if (!class_id) {
    throw DeviceError(
        sysfs::quoted(selector) +
        " is neither a device instance GUID nor a device class; classes: " + known_class_names());
  }
  DeviceScan found = scan(root);
  std::vector<DeviceInfo> matches;
  for (DeviceInfo& d : found.devices) {
    if (d.class_id == *class_id) matches.push_back(std::move(d));
  }
  const std::string what =
      guid ? "device or class " + guid->str() : "device of class " + std::string(selector);
  if (matches.size() == 1) return std::move(matches.front());
  if (matches.empty()) {
    throw DeviceError("no VMBus " + what + " under " + root.devices_dir().string() + problems_note(found));
  }
  std::string list;
  for (const DeviceInfo& d : matches) {
    list += (list.empty() ? "" : ", ") + d.instance.str() + " (" +
            (d.driver.empty() ? "no driver" : d.driver) + ")";
  }
  throw DeviceError(std::to_string(matches.size()) + " devices of class " +
                    std::string(class_name(*class_id)) + " under " + root.devices_dir().string() + ": " +
                    list + "; name one by its instance GUID");
}

}  // namespace vmbus
