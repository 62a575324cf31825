// Discovery over a hand-built tree formatted as the kernel formats it:
// classes, owners, relids, monitor ids, channels, uio maps, and finding a
// device the way a user names it.
#include "vmbus/device/discovery.h"

#include <gtest/gtest.h>

#include <string>

#include "device_test_util.h"
#include "fake_sysfs.h"
#include "vmbus/backing/device_backing.h"

namespace {

namespace fs = std::filesystem;
using vmbus::DeviceError;
using vmbus::DeviceInfo;
using vmbus::DeviceOwner;
using vmbus::Guid;
using namespace vmbus::test;

class DeviceDiscovery : public testing::Test {
 protected:
  // A NIC on uio_hv_generic with two subchannels, a NIC on hv_netvsc, KVP on
  // hv_utils without a monitor, and a device of a class nobody knows.
  void build() {
    const fs::path nic = sys_.add_device(
        {.instance = kNic1,
         .class_id = kNicClass,
         .relid = 14,
         .monitor_id = 1,
         .driver = "uio_hv_generic",
         .channels = {{.relid = 31, .subchannel_id = 2, .monitor_id = 7, .cpu = 2, .ring = true},
                      {.relid = 14, .subchannel_id = 0, .monitor_id = 1, .cpu = 0, .ring = true},
                      {.relid = 30, .subchannel_id = 1, .cpu = 1, .ring = false}}});
    write_file(nic / "driver_override", "uio_hv_generic\n");
    sys_.add_uio(nic, 0, nic_maps());
    sys_.add_device(
        {.instance = kNic2, .class_id = kNicClass, .relid = 15, .monitor_id = 2, .driver = "hv_netvsc"});
    sys_.add_device({.instance = kKvp1,
                     .class_id = kKvpClass,
                     .relid = 3,
                     .monitor_id = std::nullopt,
                     .driver = "hv_utils"});
    sys_.add_device({.instance = "99999999-aaaa-bbbb-cccc-dddddddddddd",
                     .class_id = "00000000-1111-2222-3333-444444444444",
                     .relid = 40,
                     .driver = ""});
  }

  FakeSysfs sys_;
};

TEST_F(DeviceDiscovery, ListsEveryDeviceInInstanceOrder) {
  build();
  const vmbus::DeviceScan scan = vmbus::scan(sys_.root());
  EXPECT_TRUE(scan.problems.empty()) << scan.problems.front().message;
  ASSERT_EQ(scan.devices.size(), 4u);
  EXPECT_EQ(scan.devices[0].instance.str(), kNic1);
  EXPECT_EQ(scan.devices[1].instance.str(), kNic2);
  EXPECT_EQ(scan.devices[2].instance.str(), kKvp1);
  EXPECT_EQ(scan.devices[3].instance.str(), "99999999-aaaa-bbbb-cccc-dddddddddddd");
  EXPECT_EQ(vmbus::discover(sys_.root()).size(), 4u);
}

TEST_F(DeviceDiscovery, ReadsClassRelidMonitorAndOwner) {
  build();
  const DeviceInfo nic2 = vmbus::describe_device(sys_.root(), guid(kNic2));
  EXPECT_EQ(nic2.sysfs_dir, sys_.devices_dir() / kNic2);
  EXPECT_EQ(nic2.class_id, guid(kNicClass));
  EXPECT_EQ(nic2.class_name, "network");
  EXPECT_EQ(nic2.relid, 15u);
  EXPECT_EQ(nic2.monitor_id, 2);
  EXPECT_EQ(nic2.owner, DeviceOwner::kernel_driver);
  EXPECT_EQ(nic2.driver, "hv_netvsc");
  EXPECT_EQ(nic2.driver_override, "");  // "(null)\n"
  EXPECT_TRUE(nic2.uio_name.empty());
  EXPECT_TRUE(nic2.uio_node.empty());
  EXPECT_TRUE(nic2.maps.empty());

  const DeviceInfo kvp = vmbus::describe_device(sys_.root(), guid(kKvp1));
  EXPECT_EQ(kvp.class_name, "kvp");
  EXPECT_EQ(kvp.monitor_id, std::nullopt);  // hidden: not monitor_allocated
  EXPECT_EQ(kvp.driver, "hv_utils");
  ASSERT_EQ(kvp.channels.size(), 1u);
  EXPECT_EQ(kvp.channels[0].monitor_id, std::nullopt);

  const DeviceInfo unknown =
      vmbus::describe_device(sys_.root(), guid("99999999-aaaa-bbbb-cccc-dddddddddddd"));
  EXPECT_EQ(unknown.class_name, "unknown");
  EXPECT_EQ(unknown.owner, DeviceOwner::none);
  EXPECT_EQ(unknown.driver, "");
}

TEST_F(DeviceDiscovery, ReadsChannelsPrimaryFirst) {
  build();
  const DeviceInfo nic = vmbus::describe_device(sys_.root(), guid(kNic1));
  ASSERT_EQ(nic.channels.size(), 3u);
  EXPECT_EQ(nic.channels[0].relid, 14u);
  EXPECT_EQ(nic.channels[0].subchannel_id, 0u);
  EXPECT_EQ(nic.channels[0].monitor_id, 1);
  EXPECT_TRUE(nic.channels[0].has_ring_file);
  EXPECT_EQ(nic.channels[1].relid, 30u);
  EXPECT_EQ(nic.channels[1].subchannel_id, 1u);
  EXPECT_EQ(nic.channels[1].monitor_id, std::nullopt);
  EXPECT_EQ(nic.channels[1].cpu, 1u);
  EXPECT_FALSE(nic.channels[1].has_ring_file);  // not opened yet: appears late
  EXPECT_EQ(nic.channels[2].relid, 31u);
  EXPECT_EQ(nic.channels[2].monitor_id, 7);
  EXPECT_EQ(nic.channels[2].cpu, 2u);
}

TEST_F(DeviceDiscovery, ReadsUioDeviceAndMaps) {
  build();
  const DeviceInfo nic = vmbus::describe_device(sys_.root(), guid(kNic1));
  EXPECT_EQ(nic.owner, DeviceOwner::uio_hv_generic);
  EXPECT_EQ(nic.driver, "uio_hv_generic");
  EXPECT_EQ(nic.driver_override, "uio_hv_generic");
  EXPECT_EQ(nic.uio_name, "uio0");
  EXPECT_EQ(nic.uio_node, sys_.dir() / "dev" / "uio0");
  ASSERT_EQ(nic.maps.size(), 5u);
  const std::vector<SysfsMapSpec> expected = nic_maps();
  for (std::uint32_t k = 0; k < 5; ++k) {
    EXPECT_EQ(nic.maps[k].index, k);
    EXPECT_EQ(nic.maps[k].name, expected[k].name);
    EXPECT_EQ(nic.maps[k].size, expected[k].size);
    EXPECT_EQ(nic.maps[k].offset, 0u);
  }
}

TEST_F(DeviceDiscovery, ReadsNonNicMapsAndOldKernelFormats) {
  const fs::path kvp =
      sys_.add_device({.instance = kKvp1, .class_id = kKvpClass, .driver = "uio_hv_generic"});
  sys_.add_uio(kvp, 2, kvp_maps());
  // Older uio.c printed "0x%lx\n" rather than %pa; offset may be absent.
  write_file(kvp / "uio" / "uio2" / "maps" / "map0" / "size", "0x24000\n");
  fs::remove(kvp / "uio" / "uio2" / "maps" / "map1" / "offset");
  const DeviceInfo d = vmbus::describe_device(sys_.root(), guid(kKvp1));
  EXPECT_EQ(d.uio_name, "uio2");
  EXPECT_EQ(d.uio_node, sys_.uio_node(2));
  ASSERT_EQ(d.maps.size(), 3u);
  EXPECT_EQ(d.maps[0].size, 0x24000u);
  EXPECT_EQ(d.maps[2].name, "monitor_page");
}

TEST_F(DeviceDiscovery, DescribingAMissingDeviceSaysSo) {
  build();
  const std::string message = error_of(
      [&] { (void)vmbus::describe_device(sys_.root(), guid("12345678-1234-1234-1234-123456789abc")); });
  EXPECT_EQ(message,
            "no VMBus device 12345678-1234-1234-1234-123456789abc under " + sys_.devices_dir().string());
}

TEST(DeviceDiscoveryRoot, WrongRootSaysWhatToSet) {
  TempDir dir;
  const vmbus::SysfsRoot root(dir.path() / "sys");
  const std::string message = error_of([&] { (void)vmbus::scan(root); });
  EXPECT_NE(message.find(root.devices_dir().string() + ": cannot list: missing"), std::string::npos)
      << message;
  EXPECT_NE(message.find("VMBUS_SYSFS_ROOT"), std::string::npos) << message;
  const std::string describe = error_of([&] { (void)vmbus::describe_device(root, guid(kNic1)); });
  EXPECT_NE(describe.find("no VMBus device"), std::string::npos);
  EXPECT_NE(describe.find("VMBUS_SYSFS_ROOT"), std::string::npos) << describe;
}

TEST_F(DeviceDiscovery, EmptyBusIsNoDevicesNotAnError) {
  const vmbus::DeviceScan scan = vmbus::scan(sys_.root());
  EXPECT_TRUE(scan.devices.empty());
  EXPECT_TRUE(scan.problems.empty());
}

TEST_F(DeviceDiscovery, FindsDevicesByClass) {
  build();
  EXPECT_EQ(vmbus::find_devices_of_class(sys_.root(), guid(kNicClass)).size(), 2u);
  EXPECT_EQ(vmbus::find_devices_of_class(sys_.root(), guid(kKvpClass)).size(), 1u);
  EXPECT_EQ(vmbus::find_device(sys_.root(), "kvp").instance.str(), kKvp1);
  EXPECT_EQ(vmbus::find_device(sys_.root(), kKvpClass).instance.str(), kKvp1);  // a class GUID
  EXPECT_EQ(vmbus::find_device(sys_.root(), kNic2).instance.str(), kNic2);      // an instance GUID
  EXPECT_EQ(vmbus::find_device(sys_.root(), "{0A1B2C3D-0000-4000-8000-000000000002}").instance.str(), kNic2);
}

TEST_F(DeviceDiscovery, FindDeviceExplainsNoneSeveralOrNonsense) {
  build();
  const std::string several = error_of([&] { (void)vmbus::find_device(sys_.root(), "network"); });
  EXPECT_NE(several.find("2 devices of class network"), std::string::npos) << several;
  EXPECT_NE(several.find(std::string(kNic1) + " (uio_hv_generic)"), std::string::npos) << several;
  EXPECT_NE(several.find(std::string(kNic2) + " (hv_netvsc)"), std::string::npos) << several;
  const std::string none = error_of([&] { (void)vmbus::find_device(sys_.root(), "fcopy"); });
  EXPECT_NE(none.find("no VMBus device of class fcopy under"), std::string::npos) << none;
  const std::string nonsense = error_of([&] { (void)vmbus::find_device(sys_.root(), "netwrok"); });
  EXPECT_NE(nonsense.find("\"netwrok\" is neither"), std::string::npos) << nonsense;
  EXPECT_NE(nonsense.find("network, scsi"), std::string::npos) << nonsense;
}

TEST_F(DeviceDiscovery, FindDeviceMentionsDevicesItCouldNotRead) {
  build();
  const fs::path fc = sys_.add_device({.instance = "22222222-0000-4000-8000-000000000000",
                                       .class_id = "2f9bcc4a-0069-4af3-b76b-6fd0be528cda"});
  write_file(fc / "id", "garbage\n");
  const std::string message = error_of([&] { (void)vmbus::find_device(sys_.root(), "fc"); });
  EXPECT_NE(message.find("no VMBus device of class fc"), std::string::npos) << message;
  EXPECT_NE(message.find((fc / "id").string()), std::string::npos) << message;
}

}  // namespace
