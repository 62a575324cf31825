// The four questions hv_get_dhcp_info asks, one per configuration system
// (dhcp_state.h has the whole story). Each returns nothing when its system
// does not manage the interface, so the next one is asked.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvp/sysinfo/report.h"
#include "kvp/sysinfo/system_paths.h"

namespace kvp::sysinfo::detail {

struct DhcpQuery {
  std::string_view interface;
  std::optional<unsigned> ifindex;  // from <sys_class_net>/<if>/ifindex
  const SystemPaths& paths;
};

struct DhcpDecision {
  bool enabled = false;
  std::string evidence;
};

std::optional<DhcpDecision> check_network_manager(const DhcpQuery& q, std::vector<Note>& notes);
std::optional<DhcpDecision> check_systemd_networkd(const DhcpQuery& q, std::vector<Note>& notes);
std::optional<DhcpDecision> check_ifupdown(const DhcpQuery& q, std::vector<Note>& notes);
std::optional<DhcpDecision> check_network_scripts(const DhcpQuery& q, std::vector<Note>& notes);

// The text of an optional file: nothing when it does not exist (silently),
// or cannot be read (with a note).
std::optional<std::string> read_if_present(const std::filesystem::path& path, std::vector<Note>& notes);

}  // namespace kvp::sysinfo::detail
