// open_backing: the provider is chosen by file type, and every way a node can
// be wrong gives a DeviceError that names it and says what to do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "endpoint_test_server.h"
#include "vmbus/backing/device_backing.h"

namespace {

namespace fs = std::filesystem;
using vmbus::DeviceError;
using vmbus::Errc;
using vmbus::test::HasError;
using vmbus::test::IsOk;
using ::testing::HasSubstr;

std::string open_backing_error(const fs::path& node) {
  try {
    (void)vmbus::open_backing(node);
  } catch (const DeviceError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(OpenBacking, MissingNodeSaysToClaimTheDevice) {
  EXPECT_THAT(open_backing_error("/nonexistent/dev/uio7"),
              HasSubstr("/nonexistent/dev/uio7 does not exist: is the device bound to uio_hv_generic? (vmbus claim"));
}

TEST(OpenBacking, WrongFileTypeIsNamed) {
  vmbus::test::TempDir dir;
  std::ofstream(dir.path() / "uio0") << "not a device\n";
  EXPECT_THAT(open_backing_error(dir.path() / "uio0"),
              HasSubstr("uio0: is a regular file, expected a character device (the kernel's uio) or a UNIX socket"));
  EXPECT_THAT(open_backing_error(dir.path()), HasSubstr("is a directory"));
}

// The node sits in a directory this user cannot search. Root searches
// everything, so as root the check runs in a child that dropped to nobody.
TEST(OpenBacking, PermissionDeniedSaysToRunAsRoot) {
  vmbus::test::TempDir dir;
  const fs::path inner = dir.path() / "private";
  fs::create_directory(inner);
  std::ofstream(inner / "uio0") << "";
  const fs::path node = inner / "uio0";
  const char* expected = "permission denied: run as root";
  if (::geteuid() != 0) {
    fs::permissions(inner, fs::perms::none);
    const std::string error = open_backing_error(node);
    fs::permissions(inner, fs::perms::owner_all);
    EXPECT_THAT(error, HasSubstr(node.string() + ": " + expected));
    return;
  }
  fs::permissions(inner, fs::perms::owner_all);  // 0700, root's
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    const std::string error = open_backing_error(node);
    ::_exit(error.find(node.string() + ": " + expected) != std::string::npos ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 2) GTEST_SKIP() << "cannot drop privileges here";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child did not get \"" << expected << "\" naming the node";
}

TEST(OpenBacking, SocketGivesTheEndpointBacking) {
  vmbus::test::FakeHost host({{"txrx_rings", 16384}, {"int_page", 4096}, {"monitor_page", 4096}});
  auto backing = vmbus::open_backing(host.path());
  EXPECT_THAT(backing->describe(), HasSubstr("endpoint "));
}

// /dev/null stands in for a character device: detection and error naming
// are what is tested, not uio semantics.
TEST(OpenBacking, CharacterDeviceGivesTheKernelBacking) {
  auto backing = vmbus::open_backing("/dev/null");
  EXPECT_EQ(backing->describe(), "uio /dev/null");
  EXPECT_GE(backing->event_fd(), 0);
  try {
    (void)backing->map(0, 4096);
    ADD_FAILURE() << "/dev/null cannot be mapped";
  } catch (const DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/dev/null map 0: mmap of 4096 bytes"));
  }
  try {
    (void)backing->map(1, 0);
    ADD_FAILURE() << "size 0 is refused";
  } catch (const DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/dev/null map 1: size 0"));
  }
  EXPECT_TRUE(IsOk(backing->irqcontrol(1)));
  // read() of /dev/null returns 0 bytes: not the 4 uio returns.
  EXPECT_TRUE(HasError(backing->take_interrupts(), Errc::io_error));
}

}  // namespace
