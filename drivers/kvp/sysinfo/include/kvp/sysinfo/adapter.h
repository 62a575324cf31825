// File: kvp/sysinfo/adapter.h
//
// Which network interfaces the host means by a GET_IP_INFO adapter id. The
// host names the NIC by its MAC address; hv_kvp_daemon's kvp_mac_to_ip
// reads the first line of /sys/class/net/<entry>/address for every entry,
// cuts the newline, upper-cases it (toupper, byte by byte) and compares it
// with strcmp to the adapter id as the kernel handed it over (UTF-16 turned
// into UTF-8, not case-folded). So the id matches in the sysfs format,
// upper case: "00:15:5D:01:02:03"; "00:15:5d:01:02:03" or "00-15-5D-..." do
// not match. Several entries can match (an SR-IOV VF shares the synthetic
// NIC's MAC): the daemon answers for the first with an address.
//
// Usage:
//   auto names = kvp::sysinfo::interfaces_with_mac("00:15:5D:01:02:03", paths.sys_class_net);
//   if (names && names->empty()) ...  // the daemon's HV_E_FAIL
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "kvp/sysinfo/report.h"

namespace kvp::sysinfo {

// The sysfs address text as the daemon compares it: the first line, without
// its newline, upper-cased.
std::string comparable_mac(std::string_view sysfs_address);

// The entries of `sys_class_net` whose address matches `adapter_id`, sorted
// by name (readdir's order is not stable). An error only when the directory
// cannot be read.
SysinfoResult<std::vector<std::string>> interfaces_with_mac(std::string_view adapter_id,
                                                            const std::filesystem::path& sys_class_net);

}  // namespace kvp::sysinfo
