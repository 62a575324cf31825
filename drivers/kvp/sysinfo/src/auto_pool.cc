// The AUTO pool, as hv_kvp_daemon's main loop answers ENUMERATE on
// KVP_POOL_AUTO.
#include "kvp/sysinfo/auto_pool.h"

#include <array>

#include "kvp/sysinfo/interface_addresses.h"
#include "kvp/sysinfo/os_release.h"
#include "kvp/sysinfo/uname_info.h"

namespace kvp::sysinfo {
namespace {

// The key strings the daemon strcpy's into key_name, by enum key_index.
constexpr std::array<std::string_view, kAutoPoolSize> kKeys = {
    "FullyQualifiedDomainName", "IntegrationServicesVersion", "NetworkAddressIPv4", "NetworkAddressIPv6",
    "OSBuildNumber",            "OSName",                     "OSMajorVersion",     "OSMinorVersion",
    "OSVersion",                "ProcessorArchitecture",
};

// Cut `value` (UTF-8) at a character boundary so it is at most
// kAutoValueChars UTF-16 units: what kvp_respond_to_host sends of it.
bool fit_value(std::string& value) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < value.size();) {
    const auto lead = static_cast<unsigned char>(value[i]);
    std::size_t bytes = 1;
    std::size_t need = 1;
    if ((lead & 0xE0) == 0xC0) {
      bytes = 2;
    } else if ((lead & 0xF0) == 0xE0) {
      bytes = 3;
    } else if ((lead & 0xF8) == 0xF0) {
      bytes = 4;
      need = 2;  // a surrogate pair
    }
    if (units + need > kAutoValueChars) {
      value.resize(i);
      return true;
    }
    units += need;
    i += bytes;
  }
  return false;
}

}  // namespace

std::string_view auto_pool_key(std::uint32_t index) noexcept {
  return index < kAutoPoolSize ? kKeys[index] : std::string_view();
}

SysinfoResult<AutoPool> AutoPool::load(AutoPoolOptions options) {
  // kvp_get_os_info: uname, then the release files.
  auto uts = read_uname();
  if (!uts) return uts.error();
  OsInfo os = read_os_info(options.paths, uts->sysname);
  // kvp_get_domain_name, cached "because getaddrinfo takes an unpredictable
  // amount of time to finish".
  DomainName fqdn = read_fully_qualified_domain_name(options.fqdn_fallback);

  AutoPool pool;
  AutoPoolValues& v = pool.values_;
  v.fully_qualified_domain_name = std::move(fqdn.value);
  v.integration_services_version = std::move(options.integration_services_version);
  v.os_build_number = uts->release;
  v.os_name = std::move(os.name);
  v.os_major_version = std::move(os.major_version);
  v.os_minor_version = std::move(os.minor_version);
  v.os_version = os_version_of(uts->release);
  v.processor_architecture = uts->machine;

  pool.notes_ = std::move(os.notes);
  pool.notes_.insert(pool.notes_.end(), fqdn.notes.begin(), fqdn.notes.end());
  const std::pair<std::string*, AutoKey> all[] = {
      {&v.fully_qualified_domain_name, AutoKey::fully_qualified_domain_name},
      {&v.integration_services_version, AutoKey::integration_services_version},
      {&v.os_build_number, AutoKey::os_build_number},
      {&v.os_name, AutoKey::os_name},
      {&v.os_major_version, AutoKey::os_major_version},
      {&v.os_minor_version, AutoKey::os_minor_version},
      {&v.os_version, AutoKey::os_version},
      {&v.processor_architecture, AutoKey::processor_architecture},
  };
  for (const auto& [value, key] : all) {
    if (fit_value(*value)) {
      pool.notes_.push_back({std::string(auto_pool_key(static_cast<std::uint32_t>(key))), 0,
                             "cut to " + std::to_string(kAutoValueChars) + " UTF-16 units, as the kernel sends it"});
    }
  }
  return pool;
}

std::optional<AutoPoolEntry> AutoPool::entry(std::uint32_t index) const {
  if (index >= kAutoPoolSize) return std::nullopt;  // default: hv_msg->error = HV_S_CONT
  AutoPoolEntry e;
  e.key = std::string(auto_pool_key(index));
  switch (static_cast<AutoKey>(index)) {
    case AutoKey::fully_qualified_domain_name: e.value = values_.fully_qualified_domain_name; break;
    case AutoKey::integration_services_version: e.value = values_.integration_services_version; break;
    case AutoKey::network_address_ipv4:
    case AutoKey::network_address_ipv6: {
      // kvp_get_ip_info(AF_INET or AF_INET6, NULL, KVP_OP_ENUMERATE, ...), now.
      const IpFamily family =
          static_cast<AutoKey>(index) == AutoKey::network_address_ipv4 ? IpFamily::ipv4 : IpFamily::ipv6;
      auto addresses = read_interface_addresses();
      if (addresses) {
        e.value = network_address_list(*addresses, family, &e.notes);
      } else {
        e.notes.push_back({e.key, 0, addresses.error().message() + "; the value is empty"});
      }
      break;
    }
    case AutoKey::os_build_number: e.value = values_.os_build_number; break;
    case AutoKey::os_name: e.value = values_.os_name; break;
    case AutoKey::os_major_version: e.value = values_.os_major_version; break;
    case AutoKey::os_minor_version: e.value = values_.os_minor_version; break;
    case AutoKey::os_version: e.value = values_.os_version; break;
    case AutoKey::processor_architecture: e.value = values_.processor_architecture; break;
  }
  return e;
}

}  // namespace kvp::sysinfo
