// Config: JSON parsing with errors that name the device and field,
// resolution of open values, and the default Azure VM.
#include "hvsim/config.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "hvsim/device_host.h"

namespace hvsim {
namespace {

using nlohmann::json;

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kMaxRingSize = 512u << 20;
constexpr std::uint32_t kMaxCpu = 4095;
constexpr std::size_t kMaxOverride = 4095;  // driver_set_override: count < PAGE_SIZE

[[noreturn]] void fail(std::string_view where, const std::string& what) {
  throw ConfigError(std::string(where) + ": " + what);
}

std::uint64_t get_unsigned(const json& v, std::string_view where, std::string_view key, std::uint64_t max) {
  const bool non_negative = v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
  if (!non_negative) {
    fail(where, std::string(key) + ": expected a non-negative integer, got " + v.dump());
  }
  const std::uint64_t n = v.get<std::uint64_t>();
  if (n > max) fail(where, std::string(key) + ": " + std::to_string(n) + " is above the maximum " + std::to_string(max));
  return n;
}

std::string get_string(const json& v, std::string_view where, std::string_view key) {
  if (!v.is_string()) fail(where, std::string(key) + ": expected a string, got " + v.dump());
  return v.get<std::string>();
}

Guid get_guid(const json& v, std::string_view where, std::string_view key) {
  const std::string s = get_string(v, where, key);
  auto g = Guid::parse(s);
  if (!g) fail(where, std::string(key) + ": \"" + s + "\" is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
  return *g;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

std::string known_class_names() {
  std::string s;
  for (const DeviceClass& c : known_classes()) s += (s.empty() ? "" : ", ") + std::string(c.name);
  return s;
}

std::string driver_choices() {
  std::string s = "auto, none";
  for (std::string_view d : kDrivers) s += ", " + std::string(d);
  return s;
}

bool valid_driver_choice(std::string_view d) {
  return d == "auto" || d == "none" || std::find(std::begin(kDrivers), std::end(kDrivers), d) != std::end(kDrivers);
}

DeviceConfig make(std::string name, std::string_view class_name, std::string_view instance, std::uint32_t relid,
                  std::optional<std::uint8_t> monitor_id, std::string driver) {
  DeviceConfig d;
  d.name = std::move(name);
  d.class_id = find_class(class_name)->guid();
  d.instance = Guid::parse(instance);
  d.relid = relid;
  d.monitored = monitor_id.has_value();
  d.monitor_id = monitor_id;
  d.driver = std::move(driver);
  return d;
}

std::uint32_t nvsp_version(std::string_view text) {
  // NVSP_PROTOCOL_VERSION_* (hyperv_net.h).
  if (text == "1") return 0x2;
  if (text == "2") return 0x30002;
  if (text == "4") return 0x40000;
  if (text == "5") return 0x50000;
  if (text == "6") return 0x60000;
  if (text == "6.1" || text == "61") return 0x60001;
  return 0;
}

std::string nvsp_version_text(std::uint32_t v) {
  switch (v) {
    case 0x2: return "1";
    case 0x30002: return "2";
    case 0x40000: return "4";
    case 0x50000: return "5";
    case 0x60000: return "6";
    default: return "6.1";
  }
}

NicConfig parse_nic(const json& j, const std::string& where_in) {
  const std::string where = where_in + ": nic";
  if (!j.is_object()) fail(where, "expected an object, got " + j.dump());
  NicConfig n;
  for (const auto& [key, v] : j.items()) {
    if (key == "max_version") {
      const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
      n.max_nvsp_version = nvsp_version(s);
      if (n.max_nvsp_version == 0) fail(where, "max_version: \"" + s + "\" is not an NVSP version (1, 2, 4, 5, 6, 6.1)");
    } else if (key == "mac") {
      const std::string s = get_string(v, where, key);
      n.mac = parse_mac(s);
      if (!n.mac) fail(where, "mac: \"" + s + "\" is not a MAC address (xx:xx:xx:xx:xx:xx)");
      if (((*n.mac)[0] & 1u) != 0) fail(where, "mac: " + s + " is a multicast address (bit 0 of the first byte is set)");
    } else if (key == "mtu") {
      n.mtu = static_cast<std::uint32_t>(get_unsigned(v, where, key, 9000));
      if (n.mtu < 68) fail(where, "mtu: " + std::to_string(n.mtu) + " is below the minimum 68");
    } else if (key == "link_speed_mbps") {
      n.link_speed_mbps = get_unsigned(v, where, key, 400'000);  // OID_GEN_LINK_SPEED is u32 of 100 bps: 429 Gbps at most
      if (n.link_speed_mbps == 0) fail(where, "link_speed_mbps: must be at least 1");
    } else if (key == "link") {
      const std::string s = get_string(v, where, key);
      if (s != "up" && s != "down") fail(where, "link: \"" + s + "\" must be \"up\" or \"down\"");
      n.link_up = s == "up";
    } else if (key == "backend") {
      n.backend = get_string(v, where, key);
      if (n.backend != "loopback" && n.backend != "sink" && n.backend != "source" && n.backend != "tap") {
        fail(where, "backend: \"" + n.backend + "\" is not one of loopback, sink, source, tap");
      }
    } else if (key == "tap") {
      n.tap = get_string(v, where, key);
      if (n.tap.empty() || n.tap.size() > 15 || n.tap.find_first_of("/ \t\n:") != std::string::npos) {
        fail(where, "tap: \"" + n.tap + "\" is not an interface name (1-15 characters, no '/', ':' or spaces)");
      }
    } else if (key == "source_frame_size") {
      n.source_frame_size = static_cast<std::uint32_t>(get_unsigned(v, where, key, 9014));
      if (n.source_frame_size < 60) fail(where, "source_frame_size: " + std::to_string(n.source_frame_size) + " is below 60");
    } else if (key == "source_rate_pps") {
      n.source_rate_pps = static_cast<std::uint32_t>(get_unsigned(v, where, key, 10'000'000));
      if (n.source_rate_pps == 0) fail(where, "source_rate_pps: must be at least 1");
    } else if (key == "recv_section_size") {
      n.recv_section_size = static_cast<std::uint32_t>(get_unsigned(v, where, key, 1u << 20));
      if (n.recv_section_size < 256 || n.recv_section_size % 8 != 0) {
        fail(where, "recv_section_size: " + std::to_string(n.recv_section_size) + " must be a multiple of 8, at least 256");
      }
    } else {
      fail(where, "unknown key \"" + key +
                      "\" (known: max_version, mac, mtu, link_speed_mbps, link, backend, tap, source_frame_size, "
                      "source_rate_pps, recv_section_size)");
    }
  }
  if (n.source_frame_size > n.mtu + 14) {
    fail(where, "source_frame_size: " + std::to_string(n.source_frame_size) + " is larger than mtu + 14 (" +
                    std::to_string(n.mtu + 14) + ")");
  }
  return n;
}

json nic_json(const NicConfig& n) {
  json j;
  j["max_version"] = nvsp_version_text(n.max_nvsp_version);
  if (n.mac) j["mac"] = mac_text(*n.mac);
  j["mtu"] = n.mtu;
  j["link_speed_mbps"] = n.link_speed_mbps;
  j["link"] = n.link_up ? "up" : "down";
  j["backend"] = n.backend;
  if (n.backend == "tap") j["tap"] = n.tap;
  if (n.backend == "source") {
    j["source_frame_size"] = n.source_frame_size;
    j["source_rate_pps"] = n.source_rate_pps;
  }
  if (n.recv_section_size != 0) j["recv_section_size"] = n.recv_section_size;
  return j;
}

std::vector<IcVersion> parse_ic_versions(const json& v, std::string_view where, std::string_view key) {
  if (!v.is_array()) fail(where, std::string(key) + ": expected an array of versions like [\"3.0\"], got " + v.dump());
  if (v.size() > kMaxIcVersions) {
    fail(where, std::string(key) + ": " + std::to_string(v.size()) + " versions, above the maximum " +
                    std::to_string(kMaxIcVersions) + " a guest accepts (IC_VERSION_NEGOTIATION_MAX_VER_COUNT)");
  }
  std::vector<IcVersion> versions;
  for (const json& e : v) {
    const std::string s = e.is_string() ? e.get<std::string>() : e.dump();
    const auto version = parse_ic_version(s);
    if (!version) fail(where, std::string(key) + ": \"" + s + "\" is not a version (MAJOR.MINOR, each 0..65535)");
    versions.push_back(*version);
  }
  return versions;
}

// The KVP host's settings (sim/hosts/kvp).
KvpConfig parse_kvp(const json& j, const std::string& where_in) {
  const std::string where = where_in + ": kvp";
  if (!j.is_object()) fail(where, "expected an object, got " + j.dump());
  KvpConfig k;
  for (const auto& [key, v] : j.items()) {
    if (key == "framework_versions") {
      k.framework_versions = parse_ic_versions(v, where, key);
    } else if (key == "kvp_versions") {
      k.kvp_versions = parse_ic_versions(v, where, key);
    } else if (key == "timeout_ms") {
      k.timeout_ms = static_cast<std::uint32_t>(get_unsigned(v, where, key, kMaxKvpTimeoutMs));
      if (k.timeout_ms == 0) fail(where, "timeout_ms: must be at least 1");
    } else {
      fail(where, "unknown key \"" + key + "\" (known: framework_versions, kvp_versions, timeout_ms)");
    }
  }
  return k;
}

json kvp_json(const KvpConfig& k) {
  json j;
  j["framework_versions"] = json::array();
  for (IcVersion v : k.framework_versions) j["framework_versions"].push_back(ic_version_text(v));
  j["kvp_versions"] = json::array();
  for (IcVersion v : k.kvp_versions) j["kvp_versions"].push_back(ic_version_text(v));
  j["timeout_ms"] = k.timeout_ms;
  return j;
}

// The default MAC: the first 12 hex digits of the instance (Azure's NIC
// instances start with its OUI 00:0d:3a), made unicast.
std::array<std::uint8_t, 6> mac_from_instance(const Guid& instance) {
  std::string hex;
  for (char c : instance.str()) {
    if (c != '-') hex += c;
  }
  std::array<std::uint8_t, 6> mac{};
  for (std::size_t i = 0; i < 6; ++i) mac[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  if ((mac[0] & 1u) != 0) mac[0] = static_cast<std::uint8_t>((mac[0] & 0xfeu) | 0x02u);  // unicast, locally administered
  return mac;
}

}  // namespace

std::optional<std::array<std::uint8_t, 6>> parse_mac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  std::array<std::uint8_t, 6> mac{};
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 6; ++i) {
    const int hi = digit(text[3 * i]), lo = digit(text[3 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && text[3 * i + 2] != ':' && text[3 * i + 2] != '-') return std::nullopt;
    mac[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return mac;
}

std::string ic_version_text(IcVersion v) { return std::to_string(v.major) + "." + std::to_string(v.minor); }

std::optional<IcVersion> parse_ic_version(std::string_view text) {
  auto number = [](std::string_view s) -> std::optional<std::uint16_t> {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    const unsigned long n = std::stoul(std::string(s));
    if (n > 0xffff) return std::nullopt;
    return static_cast<std::uint16_t>(n);
  };
  const std::size_t dot = text.find('.');
  const auto major = number(text.substr(0, dot));
  const auto minor = dot == std::string_view::npos ? std::optional<std::uint16_t>(0) : number(text.substr(dot + 1));
  if (!major || !minor) return std::nullopt;
  return IcVersion{*major, *minor};
}

std::string mac_text(const std::array<std::uint8_t, 6>& mac) {
  char s[18];
  std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return s;
}

SimConfig default_config() {
  SimConfig c;
  // Instance GUIDs and relids as an Azure VM's lsvmbus shows them; the NIC's
  // instance starts with Azure's MAC OUI 00:0d:3a.
  c.devices = {
      make("shutdown", "shutdown", "b6650ff7-33bc-4840-8048-e0676786f393", 1, std::nullopt, "none"),
      make("timesync", "timesync", "2dd1ce17-079e-403c-b352-a1921ee207ee", 2, std::nullopt, "none"),
      make("heartbeat", "heartbeat", "fd149e91-82e0-4a7d-afa6-2a4166cbd7c0", 3, std::nullopt, "none"),
      make("kvp", "kvp", "242ff919-07db-4180-9c2e-b86cb68c8c55", 4, std::nullopt, std::string(kDriverUtils)),
      make("eth0", "network", "000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20", 16, std::uint8_t{3}, std::string(kDriverNetvsc)),
      make("echo", "echo", "3c5e0c1a-8a3b-4f21-9d1e-6876736d0001", 40, std::uint8_t{40}, "none"),
  };
  return c;
}

DeviceConfig parse_device(const json& j, std::string_view where_in) {
  std::string where(where_in);
  if (!j.is_object()) fail(where, "a device must be a JSON object, got " + j.dump());
  if (j.contains("name") && j["name"].is_string()) where += " (\"" + j["name"].get<std::string>() + "\")";
  DeviceConfig d;
  if (!j.contains("class")) fail(where, "\"class\" is missing (a class name: " + known_class_names() + "; or a class GUID)");
  for (const auto& [key, v] : j.items()) {
    if (key == "name") {
      d.name = get_string(v, where, key);
      if (!valid_name(d.name)) fail(where, "name: \"" + d.name + "\" must be 1-64 characters of A-Z a-z 0-9 - _ .");
    } else if (key == "class") {
      const std::string s = get_string(v, where, key);
      if (const DeviceClass* c = find_class(s)) {
        d.class_id = c->guid();
      } else if (auto g = Guid::parse(s)) {
        d.class_id = *g;
      } else {
        fail(where, "class: \"" + s + "\" is neither a known class (" + known_class_names() + ") nor a GUID");
      }
    } else if (key == "instance") {
      d.instance = get_guid(v, where, key);
    } else if (key == "relid") {
      d.relid = static_cast<std::uint32_t>(get_unsigned(v, where, key, kMaxRelid));
      if (*d.relid == 0) fail(where, "relid: 0 names no channel; use 1.." + std::to_string(kMaxRelid));
    } else if (key == "monitor_id") {
      if (v.is_null()) {
        d.monitored = false;
      } else if (v.is_string() && v.get<std::string>() == "auto") {
        d.monitored = true;
      } else {
        d.monitored = true;
        d.monitor_id = static_cast<std::uint8_t>(get_unsigned(v, where, key, kMaxMonitorId));
      }
    } else if (key == "ring_size") {
      const std::uint64_t n = get_unsigned(v, where, key, kMaxRingSize);
      if (n % kPage != 0 || n < 2 * kPage) {
        fail(where, "ring_size: " + std::to_string(n) +
                        " must be a multiple of 4096 and at least 8192 (a 4 KiB header page plus data)");
      }
      d.ring_size = n;
    } else if (key == "host") {
      d.host = get_string(v, where, key);
      if (!is_known_host(d.host)) fail(where, "host: \"" + d.host + "\" is not a device host (" + known_host_names() + ")");
    } else if (key == "driver") {
      d.driver = v.is_null() ? "none" : get_string(v, where, key);
      if (!valid_driver_choice(d.driver)) fail(where, "driver: \"" + d.driver + "\" is not one of " + driver_choices());
    } else if (key == "driver_override") {
      d.driver_override = v.is_null() ? "" : get_string(v, where, key);
      if (d.driver_override.size() > kMaxOverride || d.driver_override.find('\n') != std::string::npos) {
        fail(where, "driver_override: must be one line shorter than 4096 bytes");
      }
    } else if (key == "cpu") {
      d.cpu = static_cast<std::uint32_t>(get_unsigned(v, where, key, kMaxCpu));
    } else if (key == "subchannels") {
      d.subchannels = static_cast<std::uint32_t>(get_unsigned(v, where, key, kMaxSubchannels));
    } else if (key == "nic") {
      d.nic = parse_nic(v, where);
    } else if (key == "kvp") {
      d.kvp = parse_kvp(v, where);
    } else {
      fail(where, "unknown key \"" + key +
                      "\" (known: name, class, instance, relid, monitor_id, ring_size, host, driver, driver_override, cpu, "
                      "subchannels, nic, kvp)");
    }
  }
  return d;
}

SimConfig parse_config(const json& j, std::string_view where) {
  if (!j.is_object()) fail(where, "the config must be a JSON object with a \"devices\" array");
  SimConfig c;
  bool have_devices = false;
  for (const auto& [key, v] : j.items()) {
    if (key == "monitor_latency_us") {
      c.monitor_latency_us = static_cast<std::uint32_t>(get_unsigned(v, where, key, kMaxMonitorLatencyUs));
    } else if (key == "counter_refresh_ms") {
      c.counter_refresh_ms = static_cast<std::uint32_t>(get_unsigned(v, where, key, 60000));
      if (c.counter_refresh_ms == 0) fail(where, "counter_refresh_ms: must be at least 1");
    } else if (key == "subchannel_ring_delay_ms") {
      c.subchannel_ring_delay_ms = static_cast<std::uint32_t>(get_unsigned(v, where, key, kMaxSubchannelRingDelayMs));
    } else if (key == "devices") {
      if (!v.is_array()) fail(where, "devices: expected an array, got " + v.dump());
      have_devices = true;
      for (std::size_t i = 0; i < v.size(); ++i) {
        c.devices.push_back(parse_device(v[i], std::string(where) + ": devices[" + std::to_string(i) + "]"));
      }
    } else {
      fail(where, "unknown key \"" + key +
                      "\" (known: monitor_latency_us, counter_refresh_ms, subchannel_ring_delay_ms, devices)");
    }
  }
  if (!have_devices) fail(where, "\"devices\" is missing (an array of devices; see hvsim --print-default-config)");
  return c;
}

SimConfig load_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("config " + path.string() + ": cannot open it for reading");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw ConfigError("config " + path.string() + ": not valid JSON: " + e.what());
  }
  return parse_config(j, "config " + path.string());
}

DeviceConfig device_from_class(std::string_view class_name_or_guid, std::string_view instance) {
  json j;
  j["class"] = std::string(class_name_or_guid);
  if (!instance.empty()) j["instance"] = std::string(instance);
  return parse_device(j, "offer");
}

std::uint32_t default_subchannels(const DeviceClass& c) {
  if (c.name == "network") return 7;  // an 8-vCPU Azure VM's NIC: 8 queues
  if (c.name == "echo") return 3;     // hvsim's test device: tests exercise subchannels
  return 0;
}

DeviceSpec resolve(const DeviceConfig& d, const std::vector<DeviceSpec>& offered,
                   const std::vector<OfferedSubchannel>& subchannels) {
  const DeviceClass& cls = class_of(d.class_id);
  DeviceSpec s;
  s.class_id = d.class_id;
  s.instance = d.instance.value_or(random_guid());
  if (d.relid) {
    s.relid = *d.relid;
  } else {
    std::uint32_t top = 0;
    for (const DeviceSpec& o : offered) top = std::max(top, o.relid);
    for (const OfferedSubchannel& o : subchannels) top = std::max(top, o.relid);
    s.relid = top + 1;
  }
  const std::string where = d.name.empty() ? "the new " + std::string(cls.name) + " device" : "device \"" + d.name + "\"";
  if (s.relid == 0 || s.relid > kMaxRelid) fail(where, "relid " + std::to_string(s.relid) + " out of range 1.." + std::to_string(kMaxRelid));

  if (d.monitored.value_or(cls.monitored)) {
    if (d.monitor_id) {
      s.monitor_id = d.monitor_id;
    } else {
      std::set<std::uint32_t> used;
      for (const DeviceSpec& o : offered) if (o.monitor_id) used.insert(*o.monitor_id);
      for (const OfferedSubchannel& o : subchannels) if (o.monitor_id) used.insert(*o.monitor_id);
      for (std::uint32_t id = 0; id <= kMaxMonitorId && !s.monitor_id; ++id) {
        if (!used.count(id)) s.monitor_id = static_cast<std::uint8_t>(id);
      }
      if (!s.monitor_id) fail(where, "no free monitor id (all 128 are in use)");
    }
  }
  s.ring_size = d.ring_size.value_or(kernel_ring_size(cls));
  s.host = d.host.empty() ? std::string(cls.default_host) : d.host;
  s.driver = d.driver;
  s.driver_override = d.driver_override;
  s.cpu = d.cpu;
  s.subchannels = d.subchannels.value_or(default_subchannels(cls));
  if (d.nic && cls.name != "network") fail(where, "nic: only a network device has NIC settings");
  s.nic = d.nic.value_or(NicConfig{});
  if (!s.nic.mac) s.nic.mac = mac_from_instance(s.instance);
  if (d.kvp && cls.name != "kvp") fail(where, "kvp: only a kvp device has KVP settings");
  s.kvp = d.kvp.value_or(KvpConfig{});

  if (d.name.empty()) {
    s.name = std::string(cls.name);
    const bool taken = std::any_of(offered.begin(), offered.end(), [&](const DeviceSpec& o) { return o.name == s.name; });
    if (taken) s.name += std::to_string(s.relid);
  } else {
    s.name = d.name;
  }

  for (const DeviceSpec& o : offered) {
    if (o.name == s.name) fail(where, "name \"" + s.name + "\" is already used by device " + o.instance.str());
    if (o.instance == s.instance) fail(where, "instance " + s.instance.str() + " is already offered (as \"" + o.name + "\")");
    if (o.relid == s.relid) fail(where, "relid " + std::to_string(s.relid) + " is already used by \"" + o.name + "\"");
    if (s.monitor_id && o.monitor_id == s.monitor_id) {
      fail(where, "monitor_id " + std::to_string(*s.monitor_id) + " is already used by \"" + o.name + "\"");
    }
  }
  for (const OfferedSubchannel& o : subchannels) {
    const std::string holder = "subchannel " + std::to_string(o.subchannel_id) + " of \"" + o.device + "\"";
    if (o.relid == s.relid) fail(where, "relid " + std::to_string(s.relid) + " is held by " + holder);
    if (s.monitor_id && o.monitor_id == s.monitor_id) {
      fail(where, "monitor_id " + std::to_string(*s.monitor_id) + " is held by " + holder);
    }
  }
  return s;
}

std::vector<DeviceSpec> resolve_all(const SimConfig& config) {
  std::vector<DeviceSpec> specs;
  for (const DeviceConfig& d : config.devices) specs.push_back(resolve(d, specs));
  return specs;
}

json to_json(const DeviceConfig& d) {
  json j;
  if (!d.name.empty()) j["name"] = d.name;
  const DeviceClass& cls = class_of(d.class_id);
  j["class"] = cls.name == "unknown" ? d.class_id.str() : std::string(cls.name);
  if (d.instance) j["instance"] = d.instance->str();
  if (d.relid) j["relid"] = *d.relid;
  if (d.monitored) {
    if (!*d.monitored) j["monitor_id"] = nullptr;
    else if (d.monitor_id) j["monitor_id"] = *d.monitor_id;
    else j["monitor_id"] = "auto";
  }
  if (d.ring_size) j["ring_size"] = *d.ring_size;
  if (!d.host.empty()) j["host"] = d.host;
  j["driver"] = d.driver;
  if (!d.driver_override.empty()) j["driver_override"] = d.driver_override;
  if (d.cpu != 0) j["cpu"] = d.cpu;
  if (d.subchannels) j["subchannels"] = *d.subchannels;
  if (d.nic) j["nic"] = nic_json(*d.nic);
  if (d.kvp) j["kvp"] = kvp_json(*d.kvp);
  return j;
}

json to_json(const SimConfig& c) {
  json j;
  j["monitor_latency_us"] = c.monitor_latency_us;
  j["counter_refresh_ms"] = c.counter_refresh_ms;
  j["subchannel_ring_delay_ms"] = c.subchannel_ring_delay_ms;
  j["devices"] = json::array();
  for (const DeviceConfig& d : c.devices) j["devices"].push_back(to_json(d));
  return j;
}

json to_json(const DeviceSpec& s) {
  json j;
  j["name"] = s.name;
  j["class"] = std::string(s.device_class().name);
  j["class_id"] = s.class_id.str();
  j["instance"] = s.instance.str();
  j["relid"] = s.relid;
  j["monitor_id"] = s.monitor_id ? json(*s.monitor_id) : json(nullptr);
  j["ring_size"] = s.ring_size;
  j["host"] = s.host;
  j["cpu"] = s.cpu;
  j["subchannels"] = s.subchannels;
  if (s.device_class().name == "network") j["nic"] = nic_json(s.nic);
  if (s.device_class().name == "kvp") j["kvp"] = kvp_json(s.kvp);
  return j;
}

}  // namespace hvsim
