// Checks of a DeviceReply's map names and interrupt fd (endpoint_reply_checks.h).
#include "endpoint_reply_checks.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace vmbus::detail {

bool valid_map_name(const endpoint::MapInfo& map) noexcept {
  const std::size_t length = ::strnlen(map.name, endpoint::kMapNameSize);
  if (length == 0 || length == endpoint::kMapNameSize) return false;
  for (std::size_t i = 0; i < length; ++i) {
    const auto c = static_cast<unsigned char>(map.name[i]);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool is_eventfd(int fd) noexcept {
  char link[48];
  char target[64] = {};
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, target, sizeof target - 1);
  if (n > 0) return std::strcmp(target, "anon_inode:[eventfd]") == 0;
  struct stat st {};
  return ::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISSOCK(st.st_mode);
}

}  // namespace vmbus::detail
