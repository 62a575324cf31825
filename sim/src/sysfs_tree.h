// The simulated sysfs tree: every file hvsim shows under DIR/sys with the
// kernel's names and formats (drivers/hv/vmbus_drv.c, drivers/uio/uio.c,
// drivers/uio/uio_hv_generic.c), and hvsim's own counters under DIR/hvsim.
//
// Directories appear and disappear whole: they are built in the staging
// directory and renamed into place (and renamed away before removal), so a
// reader walking the tree never sees a device half made. Files that change
// while hvsim runs (read_avail, interrupts, state, ...) are replaced
// atomically and only when their text changes.
//
// Differences from the kernel, by necessity:
//   - write-only attributes (bind, unbind, new_id, remove_id) are empty
//     regular files (mode 0200) that hvsim empties again after acting;
//   - a rejected write cannot fail the writer's write(2): hvsim logs why;
//   - attributes the kernel fails to read without a ring (in_*/out_*) read 0.
//
// Channels: each has channels/<relid>/ (vmbus_add_channel_kobj) with the
// attributes of its own rings, and hvsim/devices/<instance>/channels/<relid>/
// with its counters. A subchannel's pair of directories comes and goes with
// add_channel/remove_channel. The binary `ring` attribute is a ring file the
// caller made in the staging directory (SharedMemory::create_file);
// publish_ring renames it into channels/<relid>/ so it appears whole.
//
// Usage:
//   hvsim::SysfsTree tree(paths, pages);
//   tree.create_skeleton();
//   tree.add_device(device);   // DIR/sys/bus/vmbus/devices/<instance>/
//   tree.add_channel(device, subchannel);
//   tree.publish_ring(device, relid, staged_ring_file);
//   tree.refresh(device);      // every counter_refresh_ms
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "device.h"
#include "hvsim/tree_paths.h"

namespace hvsim {

class SysfsTree {
 public:
  SysfsTree(const TreePaths& paths, const HostPages& pages) : paths_(paths), pages_(pages) {}

  // sys/bus/vmbus/{devices,drivers/<each of kDrivers>}, sys/class/uio, dev,
  // hvsim/devices. Throws std::runtime_error naming the path.
  void create_skeleton();
  void remove_all() noexcept;

  void add_device(const Device& d);
  void remove_device(const Device& d) noexcept;
  // channels/<relid>/ and its counters directory, each appearing whole
  // (a subchannel's offer). The caller refreshes channel_vp_mapping.
  void add_channel(const Device& d, const ChannelRecord& c);
  void remove_channel(const Device& d, std::uint32_t relid) noexcept;
  // Renames `staged` (a file in the staging directory) to channels/<relid>/ring.
  void publish_ring(const Device& d, std::uint32_t relid, const std::filesystem::path& staged);
  void remove_ring(const Device& d, std::uint32_t relid) noexcept;
  // uio/uioN with its maps, and class/uio/uioN (hv_uio_probe -> uio_register_device).
  void add_uio(const Device& d);
  void remove_uio(const Device& d) noexcept;
  // The `driver` link and drivers/<driver>/<instance>, as d.driver says now.
  void link_driver(const Device& d);
  void unlink_driver(const Device& d, std::string_view driver) noexcept;
  // driver_override as d says (after a write to it, valid or not).
  void write_override(const Device& d);
  // Rewrites what changed: ring state, counters, state, uevent.
  void refresh(const Device& d);
  // Empties a driver's write-only file after hvsim acted on a write.
  void reset_driver_file(std::string_view driver, std::string_view file);

 private:
  struct Attribute {
    std::string path;  // relative to the directory being written
    std::string text;
    mode_t mode;
  };
  std::vector<Attribute> device_attributes(const Device& d) const;
  // One channel's, relative to its channels/<relid>/ directory.
  std::vector<Attribute> channel_attributes(const Device& d, const ChannelRecord& c) const;
  std::vector<Attribute> stats_attributes(const Device& d) const;
  std::vector<Attribute> channel_stats_attributes(const ChannelRecord& c) const;
  std::vector<Attribute> uio_attributes(const Device& d) const;
  // Builds `attrs` in a staged directory and renames it to `dir`.
  void publish_dir(const std::filesystem::path& dir, const std::vector<Attribute>& attrs);
  // Replaces `path` if `text` differs from what was last written there.
  void put(const std::filesystem::path& path, const std::string& text, mode_t mode);
  void forget(const std::filesystem::path& dir) noexcept;

  const TreePaths& paths_;
  const HostPages& pages_;
  std::unordered_map<std::string, std::string> written_;  // path -> text
};

}  // namespace hvsim
