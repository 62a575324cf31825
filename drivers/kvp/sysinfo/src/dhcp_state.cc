// dhcp_enabled for GET_IP_INFO: hv_get_dhcp_info's checks, in its order.
#include "kvp/sysinfo/dhcp_state.h"

#include <cerrno>
#include <charconv>

#include "dhcp_checks.h"
#include "keyfile.h"
#include "text_file.h"

namespace kvp::sysinfo {
namespace detail {

std::optional<std::string> read_if_present(const std::filesystem::path& path, std::vector<Note>& notes) {
  auto file = read_text_file(path, 1u << 20);
  if (file.ok) return std::move(file.text);
  if (file.sys_errno != ENOENT && file.sys_errno != ENOTDIR) notes.push_back(unreadable_note(path, file.sys_errno));
  return std::nullopt;
}

}  // namespace detail

namespace {

std::optional<unsigned> read_ifindex(const SystemPaths& paths, std::string_view interface, std::vector<Note>& notes) {
  const auto path = paths.sys_class_net / std::string(interface) / "ifindex";
  const auto text = detail::read_if_present(path, notes);
  if (!text) return std::nullopt;
  const std::string_view first_line = std::string_view(*text).substr(0, text->find('\n'));
  const std::string_view digits = detail::trim_blanks(first_line);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    notes.push_back({path.string(), 1, "not a decimal interface index; NetworkManager and networkd not asked"});
    return std::nullopt;
  }
  return value;
}

// A name that can be a path component: the checks build file names from it.
bool plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

const char* to_string(DhcpSource source) noexcept {
  switch (source) {
    case DhcpSource::none: return "none";
    case DhcpSource::network_manager: return "NetworkManager";
    case DhcpSource::systemd_networkd: return "systemd-networkd";
    case DhcpSource::ifupdown: return "ifupdown";
    case DhcpSource::network_scripts: return "network-scripts";
  }
  return "unknown";
}

DhcpState read_dhcp_state(std::string_view interface, const SystemPaths& paths) {
  DhcpState state;
  if (!plain_name(interface)) {
    state.notes.push_back({"hv_get_dhcp_info", 0, "\"" + std::string(interface) + "\" is not an interface name"});
    return state;
  }
  const detail::DhcpQuery query{interface, read_ifindex(paths, interface, state.notes), paths};
  // check_network_manager || check_systemd_networkd || check_ifupdown ||
  // check_network_scripts || report (Disabled).
  struct Step {
    DhcpSource source;
    std::optional<detail::DhcpDecision> (*check)(const detail::DhcpQuery&, std::vector<Note>&);
  };
  const Step steps[] = {
      {DhcpSource::network_manager, detail::check_network_manager},
      {DhcpSource::systemd_networkd, detail::check_systemd_networkd},
      {DhcpSource::ifupdown, detail::check_ifupdown},
      {DhcpSource::network_scripts, detail::check_network_scripts},
  };
  for (const auto& step : steps) {
    if (auto decision = step.check(query, state.notes)) {
      state.enabled = decision->enabled;
      state.decided_by = step.source;
      state.evidence = std::move(decision->evidence);
      return state;
    }
  }
  state.evidence = "no configuration system manages " + std::string(interface);
  return state;
}

}  // namespace kvp::sysinfo
