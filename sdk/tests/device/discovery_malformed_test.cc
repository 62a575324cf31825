// Discovery over broken trees: every malformed or missing file gives a
// DeviceError naming that file and what was expected, the scan still lists
// the healthy device beside it, and nothing crashes.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "fake_sysfs.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/device/discovery.h"

namespace {

namespace fs = std::filesystem;
using namespace vmbus::test;

struct BrokenCase {
  const char* name;
  // Breaks the uio-bound NIC at `device`; returns the path the error must name.
  std::function<fs::path(FakeSysfs&, const fs::path& device)> damage;
  const char* says;  // also in the message
};

fs::path map_dir(const fs::path& device, int k) {
  return device / "uio" / "uio0" / "maps" / ("map" + std::to_string(k));
}
fs::path map_file(const fs::path& device, int k, const char* file) { return map_dir(device, k) / file; }

fs::path rewrite(const fs::path& file, const std::string& content) {
  write_file(file, content);
  return file;
}

fs::path erase(const fs::path& file) {
  fs::remove_all(file);
  return file;
}

const std::vector<BrokenCase>& cases() {
  static const std::vector<BrokenCase> all = {
      {"IdMissing", [](FakeSysfs&, const fs::path& d) { return erase(d / "id"); }, "cannot read: missing"},
      {"IdNotANumber", [](FakeSysfs&, const fs::path& d) { return rewrite(d / "id", "fourteen\n"); },
       "found \"fourteen\""},
      {"IdNegative", [](FakeSysfs&, const fs::path& d) { return rewrite(d / "id", "-14\n"); },
       "unsigned decimal"},
      {"IdEmpty", [](FakeSysfs&, const fs::path& d) { return rewrite(d / "id", ""); }, "found nothing"},
      {"IdOverflows", [](FakeSysfs&, const fs::path& d) { return rewrite(d / "id", "4294967296\n"); },
       "found \"4294967296\""},
      {"IdIsADirectory",
       [](FakeSysfs&, const fs::path& d) {
         fs::remove(d / "id");
         fs::create_directory(d / "id");
         return d / "id";
       },
       "a directory"},
      {"MonitorIdTooLarge", [](FakeSysfs&, const fs::path& d) { return rewrite(d / "monitor_id", "256\n"); },
       "0 to 255"},
      {"ClassIdMalformed",
       [](FakeSysfs&, const fs::path& d) { return rewrite(d / "class_id", "{f8615163-df3e}\n"); },
       "expected a GUID"},
      {"ClassIdMissing", [](FakeSysfs&, const fs::path& d) { return erase(d / "class_id"); }, "missing"},
      {"DeviceIdDisagreesWithTheDirectory",
       [](FakeSysfs&, const fs::path& d) {
         return rewrite(d / "device_id", std::string("{") + kKvp1 + "}\n");
       },
       "the directory's name"},
      {"DriverIsNotASymlink",
       [](FakeSysfs&, const fs::path& d) {
         fs::remove(d / "driver");
         return rewrite(d / "driver", "uio_hv_generic\n");
       },
       "not a symlink"},
      {"ChannelCpuMissing",
       [](FakeSysfs&, const fs::path& d) { return erase(d / "channels" / "14" / "cpu"); }, "missing"},
      {"ChannelSubchannelIdGarbage",
       [](FakeSysfs&, const fs::path& d) {
         return rewrite(d / "channels" / "14" / "subchannel_id", "0x0\n");
       },
       "unsigned decimal"},
      {"ChannelDirNotARelid",
       [](FakeSysfs&, const fs::path& d) {
         fs::create_directories(d / "channels" / "primary");
         return d / "channels" / "primary";
       },
       "named by its decimal relid"},
      {"UioDirMissing", [](FakeSysfs&, const fs::path& d) { return erase(d / "uio"); }, "one uioN directory"},
      {"TwoUioDevices",
       [](FakeSysfs&, const fs::path& d) {
         fs::create_directories(d / "uio" / "uio7");
         return d / "uio";
       },
       "exactly one uioN directory, found uio0, uio7"},
      {"UioNodeMissing", [](FakeSysfs& sys, const fs::path&) { return erase(sys.uio_node(0)); },
       "device node"},
      {"MapWithoutSize", [](FakeSysfs&, const fs::path& d) { return erase(map_file(d, 1, "size")); },
       "cannot read: missing; expected a hex number"},
      {"MapWithoutName", [](FakeSysfs&, const fs::path& d) { return erase(map_file(d, 0, "name")); },
       "missing"},
      {"MapSizeWithout0x",
       [](FakeSysfs&, const fs::path& d) { return rewrite(map_file(d, 0, "size"), "402000\n"); },
       "a hex number"},
      {"MapSizeOverflows",
       [](FakeSysfs&, const fs::path& d) { return rewrite(map_file(d, 0, "size"), "0x10000000000000000\n"); },
       "a hex number"},
      {"RingMapOfUnexpectedSize",
       [](FakeSysfs&, const fs::path& d) { return rewrite(map_file(d, 0, "size"), pa(0x401000)); },
       "found 0x401000"},
      {"RingMapEmpty", [](FakeSysfs&, const fs::path& d) { return rewrite(map_file(d, 0, "size"), pa(0)); },
       "two rings"},
      {"IntPageHalfAPage",
       [](FakeSysfs&, const fs::path& d) { return rewrite(map_file(d, 1, "size"), pa(0x800)); }, "one page"},
      {"MapsInTheWrongOrder",
       [](FakeSysfs&, const fs::path& d) { return rewrite(map_file(d, 1, "name"), "monitor_page\n"); },
       "expected \"int_page\""},
      {"RecvMapWithoutGpadl",
       [](FakeSysfs&, const fs::path& d) { return rewrite(map_file(d, 3, "name"), "recv\n"); },
       "recv:<gpadl>"},
      {"MapGap",
       [](FakeSysfs&, const fs::path& d) {
         erase(map_dir(d, 3));
         return map_dir(d, 4);
       },
       "map3 before it is missing"},
      {"TooFewMaps",
       [](FakeSysfs&, const fs::path& d) {
         for (int k = 2; k < 5; ++k) erase(map_dir(d, k));
         return map_dir(d, 2);
       },
       "maps 0 to 2"},
      {"SixthMap",
       [](FakeSysfs&, const fs::path& d) {
         rewrite(map_file(d, 5, "name"), "extra\n");
         return map_dir(d, 5);
       },
       "at most 5"},
  };
  return all;
}

class DeviceDiscoveryMalformed : public testing::TestWithParam<BrokenCase> {
 protected:
  void SetUp() override {
    broken_ = sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "uio_hv_generic"});
    sys_.add_uio(broken_, 0, nic_maps());
    sys_.add_device({.instance = kNic2, .class_id = kNicClass, .relid = 15, .driver = "hv_netvsc"});
  }
  FakeSysfs sys_;
  fs::path broken_;
};

TEST_P(DeviceDiscoveryMalformed, NamesTheFileAndKeepsTheOtherDevices) {
  const BrokenCase& c = GetParam();
  const fs::path named = c.damage(sys_, broken_);

  const vmbus::DeviceScan scan = vmbus::scan(sys_.root());
  ASSERT_EQ(scan.devices.size(), 1u);
  EXPECT_EQ(scan.devices[0].instance.str(), kNic2);
  ASSERT_EQ(scan.problems.size(), 1u);
  EXPECT_EQ(scan.problems[0].sysfs_dir, broken_);
  const std::string& message = scan.problems[0].message;
  EXPECT_NE(message.find(named.string()), std::string::npos) << message << "\nshould name " << named;
  EXPECT_NE(message.find(c.says), std::string::npos) << message << "\nshould say " << c.says;

  try {
    (void)vmbus::describe_device(sys_.root(), vmbus::Guid::parse(kNic1).value());
    ADD_FAILURE() << "describe_device accepted the broken device";
  } catch (const vmbus::DeviceError& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

INSTANTIATE_TEST_SUITE_P(Files, DeviceDiscoveryMalformed, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<BrokenCase>& param) {
                           return std::string(param.param.name);
                         });

TEST(DeviceDiscoveryMalformedTree, UnreadableFileNamesIt) {
  if (running_as_root()) {
    GTEST_SKIP() << "running as root: chmod 000 does not stop root from reading; the IdIsADirectory "
                    "case covers a file that cannot be read";
  }
  FakeSysfs sys;
  const fs::path d = sys.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
  fs::permissions(d / "id", fs::perms::none);
  const vmbus::DeviceScan scan = vmbus::scan(sys.root());
  ASSERT_EQ(scan.problems.size(), 1u);
  EXPECT_NE(
      scan.problems[0].message.find((d / "id").string() + ": cannot read: permission denied (run as root)"),
      std::string::npos)
      << scan.problems[0].message;
}

TEST(DeviceDiscoveryMalformedTree, StrayEntriesInTheDevicesDirectoryAreProblems) {
  FakeSysfs sys;
  sys.add_device({.instance = kNic2, .class_id = kNicClass, .driver = "hv_netvsc"});
  fs::create_directories(sys.devices_dir() / "not-a-guid");
  write_file(sys.devices_dir() / "11111111-2222-3333-4444-555555555555", "a file, not a device\n");
  fs::create_symlink("nowhere", sys.devices_dir() / "22222222-2222-3333-4444-555555555555");  // dangling
  const vmbus::DeviceScan scan = vmbus::scan(sys.root());
  ASSERT_EQ(scan.devices.size(), 1u);
  ASSERT_EQ(scan.problems.size(), 3u);
  for (const vmbus::DeviceProblem& p : scan.problems) {
    EXPECT_NE(p.message.find(p.sysfs_dir.string() + ": expected a device directory"), std::string::npos)
        << p.message;
  }
}

}  // namespace
