// hv_get_dhcp_info's check_systemd_networkd without networkctl:
//   networkctl status --json=short <if>: managed unless
//   "AdministrativeState":"unmanaged"; DHCP when it has "DHCPv4Client".
// networkd writes each link's state to /run/systemd/netif/links/<ifindex>
// (networkd-state-file.c link_save: ADMIN_STATE=, NETWORK_FILE=,
// NETWORK_FILE_DROPINS="a:b" with ':' escaped as \x3a, DHCP_LEASE=). The
// DHCPv4 client exists when the link's .network enables DHCP for IPv4
// ([Network] DHCP=yes|ipv4, or the old "both"); a held lease proves it.
#include <algorithm>
#include <cctype>

#include "dhcp_checks.h"
#include "keyfile.h"

namespace kvp::sysinfo::detail {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// systemd's parse_boolean yes words, plus the address-family values that
// include IPv4 (networkd-dhcp-common.c: "ipv4", and "both" kept for old files).
bool dhcp_includes_ipv4(std::string_view value) {
  const std::string v = lower(value);
  return v == "yes" || v == "y" || v == "true" || v == "t" || v == "on" || v == "1" || v == "ipv4" || v == "both";
}

std::string_view unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// serialize_config_files: the drop-ins joined by ':' (older releases used
// spaces), each xescape'd for ':' ("\x3a").
std::vector<std::string> dropin_list(std::string_view value) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) out.push_back(std::move(current));
    current.clear();
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == ':' || c == ' ') {
      flush();
    } else if (value.substr(i, 4) == "\\x3a") {
      current += ':';
      i += 3;
    } else {
      current += c;
    }
  }
  flush();
  return out;
}

}  // namespace

std::optional<DhcpDecision> check_systemd_networkd(const DhcpQuery& q, std::vector<Note>& notes) {
  if (!q.ifindex) return std::nullopt;
  const auto state_file = q.paths.networkd_links / std::to_string(*q.ifindex);
  const auto state_text = read_if_present(state_file, notes);
  if (!state_text) return std::nullopt;  // networkd does not know the link (or is not running)
  const KeyFile state = parse_keyfile(*state_text);
  if (const auto* admin = state.find("", "ADMIN_STATE"); admin != nullptr && admin->value == "unmanaged") {
    return std::nullopt;
  }

  if (const auto* lease = state.find("", "DHCP_LEASE"); lease != nullptr && !lease->value.empty()) {
    return DhcpDecision{true, state_file.string() + ":" + std::to_string(lease->line) + ": DHCP_LEASE=" + lease->value};
  }

  // The .network file, then its drop-ins in order: the last DHCP= wins.
  std::vector<std::filesystem::path> files;
  if (const auto* network = state.find("", "NETWORK_FILE"); network != nullptr && !network->value.empty()) {
    files.emplace_back(std::string(unquote(network->value)));
  }
  for (const char* key : {"NETWORK_FILE_DROPINS", "NETWORK_FILE_DROP_INS"}) {
    if (const auto* dropins = state.find("", key); dropins != nullptr) {
      for (auto& f : dropin_list(unquote(dropins->value))) files.emplace_back(std::move(f));
    }
  }
  std::optional<DhcpDecision> decision;
  for (const auto& file : files) {
    const auto text = read_if_present(file, notes);
    if (!text) continue;
    const KeyFile unit = parse_keyfile(*text);
    if (const auto* dhcp = unit.find("Network", "DHCP")) {
      decision = DhcpDecision{dhcp_includes_ipv4(dhcp->value),
                              file.string() + ":" + std::to_string(dhcp->line) + ": DHCP=" + dhcp->value};
    }
  }
  if (decision) return decision;
  return DhcpDecision{false, state_file.string() + ": managed by networkd, no DHCP= for IPv4 in its .network"};
}

}  // namespace kvp::sysinfo::detail
