// SysfsRoot paths and the attribute readers and writers: kernel formats are
// accepted, everything else is a DeviceError naming the file and the text.
#include "vmbus/device/sysfs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "device_test_util.h"
#include "fake_sysfs.h"
#include "vmbus/backing/device_backing.h"

namespace {

namespace fs = std::filesystem;
using vmbus::DeviceError;
using vmbus::SysfsRoot;
using vmbus::test::error_of;
using vmbus::test::TempDir;
using vmbus::test::write_file;
namespace sysfs = vmbus::sysfs;

testing::AssertionResult Names(const std::string& message, const fs::path& file,
                               const std::string& also = "") {
  if (message.find(file.string()) == std::string::npos) {
    return testing::AssertionFailure() << "\"" << message << "\" does not name " << file;
  }
  if (!also.empty() && message.find(also) == std::string::npos) {
    return testing::AssertionFailure() << "\"" << message << "\" does not say " << also;
  }
  return testing::AssertionSuccess();
}

TEST(DeviceSysfsRoot, PathsAndTheDevDirBesideIt) {
  EXPECT_EQ(SysfsRoot().root(), "/sys");
  EXPECT_EQ(SysfsRoot().dev_dir(), "/dev");
  EXPECT_EQ(SysfsRoot("/tmp/x/sys").dev_dir(), "/tmp/x/dev");
  EXPECT_EQ(SysfsRoot("/tmp/x/sys/").dev_dir(), "/tmp/x/dev");
  EXPECT_EQ(SysfsRoot("/tmp/x/./sys").dev_dir(), "/tmp/x/dev");
  EXPECT_EQ(SysfsRoot("sys").dev_dir(), "dev");
  EXPECT_EQ(SysfsRoot("/sys", "/elsewhere").dev_dir(), "/elsewhere");
  const SysfsRoot r("/tmp/x/sys");
  const vmbus::Guid g = vmbus::Guid::parse("{F8615163-DF3E-46C5-913F-F2D2F965ED0E}").value();
  EXPECT_EQ(r.devices_dir(), "/tmp/x/sys/bus/vmbus/devices");
  EXPECT_EQ(r.drivers_dir(), "/tmp/x/sys/bus/vmbus/drivers");
  EXPECT_EQ(r.device_dir(g), "/tmp/x/sys/bus/vmbus/devices/f8615163-df3e-46c5-913f-f2d2f965ed0e");
  EXPECT_EQ(r.driver_dir("uio_hv_generic"), "/tmp/x/sys/bus/vmbus/drivers/uio_hv_generic");
  EXPECT_EQ(r.uio_node("uio3"), "/tmp/x/dev/uio3");
}

TEST(DeviceSysfsRoot, EnvironmentAndOptionOverrideTheDefault) {
  const char* saved = std::getenv(SysfsRoot::kEnvironmentVariable);
  const std::string saved_value = saved != nullptr ? saved : "";
  ::unsetenv(SysfsRoot::kEnvironmentVariable);
  EXPECT_EQ(SysfsRoot::from_environment().root(), "/sys");
  ::setenv(SysfsRoot::kEnvironmentVariable, "", 1);
  EXPECT_EQ(SysfsRoot::from_environment().root(), "/sys");
  ::setenv(SysfsRoot::kEnvironmentVariable, "/run/hvsim/sys", 1);
  EXPECT_EQ(SysfsRoot::from_environment().root(), "/run/hvsim/sys");
  EXPECT_EQ(SysfsRoot::from_environment().dev_dir(), "/run/hvsim/dev");
  EXPECT_EQ(SysfsRoot::from_option("").root(), "/run/hvsim/sys");
  EXPECT_EQ(SysfsRoot::from_option("/opt/sys").root(), "/opt/sys");
  if (saved != nullptr) {
    ::setenv(SysfsRoot::kEnvironmentVariable, saved_value.c_str(), 1);
  } else {
    ::unsetenv(SysfsRoot::kEnvironmentVariable);
  }
}

TEST(DeviceSysfsParse, Decimal) {
  EXPECT_EQ(sysfs::parse_decimal("0"), 0u);
  EXPECT_EQ(sysfs::parse_decimal("14"), 14u);
  EXPECT_EQ(sysfs::parse_decimal("007"), 7u);
  EXPECT_EQ(sysfs::parse_decimal("4294967295"), 4294967295u);
  for (const char* bad :
       {"", "-1", "+1", " 1", "1 ", "1\n", "0x10", "1e3", "4294967296", "99999999999", "١"}) {
    EXPECT_FALSE(sysfs::parse_decimal(bad)) << bad;
  }
}

TEST(DeviceSysfsParse, Hex) {
  EXPECT_EQ(sysfs::parse_hex("0x402000"), 0x402000u);
  EXPECT_EQ(sysfs::parse_hex("0x0000000000402000"), 0x402000u);  // %pa pads to 16 digits
  EXPECT_EQ(sysfs::parse_hex("0X1F"), 0x1fu);
  EXPECT_EQ(sysfs::parse_hex("0x0"), 0u);
  EXPECT_EQ(sysfs::parse_hex("0xffffffffffffffff"), UINT64_MAX);
  EXPECT_EQ(sysfs::parse_hex("0x00000000000000000000001"), 1u);
  for (const char* bad :
       {"", "0x", "402000", "x402000", "0x-1", "-0x1", "0x 1", "0x1g", "0x10000000000000000"}) {
    EXPECT_FALSE(sysfs::parse_hex(bad)) << bad;
  }
}

TEST(DeviceSysfsParse, QuotesTextForMessages) {
  EXPECT_EQ(sysfs::quoted("abc"), "\"abc\"");
  EXPECT_EQ(sysfs::quoted("a\"b\n\x01"), "\"a\\\"b\\n\\x01\"");
  EXPECT_EQ(sysfs::quoted(""), "nothing");
  EXPECT_NE(sysfs::quoted(std::string(1000, 'x')).find("(1000 bytes, cut)"), std::string::npos);
}

class DeviceSysfsFiles : public testing::Test {
 protected:
  fs::path file(const std::string& name, const std::string& content) {
    const fs::path p = dir_.path() / name;
    write_file(p, content);
    return p;
  }
  TempDir dir_;
};

TEST_F(DeviceSysfsFiles, ReadsKernelFormats) {
  EXPECT_EQ(sysfs::read_text(file("name", "txrx_rings\n")), "txrx_rings");
  EXPECT_EQ(sysfs::read_text(file("two", "a\n\n")), "a\n");  // only one newline is the kernel's
  EXPECT_EQ(sysfs::read_text(file("bare", "x")), "x");
  EXPECT_EQ(sysfs::read_text(file("empty", "")), "");
  EXPECT_EQ(sysfs::read_decimal(file("id", "14\n")), 14u);
  EXPECT_EQ(sysfs::read_hex(file("size", "0x0000000000402000\n")), 0x402000u);
  EXPECT_EQ(sysfs::read_hex(file("offset", "0x0\n")), 0u);
  EXPECT_EQ(sysfs::read_guid(file("class_id", "{f8615163-df3e-46c5-913f-f2d2f965ed0e}\n")).str(),
            "f8615163-df3e-46c5-913f-f2d2f965ed0e");
  EXPECT_EQ(sysfs::read_optional_decimal(dir_.path() / "absent"), std::nullopt);
  EXPECT_EQ(sysfs::read_optional_text(dir_.path() / "absent"), std::nullopt);
  EXPECT_EQ(sysfs::read_optional_decimal(file("monitor_id", "3\n")), 3u);
  const std::string big(5000, 'a');  // more than one read(2)
  EXPECT_EQ(sysfs::read_text(file("big", big + "\n")), big);
}

TEST_F(DeviceSysfsFiles, MalformedNumbersNameTheFileAndTheText) {
  for (const char* text : {"", "\n", "x14\n", "-1\n", "14 \n", " 14\n", "4294967296\n", "14\n\n", "0x10\n"}) {
    const fs::path id = file("id", text);
    EXPECT_TRUE(Names(error_of([&] { (void)sysfs::read_decimal(id); }), id, "expected an unsigned decimal"))
        << sysfs::quoted(text);
  }
  const fs::path size = file("size", "402000\n");
  EXPECT_TRUE(Names(error_of([&] { (void)sysfs::read_hex(size); }), size, "found \"402000\""));
  const fs::path guid = file("class_id", "{f8615163}\n");
  EXPECT_TRUE(Names(error_of([&] { (void)sysfs::read_guid(guid); }), guid, "expected a GUID"));
  const fs::path nul = file("name", std::string("ab\0c\n", 5));
  EXPECT_TRUE(Names(error_of([&] { (void)sysfs::read_text(nul); }), nul, "\\x00"));
}

TEST_F(DeviceSysfsFiles, MissingDirectoryFifoAndHugeFilesAreErrors) {
  const fs::path missing = dir_.path() / "id";
  EXPECT_TRUE(Names(error_of([&] { (void)sysfs::read_decimal(missing); }), missing, "missing"));
  const fs::path directory = dir_.path() / "adir";
  fs::create_directory(directory);
  EXPECT_TRUE(Names(error_of([&] { (void)sysfs::read_text(directory); }), directory, "a directory"));
  const fs::path fifo = dir_.path() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_TRUE(Names(error_of([&] { (void)sysfs::read_text(fifo); }), fifo, "not a regular file"));  // no hang
  const fs::path huge = file("huge", std::string(sysfs::kMaxAttributeSize + 1, '1'));
  EXPECT_TRUE(Names(error_of([&] { (void)sysfs::read_decimal(huge); }), huge, "larger than"));
}

TEST_F(DeviceSysfsFiles, UnreadableFileSaysRunAsRoot) {
  if (vmbus::test::running_as_root()) {
    GTEST_SKIP() << "running as root: chmod 000 does not stop root from reading; the directory "
                    "and FIFO cases cover failing opens";
  }
  const fs::path id = file("id", "14\n");
  fs::permissions(id, fs::perms::none);
  EXPECT_TRUE(Names(error_of([&] { (void)sysfs::read_decimal(id); }), id, "permission denied (run as root)"));
}

TEST_F(DeviceSysfsFiles, ReadsLinkNames) {
  const fs::path target = dir_.path() / "drivers" / "hv_netvsc";
  fs::create_directories(target);
  fs::create_symlink("../drivers/hv_netvsc", dir_.path() / "driver");
  EXPECT_EQ(sysfs::read_link_name(dir_.path() / "driver"), "hv_netvsc");
  fs::create_symlink("../drivers/hv_utils/", dir_.path() / "slash");  // dangling, trailing slash
  EXPECT_EQ(sysfs::read_link_name(dir_.path() / "slash"), "hv_utils");
  EXPECT_EQ(sysfs::read_link_name(dir_.path() / "none"), std::nullopt);
  const fs::path plain = file("plain", "hv_netvsc\n");
  EXPECT_TRUE(Names(error_of([&] { (void)sysfs::read_link_name(plain); }), plain, "not a symlink"));
  fs::create_symlink("..", dir_.path() / "dots");
  EXPECT_TRUE(Names(error_of([&] { (void)sysfs::read_link_name(dir_.path() / "dots"); }),
                    dir_.path() / "dots", "expected a symlink to a driver"));
}

TEST_F(DeviceSysfsFiles, WritesReplaceTheContent) {
  const fs::path bind = file("bind", "something longer than a guid, left by someone\n");
  sysfs::write_text(bind, "uio_hv_generic");
  EXPECT_EQ(vmbus::test::read_file(bind), "uio_hv_generic");
  EXPECT_FALSE(sysfs::try_write_text(bind, "\n"));
  EXPECT_EQ(vmbus::test::read_file(bind), "\n");
}

TEST_F(DeviceSysfsFiles, WriteErrorsNameTheFileTheTextAndWhatToDo) {
  const fs::path missing = dir_.path() / "new_id";
  EXPECT_EQ(sysfs::try_write_text(missing, "x"), std::errc::no_such_file_or_directory);
  EXPECT_FALSE(fs::exists(missing)) << "a write must never create an attribute";
  const std::string message = error_of([&] { sysfs::write_text(missing, "f8615163"); });
  EXPECT_TRUE(Names(message, missing, "cannot write \"f8615163\": missing")) << message;
  fs::create_directory(dir_.path() / "bind");
  EXPECT_TRUE(Names(error_of([&] { sysfs::write_text(dir_.path() / "bind", "x"); }), dir_.path() / "bind",
                    "Is a directory"));
  EXPECT_EQ(
      sysfs::write_error_message("/sys/x/bind", "g", std::make_error_code(std::errc::permission_denied)),
      "/sys/x/bind: cannot write \"g\": permission denied (run as root)");
  EXPECT_EQ(sysfs::write_error_message("/sys/x/bind", "g", std::make_error_code(std::errc::no_such_device)),
            "/sys/x/bind: cannot write \"g\": No such device");
}

TEST_F(DeviceSysfsFiles, ReadOnlyFileSaysRunAsRoot) {
  if (vmbus::test::running_as_root()) {
    GTEST_SKIP() << "running as root: a 0444 file is still writable by root; write_error_message's "
                    "EACCES text is checked directly instead";
  }
  const fs::path file_path = file("driver_override", "(null)\n");
  fs::permissions(file_path, fs::perms::owner_read);
  EXPECT_TRUE(Names(error_of([&] { sysfs::write_text(file_path, "uio_hv_generic"); }), file_path,
                    "permission denied (run as root)"));
}

}  // namespace
