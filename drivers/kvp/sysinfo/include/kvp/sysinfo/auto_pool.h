// File: kvp/sysinfo/auto_pool.h
//
// The AUTO pool (KVP_POOL_AUTO, pool 2): intrinsic values the host reads by
// ENUMERATE index, generated as hv_kvp_daemon's main loop generates them
// (enum key_index):
//   0 FullyQualifiedDomainName    domain_name.h, computed once at load
//   1 IntegrationServicesVersion  the version the kernel registers with the
//                                 daemon: HV_DRV_VERSION "3.1" (hv_kvp.c
//                                 kvp_register); "Unknown version" before it
//   2 NetworkAddressIPv4          interface_addresses.h, read at each call
//   3 NetworkAddressIPv6          likewise
//   4 OSBuildNumber               uname release
//   5 OSName                      os_release.h
//   6 OSMajorVersion              os_release.h
//   7 OSMinorVersion              os_release.h ("" with os-release)
//   8 OSVersion                   uname release cut at '-'
//   9 ProcessorArchitecture       uname machine
//   10 and above: no entry; the daemon answers HV_S_CONT (end of enumeration).
// Values are cut (at a character) to what the kernel sends of a value,
// (HV_KVP_EXCHANGE_MAX_VALUE_SIZE / 2) - 2 UTF-16 units. When getifaddrs
// fails the address values are empty with a note (the daemon sends the text
// "getifaddrs failed\n").
// Like the daemon (kvp_get_os_info, kvp_get_domain_name before its loop),
// everything but the addresses is read once, when the pool is loaded.
//
// Usage:
//   auto pool = kvp::sysinfo::AutoPool::load();
//   if (!pool) return log(pool.error().message());
//   for (const auto& n : pool->notes()) log(n.message());
//   if (auto e = pool->entry(request.index)) reply(e->key, e->value);
//   else reply_status(kvp::ic::kHvSCont);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvp/sysinfo/domain_name.h"
#include "kvp/sysinfo/report.h"
#include "kvp/sysinfo/system_paths.h"

namespace kvp::sysinfo {

// enum key_index of hv_kvp_daemon.c.
enum class AutoKey : std::uint32_t {
  fully_qualified_domain_name = 0,
  integration_services_version = 1,
  network_address_ipv4 = 2,
  network_address_ipv6 = 3,
  os_build_number = 4,
  os_name = 5,
  os_major_version = 6,
  os_minor_version = 7,
  os_version = 8,
  processor_architecture = 9,
};
inline constexpr std::uint32_t kAutoPoolSize = 10;

// The key string of an index ("FullyQualifiedDomainName" ...); "" from 10 on.
std::string_view auto_pool_key(std::uint32_t index) noexcept;

// HV_DRV_VERSION (drivers/hv/hv_kvp.c), what the kernel registers with the daemon.
inline constexpr std::string_view kIntegrationServicesVersion = "3.1";

struct AutoPoolOptions {
  SystemPaths paths;
  std::string integration_services_version = std::string(kIntegrationServicesVersion);
  FqdnFallback fqdn_fallback = FqdnFallback::host_name;
};

// The values read once at load.
struct AutoPoolValues {
  std::string fully_qualified_domain_name;
  std::string integration_services_version;
  std::string os_build_number;
  std::string os_name;
  std::string os_major_version;
  std::string os_minor_version;
  std::string os_version;
  std::string processor_architecture;
};

struct AutoPoolEntry {
  std::string key;
  std::string value;
  std::vector<Note> notes;  // the address entries: addresses dropped, getifaddrs failing
};

class AutoPool {
 public:
  // uname(2) failing is the only error; everything else degrades as the
  // daemon's values do, with notes.
  static SysinfoResult<AutoPool> load(AutoPoolOptions options = {});

  // The entry at `index`, or nullopt from kAutoPoolSize on (HV_S_CONT).
  std::optional<AutoPoolEntry> entry(std::uint32_t index) const;

  const AutoPoolValues& values() const noexcept { return values_; }
  // What load() skipped or could not read (os-release lines, getaddrinfo).
  const std::vector<Note>& notes() const noexcept { return notes_; }

 private:
  AutoPoolValues values_;
  std::vector<Note> notes_;
};

}  // namespace kvp::sysinfo
