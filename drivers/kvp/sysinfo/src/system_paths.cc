// SystemPaths moved under a fixture root.
#include "kvp/sysinfo/system_paths.h"

namespace kvp::sysinfo {
namespace {

std::filesystem::path rebase(const std::filesystem::path& root, const std::filesystem::path& absolute) {
  return root / absolute.relative_path();
}

}  // namespace

SystemPaths SystemPaths::under(const std::filesystem::path& root) {
  SystemPaths p;
  for (auto* path : {&p.os_release, &p.suse_release, &p.redhat_release, &p.resolv_conf, &p.proc_net_route,
                     &p.proc_net_ipv6_route, &p.sys_class_net, &p.nm_devices, &p.networkd_links, &p.ifupdown_state,
                     &p.ifupdown_interfaces, &p.ifupdown_interfaces_d, &p.network_scripts}) {
    *path = rebase(root, *path);
  }
  for (auto& dir : p.nm_connections) dir = rebase(root, dir);
  return p;
}

}  // namespace kvp::sysinfo
