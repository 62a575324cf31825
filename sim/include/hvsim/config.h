// File: hvsim/config.h
//
// What hvsim offers: the devices (class, instance, relid, monitor id, ring
// size, which device host serves them, which driver they start bound to) and
// the host's timing. Read from JSON (`hvsim --config FILE`, `hvsim ctl offer
// '{...}'`) or built in code; `default_config()` models an Azure VM.
//
// Two stages: a DeviceConfig is what the user wrote (anything may be left
// out); resolve() turns it into a DeviceSpec with every value decided
// (random instance, next free relid and monitor id, the kernel's ring size for
// the class, the class's default host) and checks it against the devices
// already offered. Every error is a ConfigError whose text names the device
// and the field.
//
// JSON, one device (every key but "class" is optional):
//   {"name": "eth0", "class": "network" | "<guid>", "instance": "<guid>",
//    "relid": 16, "monitor_id": 3 | null | "auto", "ring_size": 2101248,
//    "host": "echo" | "silent" | "netvsc" | "kvp", "driver": "auto" | "none" | "hv_netvsc" |
//    "hv_utils" | "uio_hv_generic", "driver_override": "uio_hv_generic",
//    "cpu": 0, "subchannels": 7, "nic": {...}, "kvp": {...}}
// "nic" (network devices only; every key optional; see NicConfig):
//   {"max_version": "6.1", "mac": "00:0d:3a:6b:8c:2f", "mtu": 1500,
//    "link_speed_mbps": 100000, "link": "up" | "down",
//    "backend": "loopback" | "sink" | "source" | "tap", "tap": "hvsim0",
//    "source_frame_size": 64, "source_rate_pps": 1000, "recv_section_size": 1728}
// "kvp" (kvp devices only; every key optional; see KvpConfig):
//   {"framework_versions": ["1.0", "3.0"], "kvp_versions": ["3.0", "4.0", "5.0"],
//    "timeout_ms": 5000}
// The file: {"monitor_latency_us": 50, "counter_refresh_ms": 100,
//            "subchannel_ring_delay_ms": 20, "devices": [...]}
//
// Subchannels: "subchannels" is how many the host grants the device at most
// (the NIC's device host offers them on NVSP SUBCH_REQ, the echo host on
// open; DeviceHost::offer_subchannels). Their relids and monitor ids are
// not configured: they are taken when the host offers them (the next relid
// above every channel offered, the lowest free monitor id), so resolve()
// keeps new devices clear of the subchannels offered at the time.
//
// Usage:
//   hvsim::SimConfig config = path.empty() ? hvsim::default_config() : hvsim::load_config(path);
//   hvsim::DeviceSpec spec = hvsim::resolve(hvsim::parse_device(json, "ctl offer"), offered);
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hvsim/device_class.h"
#include "hvsim/guid.h"

namespace hvsim {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The guest->host event bitmap (int_page + 2048) holds relids 0..16383;
// relid 0 is never offered (it names no channel).
inline constexpr std::uint32_t kMaxRelid = 2048 * 8 - 1;
// hv_monitor_page: 4 trigger groups of 32.
inline constexpr std::uint32_t kMaxMonitorId = 127;
// The monitor page's latency field is a u16 of 100 ns units.
inline constexpr std::uint32_t kMaxMonitorLatencyUs = 6553;
// A device has at most 64 channels: the primary and 63 subchannels (DPDK
// VMBUS_MAX_CHANNELS; netvsc's VRSS_CHANNEL_MAX is 64 too).
inline constexpr std::uint32_t kMaxSubchannels = 63;
inline constexpr std::uint32_t kMaxSubchannelRingDelayMs = 60'000;

// The synthetic NIC's host side (sim/hosts/netvsc, device host "netvsc").
struct NicConfig {
  std::uint32_t max_nvsp_version = 0x60001;  // the newest NVSP accepted: 1, 2, 4, 5, 6 or 6.1
  std::optional<std::array<std::uint8_t, 6>> mac;  // nullopt = derived from the instance
  std::uint32_t mtu = 1500;                        // OID_GEN_MAXIMUM_FRAME_SIZE (68..9000)
  std::uint64_t link_speed_mbps = 100'000;         // OID_GEN_LINK_SPEED, in Mbps (1..400000)
  bool link_up = true;                             // media connect status at start
  std::string backend = "loopback";                // loopback | sink | source | tap
  std::string tap = "hvsim0";                      // the TAP interface (backend "tap")
  std::uint32_t source_frame_size = 64;            // backend "source": frame bytes (60..mtu+14)
  std::uint32_t source_rate_pps = 1000;            // backend "source": frames per second (1..10^7)
  std::uint32_t recv_section_size = 0;             // receive-buffer slot bytes; 0 = 1728, larger for jumbo MTUs
};
// The 6 bytes of a MAC written "00:0d:3a:..." (or with '-'); nullopt if not one.
std::optional<std::array<std::uint8_t, 6>> parse_mac(std::string_view text);
std::string mac_text(const std::array<std::uint8_t, 6>& mac);

// An IC framework or service version as the host offers it in its
// NEGOTIATE request (struct ic_version: u16 major, u16 minor).
struct IcVersion {
  std::uint16_t major = 0;
  std::uint16_t minor = 0;
  friend bool operator==(const IcVersion&, const IcVersion&) = default;
};
// "3.0" from {3, 0}; parse_ic_version takes "3.0" or "3" (nullopt if neither).
std::string ic_version_text(IcVersion v);
std::optional<IcVersion> parse_ic_version(std::string_view text);

// The KVP device's host side (sim/hosts/kvp, device host "kvp").
struct KvpConfig {
  // What the host offers in its NEGOTIATE request, in this order (0 to 100
  // of each; IC_VERSION_NEGOTIATION_MAX_VER_COUNT). The defaults are what
  // Hyper-V offers, as OpenVMM's hyperv_ic does (FRAMEWORK_VERSIONS in
  // common.rs, KVP_VERSIONS in kvp.rs; kvp::ic::kHostFrameworkVersions and
  // kHostKvpVersions): a Linux guest picks framework 3.0 and KVP 4.0.
  std::vector<IcVersion> framework_versions{{1, 0}, {3, 0}};
  std::vector<IcVersion> kvp_versions{{3, 0}, {4, 0}, {5, 0}};
  // How long a request waits for the guest's answer (and for negotiation
  // to finish) before it fails, 1..600000 ms; `hvsim ctl kvp ... --timeout`
  // overrides it per request.
  std::uint32_t timeout_ms = 5000;
};
inline constexpr std::uint32_t kMaxKvpTimeoutMs = 600'000;
inline constexpr std::size_t kMaxIcVersions = 100;

struct DeviceConfig {
  std::string name;                          // "" = "<class name><relid>"
  Guid class_id;
  std::optional<Guid> instance;              // nullopt = random
  std::optional<std::uint32_t> relid;        // nullopt = one above the highest offered
  std::optional<bool> monitored;             // nullopt = the class's default
  std::optional<std::uint8_t> monitor_id;    // monitored and nullopt = lowest free
  std::optional<std::uint64_t> ring_size;    // bytes per direction; nullopt = the kernel's
  std::string host;                          // "" = the class's default
  std::string driver = "auto";               // auto | none | a driver in kDrivers
  std::string driver_override;               // "" = none ("(null)")
  std::uint32_t cpu = 0;                     // target VP (channels/<relid>/cpu)
  std::optional<std::uint32_t> subchannels;  // granted at most; nullopt = the class's (default_subchannels)
  std::optional<NicConfig> nic;              // network devices only; nullopt = the defaults
  std::optional<KvpConfig> kvp;              // kvp devices only; nullopt = the defaults
};

// A device with every value decided.
struct DeviceSpec {
  std::string name;
  Guid class_id;
  Guid instance;
  std::uint32_t relid = 0;
  std::optional<std::uint8_t> monitor_id;  // nullopt: not monitored (signals via irqcontrol)
  std::uint64_t ring_size = 0;             // per direction, header page included
  std::string host;
  std::string driver;                      // auto | none | a driver name
  std::string driver_override;
  std::uint32_t cpu = 0;
  std::uint32_t subchannels = 0;           // the most the host offers per open (0..kMaxSubchannels)
  NicConfig nic;                           // network devices: mac always set by resolve()
  KvpConfig kvp;                           // kvp devices: what the KVP host offers

  const DeviceClass& device_class() const { return class_of(class_id); }
};

// How many subchannels the host grants a class when the config says
// nothing: a NIC 7 (an 8-vCPU Azure VM's synthetic NIC has 8 queues: the
// primary and 7 subchannels), echo 3 (so tests exercise them), others 0.
std::uint32_t default_subchannels(const DeviceClass& c);

// A subchannel the host has offered (its relid and monitor id are taken
// until it is rescinded): resolve() keeps a new device clear of them.
struct OfferedSubchannel {
  std::string device;                       // the device's name, for messages
  std::uint32_t subchannel_id = 0;
  std::uint32_t relid = 0;
  std::optional<std::uint8_t> monitor_id;
};

struct SimConfig {
  // Default scan latency of monitored channels, written into the monitor
  // page's latency[][] at offer (the guest may change it, as DPDK's
  // rte_vmbus_set_latency does). 50 us is netvsc's; 0 = busy poll.
  std::uint32_t monitor_latency_us = 50;
  // How often the dynamic sysfs files (read_avail, interrupts, ...) are rewritten.
  std::uint32_t counter_refresh_ms = 100;
  // How long after the host offers a subchannel its channels/<relid>/ring
  // file appears: the kernel opens the subchannel in hv_uio_new_channel and
  // only then creates the file, a little after the channel directory
  // (f31fe8165d36 advises user space to wait for it with inotify).
  std::uint32_t subchannel_ring_delay_ms = 20;
  std::vector<DeviceConfig> devices;
};

// The Azure VM hvsim offers by default: a synthetic NIC bound to hv_netvsc
// (monitored), KVP bound to hv_utils, heartbeat, shutdown and timesync bound
// to nothing, and the echo test device bound to nothing (monitored, relid and
// monitor id in the second group, so both second words get exercised).
SimConfig default_config();

// Parsers: `where` names the source in error messages ("config /x.json",
// "ctl offer"). Unknown keys are errors (they are usually typos).
SimConfig parse_config(const nlohmann::json& json, std::string_view where);
SimConfig load_config(const std::filesystem::path& path);
DeviceConfig parse_device(const nlohmann::json& json, std::string_view where);
// `ctl offer CLASS [INSTANCE]`: the class by name or GUID.
DeviceConfig device_from_class(std::string_view class_name_or_guid, std::string_view instance = {});

// Decides every open value and checks the result against `offered` (unique
// name, instance, relid and monitor id; sizes and ranges) and against the
// subchannels offered now (their relids and monitor ids are taken too).
// Throws ConfigError.
DeviceSpec resolve(const DeviceConfig& device, const std::vector<DeviceSpec>& offered,
                   const std::vector<OfferedSubchannel>& subchannels = {});
// Resolves a whole config in order; throws ConfigError naming the device.
std::vector<DeviceSpec> resolve_all(const SimConfig& config);

nlohmann::json to_json(const DeviceConfig& device);
nlohmann::json to_json(const SimConfig& config);
nlohmann::json to_json(const DeviceSpec& spec);

}  // namespace hvsim
