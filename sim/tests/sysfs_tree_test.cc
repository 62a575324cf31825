// The sysfs tree: the kernel's names and formats, what appears at start and
// what is gone at stop.
#include <gtest/gtest.h>

#include "sim_fixture.h"

namespace hvsim::test {
namespace {

class SysfsTreeTest : public SimFixture {};

TEST_F(SysfsTreeTest, DeviceAttributesUseTheKernelFormats) {
  const stdfs::path nic = device_dir("eth0");
  // vmbus_drv.c: class_id/device_id "{%pUl}\n", id "%d\n", modalias "vmbus:%*phN\n".
  EXPECT_EQ(read_text(nic / "class_id"), "{f8615163-df3e-46c5-913f-f2d2f965ed0e}\n");
  EXPECT_EQ(read_text(nic / "device_id"), "{000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20}\n");
  EXPECT_EQ(read_text(nic / "id"), "16\n");
  EXPECT_EQ(read_text(nic / "monitor_id"), "3\n");
  EXPECT_EQ(read_text(nic / "modalias"), "vmbus:635161f83edfc546913ff2d2f965ed0e\n");
  EXPECT_EQ(read_text(nic / "numa_node"), "0\n");
  EXPECT_EQ(read_text(nic / "vendor"), "0x1414\n");
  EXPECT_EQ(read_text(nic / "device"), "0x3\n");  // HV_NIC
  EXPECT_EQ(read_text(nic / "channel_vp_mapping"), "16:0\n");
  EXPECT_EQ(read_text(nic / "driver_override"), "(null)\n");
  EXPECT_EQ(read_text(nic / "state"), "3\n");  // opened by hv_netvsc
  EXPECT_EQ(stdfs::read_symlink(nic / "driver"), "../../drivers/hv_netvsc");
  EXPECT_EQ(stdfs::canonical(nic / "driver"), stdfs::canonical(paths().driver_dir("hv_netvsc")));
  EXPECT_EQ(stdfs::canonical(paths().driver_dir("hv_netvsc") / instance("eth0")), stdfs::canonical(nic));
  EXPECT_EQ(read_text(nic / "uevent"), "DRIVER=hv_netvsc\nMODALIAS=vmbus:635161f83edfc546913ff2d2f965ed0e\n");
  EXPECT_EQ(read_text(nic / "client_monitor_latency"), "500\n");  // 50 us in 100 ns units
}

TEST_F(SysfsTreeTest, MonitorAttributesAreHiddenWithoutAMonitor) {
  const stdfs::path kvp = device_dir("kvp");
  // vmbus_dev_attr_is_visible / vmbus_chan_attr_is_visible.
  EXPECT_FALSE(present(kvp / "monitor_id"));
  EXPECT_FALSE(present(kvp / "client_monitor_pending"));
  EXPECT_FALSE(present(kvp / "channels" / "4" / "monitor_id"));
  EXPECT_FALSE(present(kvp / "channels" / "4" / "latency"));
  EXPECT_TRUE(present(kvp / "channels" / "4" / "interrupts"));
  EXPECT_TRUE(present(device_dir("eth0") / "channels" / "16" / "monitor_id"));
}

TEST_F(SysfsTreeTest, ChannelAttributes) {
  const stdfs::path ch = device_dir("echo") / "channels" / "40";
  EXPECT_EQ(read_text(ch / "subchannel_id"), "0\n");
  EXPECT_EQ(read_text(ch / "monitor_id"), "40\n");
  EXPECT_EQ(read_text(ch / "cpu"), "0\n");
  for (const char* f : {"in_mask", "out_mask", "read_avail", "write_avail", "interrupts", "events", "intr_in_full",
                        "intr_out_empty", "out_full_first", "out_full_total", "pending", "latency"}) {
    EXPECT_TRUE(present(ch / f)) << f;
  }
  // The primary's ring file comes with subchannel support.
  EXPECT_FALSE(present(ch / "ring"));
  EXPECT_FALSE(present(device_dir("echo") / "driver"));
  EXPECT_EQ(read_text(device_dir("echo") / "state"), "0\n");
}

TEST_F(SysfsTreeTest, DriversHaveTheirWriteOnlyFiles) {
  for (const char* driver : {"uio_hv_generic", "hv_netvsc", "hv_utils"}) {
    for (const char* f : {"bind", "unbind", "new_id", "remove_id"}) {
      const auto p = paths().driver_dir(driver) / f;
      ASSERT_TRUE(present(p)) << p;
      EXPECT_EQ(stdfs::status(p).permissions(), stdfs::perms::owner_write) << p;
    }
  }
  EXPECT_TRUE(stdfs::is_directory(paths().class_uio));
  EXPECT_TRUE(stdfs::is_directory(paths().dev));
  EXPECT_TRUE(present(paths().control_socket));
}

TEST_F(SysfsTreeTest, UioMapsUseTheKernelFormats) {
  write_text(paths().driver_dir("uio_hv_generic") / "new_id", "f8615163-df3e-46c5-913f-f2d2f965ed0e\n");
  write_text(paths().driver_dir("hv_netvsc") / "unbind", instance("eth0"));
  write_text(paths().driver_dir("uio_hv_generic") / "bind", instance("eth0"));
  ASSERT_TRUE(wait_for([&] { return sim().device("eth0").uio.has_value(); })) << log_.all();
  const unsigned n = *sim().device("eth0").uio;
  const stdfs::path uio = device_dir("eth0") / "uio" / ("uio" + std::to_string(n));
  // uio.c: name "%s\n", size and addr "%pa\n" (0x + 16 hex digits), offset "0x%llx\n".
  EXPECT_EQ(read_text(uio / "name"), "uio_hv_generic\n");
  EXPECT_EQ(read_text(uio / "maps" / "map0" / "name"), "txrx_rings\n");
  EXPECT_EQ(read_text(uio / "maps" / "map0" / "size"), "0x0000000000402000\n");  // 2 x (2 MiB + 4 KiB)
  EXPECT_EQ(read_text(uio / "maps" / "map0" / "offset"), "0x0\n");
  EXPECT_EQ(read_text(uio / "maps" / "map1" / "name"), "int_page\n");
  EXPECT_EQ(read_text(uio / "maps" / "map1" / "size"), "0x0000000000001000\n");
  EXPECT_EQ(read_text(uio / "maps" / "map2" / "name"), "monitor_page\n");
  EXPECT_EQ(read_text(uio / "maps" / "map3" / "size"), "0x0000000001f00000\n");  // 31 MiB
  EXPECT_EQ(read_text(uio / "maps" / "map4" / "size"), "0x0000000001000000\n");  // 16 MiB
  // GPADL handles count up from the kernel's 0xE1E10, printed in decimal.
  EXPECT_EQ(read_text(uio / "maps" / "map3" / "name"), "recv:925201\n");
  EXPECT_EQ(read_text(uio / "maps" / "map4" / "name"), "send:925202\n");
  const std::string addr = read_text(uio / "maps" / "map0" / "addr");
  EXPECT_EQ(addr.size(), 19u);
  EXPECT_EQ(addr.substr(0, 2), "0x");
  EXPECT_EQ(stdfs::canonical(paths().class_uio / ("uio" + std::to_string(n))), stdfs::canonical(uio));
  EXPECT_EQ(stdfs::canonical(uio / "device"), stdfs::canonical(device_dir("eth0")));
  EXPECT_EQ(stdfs::status(paths().uio_node(n)).type(), stdfs::file_type::socket);
}

TEST_F(SysfsTreeTest, StopRemovesEverythingItMade) {
  const stdfs::path root = paths().root;
  sim().stop();
  EXPECT_TRUE(stdfs::is_empty(root)) << "left behind: " << stdfs::directory_iterator(root)->path();
  // A second start on the same root works.
  start(default_config());
  EXPECT_TRUE(present(device_dir("echo")));
}

TEST_F(SysfsTreeTest, RefusesARootInUseOrNotItsOwn) {
  Simulator second({.root = paths().root, .config = default_config(), .log = log_.logger()});
  try {
    second.start();
    FAIL() << "a second hvsim on the same root must be refused";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("another hvsim is running"), std::string::npos) << e.what();
  }
  TempRoot other;
  stdfs::create_directory(other.path() / "sys");
  Simulator third({.root = other.path(), .config = default_config(), .log = log_.logger()});
  try {
    third.start();
    FAIL() << "a root with a foreign sys/ must be refused";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("was not made by hvsim"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(present(other.path() / "sys"));
}

TEST_F(SysfsTreeTest, HvsimCountersMirrorTheChannels) {
  const stdfs::path stats = paths().stats_dir(sim().device("echo").spec.instance) / "channels" / "40";
  EXPECT_EQ(read_text(stats / "state"), "closed\n");
  EXPECT_EQ(read_text(stats / "signals_unnecessary"), "0\n");
  EXPECT_EQ(read_text(paths().stats_dir(sim().device("echo").spec.instance) / "name"), "echo\n");
}

}  // namespace
}  // namespace hvsim::test
