// File: vmbus/device/sysfs.h
//
// Where the VMBus sysfs tree is, and small readers and writers for its
// attributes that fail with a DeviceError naming the file, what was expected
// and what was found (or what to do). Nothing here throws anything else.
//
// The root is /sys on a Hyper-V guest and DIR/sys under hvsim. It comes from,
// in order: an explicit path (a tool's --sysfs-root), $VMBUS_SYSFS_ROOT, "/sys".
// Device nodes live beside it: /sys -> /dev, DIR/sys -> DIR/dev.
//
// Formats follow what the kernel prints: one value and a newline
// (sysfs_emit). Numbers are decimal ("%d\n", "%u\n") except uio map sizes,
// addresses and offsets, which are hex with 0x (drivers/uio/uio.c:
// map_size_show "%pa\n" -> "0x0000000000402000", map_offset_show "0x%llx\n").
//
// Usage:
//   vmbus::SysfsRoot root = vmbus::SysfsRoot::from_option(cli.sysfs_root);  // "" -> environment
//   std::uint32_t relid = vmbus::sysfs::read_decimal(root.device_dir(guid) / "id");
//   vmbus::sysfs::write_text(root.driver_dir("uio_hv_generic") / "bind", guid.str());
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "vmbus/device/guid.h"

namespace vmbus {

class SysfsRoot {
 public:
  static constexpr const char* kEnvironmentVariable = "VMBUS_SYSFS_ROOT";
  static constexpr const char* kDefaultRoot = "/sys";

  // Device nodes in root/../dev.
  explicit SysfsRoot(std::filesystem::path root = kDefaultRoot);
  // Device nodes somewhere else.
  SysfsRoot(std::filesystem::path root, std::filesystem::path dev_dir);

  // $VMBUS_SYSFS_ROOT if set and not empty, else /sys.
  static SysfsRoot from_environment();
  // `option` if not empty, else from_environment(): for a tool's --sysfs-root.
  static SysfsRoot from_option(const std::filesystem::path& option);

  const std::filesystem::path& root() const noexcept { return root_; }
  const std::filesystem::path& dev_dir() const noexcept { return dev_dir_; }

  std::filesystem::path devices_dir() const;                        // root/bus/vmbus/devices
  std::filesystem::path drivers_dir() const;                        // root/bus/vmbus/drivers
  std::filesystem::path device_dir(const Guid& instance) const;     // devices/<guid>
  std::filesystem::path driver_dir(std::string_view name) const;    // drivers/<name>
  std::filesystem::path uio_node(std::string_view uio_name) const;  // dev_dir/uioN

 private:
  std::filesystem::path root_;
  std::filesystem::path dev_dir_;
};

namespace sysfs {

// The kernel driver that hands a VMBus device to user space.
inline constexpr const char* kUioDriver = "uio_hv_generic";

// The largest attribute read: sysfs attributes are at most a page.
inline constexpr std::size_t kMaxAttributeSize = 64 * 1024;

// The whole attribute with one trailing newline removed. Throws DeviceError
// if it is missing, unreadable, not a regular file, larger than
// kMaxAttributeSize or holds a NUL byte.
std::string read_text(const std::filesystem::path& file);
// As read_text, but std::nullopt if the file does not exist: for attributes
// the kernel hides (monitor_id when !monitor_allocated).
std::optional<std::string> read_optional_text(const std::filesystem::path& file);

// An unsigned decimal number ("14\n"): no sign, no spaces, at most UINT32_MAX.
std::uint32_t read_decimal(const std::filesystem::path& file);
std::optional<std::uint32_t> read_optional_decimal(const std::filesystem::path& file);

// A hex number with 0x ("0x402000\n", "0x0000000000402000\n").
std::uint64_t read_hex(const std::filesystem::path& file);

// A GUID, braced as class_id/device_id print it ("{f8615163-...}\n") or not.
Guid read_guid(const std::filesystem::path& file);

// The last component of a symlink's target ("driver" -> ".../hv_netvsc"
// gives "hv_netvsc"); std::nullopt if there is no such link. Throws
// DeviceError if the path exists but is not a symlink.
std::optional<std::string> read_link_name(const std::filesystem::path& link);

// Writes `text` in one write(2), as `echo -n text > file` would (O_TRUNC, no
// O_CREAT: a missing attribute is an error). The kernel's store() runs inside
// that write, so its errno is the answer: ENODEV, EBUSY, EEXIST...
std::error_code try_write_text(const std::filesystem::path& file, std::string_view text) noexcept;
// As try_write_text, throwing DeviceError(write_error_message(...)).
void write_text(const std::filesystem::path& file, std::string_view text);
// "<file>: cannot write "<text>": permission denied (run as root)".
std::string write_error_message(const std::filesystem::path& file, std::string_view text,
                                std::error_code error);

// True if something is at `path`, a dangling symlink included: sysfs links
// are looked at, not followed.
bool exists_no_follow(const std::filesystem::path& path) noexcept;

// The parsers behind the readers, for text from elsewhere.
std::optional<std::uint32_t> parse_decimal(std::string_view text) noexcept;
std::optional<std::uint64_t> parse_hex(std::string_view text) noexcept;
// `text` in double quotes for messages: control bytes escaped, long text cut.
std::string quoted(std::string_view text);

}  // namespace sysfs
}  // namespace vmbus
