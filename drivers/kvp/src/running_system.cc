// RunningSystem: the daemon's computed values from this machine
// (running_system.h).
#include "running_system.h"

#include <filesystem>
#include <fstream>

#include "kvp/sysinfo/ip_info.h"

namespace kvp {

RunningSystem::RunningSystem(sysinfo::SystemPaths paths, std::function<void(const std::string&)> log)
    : paths_(std::move(paths)), log_(std::move(log)) {}

void RunningSystem::note(const std::vector<sysinfo::Note>& notes) {
  if (!log_) return;
  for (const sysinfo::Note& n : notes) log_(n.message());
}

std::optional<pool::Entry> RunningSystem::auto_entry(std::uint32_t index) {
  if (!auto_pool_) {
    // The OS values and the domain name once, as the daemon computes them at
    // start (kvp_get_os_info, kvp_get_domain_name); entry() reads the
    // address lists afresh each time, as the daemon does per ENUMERATE.
    auto loaded = sysinfo::AutoPool::load(sysinfo::AutoPoolOptions{.paths = paths_});
    if (!loaded) {
      if (log_) log_("the AUTO pool cannot be computed: " + loaded.error().message());
      return std::nullopt;
    }
    auto_pool_ = std::move(*loaded);
    note(auto_pool_->notes());
  }
  auto entry = auto_pool_->entry(index);
  if (!entry) return std::nullopt;
  note(entry->notes);
  return pool::Entry{std::move(entry->key), std::move(entry->value)};
}

std::optional<IpInfo> RunningSystem::ip_info(const std::string& mac, std::uint8_t) {
  // hv_kvp_daemon ignores the family the host asks for (kvp_mac_to_ip passes
  // 0) and answers with every address of the adapter.
  auto report = sysinfo::read_ip_info(mac, kAddrFamilyNone, paths_);
  if (!report) {
    if (log_) log_("GET_IP_INFO " + mac + ": " + report.error().message());
    return std::nullopt;
  }
  note(report->notes);
  return report->info;
}

std::optional<std::string> RunningSystem::interface_of(const std::string& adapter_guid) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(paths_.sys_class_net, ec)) {
    std::ifstream in(entry.path() / "device" / "device_id");
    std::string line;
    if (!in || !std::getline(in, line)) continue;  // not a VMBus NIC
    if (line == adapter_guid) return entry.path().filename().string();
  }
  if (ec && log_) log_("SET_IP_INFO: cannot list " + paths_.sys_class_net.string() + ": " + ec.message());
  return std::nullopt;
}

}  // namespace kvp
