// File: drivers/kvp/src/running_system.h (internal)
//
// The KVP service's SystemSource: the values hv_kvp_daemon computes, read
// from this machine through vmbus::kvp_sysinfo.
//   - the AUTO pool: the OS values and domain name loaded on first use (the
//     daemon computes them once at start), the address lists read for each
//     entry (as the daemon does per ENUMERATE);
//   - GET_IP_INFO: the interface with the host's MAC (kvp_mac_to_ip), both
//     families whatever the host asked (the daemon ignores the field);
//   - SET_IP_INFO's adapter: the interface whose VMBus device_id is the
//     host's GUID, compared as the daemon's kvp_get_if_name does (the whole
//     line of /sys/class/net/<if>/device/device_id, "{guid}").
// What cannot be read is reported through `log`, never thrown.
//
// Usage:
//   RunningSystem system(kvp::sysinfo::SystemPaths{}, [](const std::string& l) { log(l); });
//   std::optional<kvp::pool::Entry> e = system.auto_entry(0);  // FullyQualifiedDomainName
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "kvp/sysinfo/auto_pool.h"
#include "kvp/sysinfo/system_paths.h"
#include "request_handler.h"

namespace kvp {

class RunningSystem final : public SystemSource {
 public:
  RunningSystem(sysinfo::SystemPaths paths, std::function<void(const std::string&)> log);

  std::optional<pool::Entry> auto_entry(std::uint32_t index) override;
  std::optional<IpInfo> ip_info(const std::string& mac, std::uint8_t addr_family) override;
  std::optional<std::string> interface_of(const std::string& adapter_guid) override;

 private:
  void note(const std::vector<sysinfo::Note>& notes);

  sysinfo::SystemPaths paths_;
  std::function<void(const std::string&)> log_;
  std::optional<sysinfo::AutoPool> auto_pool_;
};

}  // namespace kvp
