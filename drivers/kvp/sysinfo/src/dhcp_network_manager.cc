// hv_get_dhcp_info's check_network_manager without nmcli:
//   nmcli -g GENERAL.CONNECTION device show <if>   -> the device's connection
//   nmcli -g ipv4.method connection show <name>    -> "auto" means DHCP
// NetworkManager keeps each device's connection in its device state file
// (/run/NetworkManager/devices/<ifindex>, [device] connection-uuid=) and the
// connection in a keyfile ([connection] uuid=, [ipv4] method=).
#include <algorithm>
#include <system_error>

#include "dhcp_checks.h"
#include "keyfile.h"

namespace kvp::sysinfo::detail {
namespace {

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

std::optional<DhcpDecision> check_network_manager(const DhcpQuery& q, std::vector<Note>& notes) {
  if (!q.ifindex) return std::nullopt;
  const auto device_file = q.paths.nm_devices / std::to_string(*q.ifindex);
  const auto device_text = read_if_present(device_file, notes);
  if (!device_text) return std::nullopt;  // NetworkManager does not know the device
  const KeyFile device = parse_keyfile(*device_text);
  if (const auto* managed = device.find("device", "managed"); managed != nullptr && managed->value == "false") {
    return std::nullopt;
  }
  const auto* uuid = device.find("device", "connection-uuid");
  if (uuid == nullptr || uuid->value.empty()) return std::nullopt;  // no connection: nmcli prints nothing

  for (const auto& dir : q.paths.nm_connections) {
    for (const auto& file : files_in(dir)) {
      const auto text = read_if_present(file, notes);
      if (!text) continue;
      const KeyFile connection = parse_keyfile(*text);
      const auto* id = connection.find("connection", "uuid");
      if (id == nullptr || id->value != uuid->value) continue;
      // An [ipv4] without method= is NetworkManager's default, "auto".
      const auto* method = connection.find("ipv4", "method");
      DhcpDecision d;
      d.enabled = method == nullptr || method->value == "auto";
      d.evidence = file.string() + (method == nullptr ? ": no [ipv4] method= (NetworkManager's default: auto)"
                                                      : ":" + std::to_string(method->line) + ": method=" +
                                                            method->value);
      return d;
    }
  }
  notes.push_back({device_file.string(), uuid->line,
                   "connection " + uuid->value + " has no keyfile in the NetworkManager connection directories; "
                   "its ipv4.method is unknown, so NetworkManager is not asked"});
  return std::nullopt;
}

}  // namespace kvp::sysinfo::detail
