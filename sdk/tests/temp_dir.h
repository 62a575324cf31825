// Test support shared by the SDK's device and channel tests: a fresh
// temporary directory, removed with everything in it when the test is done
// (fake sysfs trees, endpoint sockets, fake device nodes).
//
// Usage:
//   vmbus::test::TempDir dir;
//   std::ofstream(dir.path() / "uio0") << "not a device\n";
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace vmbus::test {

// A fresh directory under $TMPDIR (or /tmp). The name is short: endpoint
// sockets inside it must fit sockaddr_un. A test that took the owner's
// permissions away from it still gets it removed.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/vmbus-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      const int error = errno;
      throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(error));
    }
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace vmbus::test
