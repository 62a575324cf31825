// Device::open refuses what uio_hv_generic would never produce, before
// touching anything, with a DeviceError naming the sysfs file and what was
// expected. No node is opened in these tests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "../../src/device/uio_map_layout.h"
#include "device_test_support.h"
#include "vmbus/device/device.h"

namespace {

namespace fs = std::filesystem;
using vmbus::DeviceError;
using vmbus::DeviceInfo;
using vmbus::test::small_maps;
using vmbus::test::uio_device_info;
using ::testing::HasSubstr;

const fs::path kDir = "/sys/bus/vmbus/devices/0a1b2c3d-0000-4000-8000-0000000000aa";

DeviceInfo info_with(std::vector<vmbus::test::MapSpec> maps) {
  return uio_device_info(kDir, "/nonexistent/dev/uio0", maps);
}

std::string open_error(const DeviceInfo& info) {
  try {
    (void)vmbus::Device::open(info);
  } catch (const DeviceError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DeviceOpen, DeviceNotOwnedByUioHvGenericSaysToClaimIt) {
  DeviceInfo info = info_with(small_maps());
  info.owner = vmbus::DeviceOwner::kernel_driver;
  info.driver = "hv_netvsc";
  EXPECT_THAT(open_error(info), HasSubstr(kDir.string() + ": bound to hv_netvsc, not uio_hv_generic: claim it first: "
                                                          "vmbus claim 0a1b2c3d-0000-4000-8000-0000000000aa"));
  info.owner = vmbus::DeviceOwner::none;
  EXPECT_THAT(open_error(info), HasSubstr("no driver is bound (expected uio_hv_generic): claim it first"));
}

TEST(DeviceOpen, NoUioDevice) {
  DeviceInfo info = info_with(small_maps());
  info.uio_name.clear();
  EXPECT_THAT(open_error(info), HasSubstr(kDir.string() + "/uio: no uio device under it"));
}

TEST(DeviceOpen, FewerThanThreeMaps) {
  EXPECT_THAT(open_error(info_with({{"txrx_rings", 40960}, {"int_page", 4096}})),
              HasSubstr(kDir.string() + "/uio/uio0/maps: 2 maps, expected at least 3 (txrx_rings, int_page, monitor_page)"));
}

struct BadMap {
  const char* name;
  std::vector<vmbus::test::MapSpec> maps;
  const char* file;      // under maps/
  const char* expected;  // in the message
};

void PrintTo(const BadMap& b, std::ostream* os) { *os << b.name; }

class DeviceOpenBadMap : public ::testing::TestWithParam<BadMap> {};

TEST_P(DeviceOpenBadMap, NamesTheFileAndWhatWasExpected) {
  const BadMap& b = GetParam();
  const std::string error = open_error(info_with(b.maps));
  EXPECT_THAT(error, HasSubstr(kDir.string() + "/uio/uio0/maps/" + b.file + ": "));
  EXPECT_THAT(error, HasSubstr(b.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Maps, DeviceOpenBadMap,
    ::testing::Values(
        BadMap{"OddRings", {{"txrx_rings", 40961}, {"int_page", 4096}, {"monitor_page", 4096}}, "map0/size",
               "40961 bytes, expected two equal rings (TX then RX), each a multiple of 4096"},
        BadMap{"HalvesNotPageMultiples", {{"txrx_rings", 3 * 8192 + 4096}, {"int_page", 4096}, {"monitor_page", 4096}},
               "map0/size", "28672 bytes, expected two equal rings"},
        BadMap{"RingsTooSmall", {{"txrx_rings", 8192}, {"int_page", 4096}, {"monitor_page", 4096}}, "map0/size",
               "8192 bytes"},
        BadMap{"RingsMisnamed", {{"rings", 40960}, {"int_page", 4096}, {"monitor_page", 4096}}, "map0/name",
               "\"rings\", expected \"txrx_rings\""},
        BadMap{"IntPageSize", {{"txrx_rings", 40960}, {"int_page", 8192}, {"monitor_page", 4096}}, "map1/size",
               "8192 bytes, expected 4096 (one Hyper-V page) for int_page"},
        BadMap{"MonitorPageSize", {{"txrx_rings", 40960}, {"int_page", 4096}, {"monitor_page", 100}}, "map2/size",
               "100 bytes, expected 4096 (one Hyper-V page) for monitor_page"},
        BadMap{"MonitorPageMisnamed", {{"txrx_rings", 40960}, {"int_page", 4096}, {"monitor", 4096}}, "map2/name",
               "expected \"monitor_page\""},
        BadMap{"RecvNameNotANumber",
               {{"txrx_rings", 40960}, {"int_page", 4096}, {"monitor_page", 4096}, {"recv:abc", 65536}}, "map3/name",
               "\"recv:abc\", expected \"recv:<GPADL handle>\""},
        BadMap{"RecvGpadlZero",
               {{"txrx_rings", 40960}, {"int_page", 4096}, {"monitor_page", 4096}, {"recv:0", 65536}}, "map3/name",
               "non-zero decimal handle"},
        BadMap{"SendSizeZero",
               {{"txrx_rings", 40960}, {"int_page", 4096}, {"monitor_page", 4096}, {"recv:5", 65536}, {"send:6", 0}},
               "map4/size", "0 bytes, expected a non-zero multiple of 4096 for send:6"}),
    [](const ::testing::TestParamInfo<BadMap>& param) { return std::string(param.param.name); });

TEST(DeviceOpen, MissingNodeSaysToClaimTheDevice) {
  EXPECT_THAT(open_error(info_with(small_maps())),
              HasSubstr("/nonexistent/dev/uio0 does not exist: is the device bound to uio_hv_generic? (vmbus claim"));
}

TEST(DeviceOpen, MonitorIdOutOfRangeNamesTheFile) {
  vmbus::test::FakeHost host(small_maps());
  DeviceInfo info = uio_device_info(kDir, host.path(), small_maps(), /*monitor_id=*/200);
  EXPECT_THAT(open_error(info), HasSubstr(kDir.string() + "/monitor_id: 200, expected 0 to 127"));
}

TEST(DeviceOpen, SysfsSizeDisagreeingWithTheEndpointNamesBoth) {
  vmbus::test::FakeHost host(small_maps());
  auto maps = small_maps();
  maps[0].size = 2 * (4096 + 8192);
  EXPECT_THAT(open_error(uio_device_info(kDir, host.path(), maps)),
              HasSubstr("map 0 (txrx_rings): asked to map 24576 bytes (sysfs maps/map0/size) but the endpoint's "
                        "MapInfo says 40960"));
}

TEST(GpadlName, ParsesOnlyCanonicalNonZeroDecimal) {
  using vmbus::detail::parse_gpadl_name;
  EXPECT_EQ(parse_gpadl_name("recv:1234", "recv:"), 1234u);
  EXPECT_EQ(parse_gpadl_name("send:4294967295", "send:"), 4294967295u);
  EXPECT_FALSE(parse_gpadl_name("send:4294967296", "send:"));
  EXPECT_FALSE(parse_gpadl_name("recv:", "recv:"));
  EXPECT_FALSE(parse_gpadl_name("recv:0", "recv:"));
  EXPECT_FALSE(parse_gpadl_name("recv:012", "recv:"));
  EXPECT_FALSE(parse_gpadl_name("recv:-1", "recv:"));
  EXPECT_FALSE(parse_gpadl_name("recv:12 ", "recv:"));
  EXPECT_FALSE(parse_gpadl_name("send:12", "recv:"));
  EXPECT_FALSE(parse_gpadl_name("recv:99999999999999999999", "recv:"));
}

}  // namespace
