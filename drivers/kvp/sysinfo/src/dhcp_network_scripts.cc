// hv_get_dhcp_info's check_network_scripts (Red Hat's ifcfg files):
//   if [ -f /etc/sysconfig/network-scripts/ifcfg-<if> ]; then
//     grep -q '^\s*BOOTPROTO=.*dhcp' ...
#include <system_error>

#include "dhcp_checks.h"
#include "keyfile.h"
#include "text_file.h"

namespace kvp::sysinfo::detail {

std::optional<DhcpDecision> check_network_scripts(const DhcpQuery& q, std::vector<Note>& notes) {
  const auto file = q.paths.network_scripts / ("ifcfg-" + std::string(q.interface));
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return std::nullopt;  // [ -f ] follows links
  const auto text = read_if_present(file, notes);
  if (!text) return DhcpDecision{false, file.string() + ": unreadable"};  // grep fails: Disabled
  const auto lines = split_lines(*text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = until_nul(lines[i]);
    const auto start = line.find_first_not_of(" \t\r\f\v");
    if (start == std::string_view::npos) continue;
    const std::string_view rest = line.substr(start);
    if (rest.substr(0, 10) == "BOOTPROTO=" && rest.find("dhcp", 10) != std::string_view::npos) {
      return DhcpDecision{true, file.string() + ":" + std::to_string(i + 1) + ": " + std::string(rest)};
    }
  }
  return DhcpDecision{false, file.string() + ": no BOOTPROTO=...dhcp"};
}

}  // namespace kvp::sysinfo::detail
