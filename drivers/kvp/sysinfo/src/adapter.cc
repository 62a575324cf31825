// The interfaces a GET_IP_INFO adapter id (a MAC) names, as kvp_mac_to_ip
// finds them.
#include "kvp/sysinfo/adapter.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>

#include "text_file.h"

namespace kvp::sysinfo {

std::string comparable_mac(std::string_view sysfs_address) {
  // fgets(buf, 256) -> strchr(p, '\n') = '\0' -> toupper each byte.
  std::string_view line = detail::until_nul(sysfs_address.substr(0, 255));
  line = line.substr(0, line.find('\n'));
  std::string out(line);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

SysinfoResult<std::vector<std::string>> interfaces_with_mac(std::string_view adapter_id,
                                                            const std::filesystem::path& sys_class_net) {
  DIR* dir = ::opendir(sys_class_net.c_str());
  if (dir == nullptr) return SysinfoError{SysinfoErrc::io_error, sys_class_net.string(), "opendir", errno, {}};
  std::vector<std::string> names;
  while (const struct dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    // A missing or unreadable address file is skipped, as fopen failing is.
    const auto file = detail::read_text_file(sys_class_net / name / "address", 4096);
    if (!file.ok || file.text.empty()) continue;
    // An empty address (a device without one prints just "\n") names nothing.
    const std::string mac = comparable_mac(file.text);
    if (!mac.empty() && mac == adapter_id) names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace kvp::sysinfo
