// Binding through the sysfs files, with the kernel's matching rules.
#include <gtest/gtest.h>

#include "sim_fixture.h"

namespace hvsim::test {
namespace {

class BindingTest : public SimFixture {};

TEST_F(BindingTest, DriverOverrideThenBindCreatesTheUioNode) {
  const unsigned n = bind_uio("echo");
  EXPECT_EQ(n, 0u);
  const stdfs::path dir = device_dir("echo");
  EXPECT_EQ(read_text(dir / "driver_override"), "uio_hv_generic\n");
  EXPECT_EQ(stdfs::read_symlink(dir / "driver"), "../../drivers/uio_hv_generic");
  EXPECT_TRUE(stdfs::is_directory(dir / "uio" / "uio0"));
  EXPECT_TRUE(present(paths().class_uio / "uio0"));
  EXPECT_EQ(stdfs::status(paths().uio_node(0)).type(), stdfs::file_type::socket);
  // The bind file is write-only: it reads empty again.
  EXPECT_TRUE(wait_for([&] { return read_text(paths().driver_dir("uio_hv_generic") / "bind").empty(); }));
  // echo is not a NIC: maps 0-2 only (uio_hv_generic: recv/send for HV_NIC only).
  EXPECT_TRUE(present(dir / "uio" / "uio0" / "maps" / "map2"));
  EXPECT_FALSE(present(dir / "uio" / "uio0" / "maps" / "map3"));
}

TEST_F(BindingTest, UnbindRemovesTheUioNode) {
  bind_uio("echo");
  write_text(paths().driver_dir("uio_hv_generic") / "unbind", instance("echo") + "\n");
  ASSERT_TRUE(wait_for([&] { return !sim().device("echo").uio.has_value(); })) << log_.all();
  EXPECT_FALSE(present(device_dir("echo") / "uio"));
  EXPECT_FALSE(present(device_dir("echo") / "driver"));
  EXPECT_FALSE(present(paths().class_uio / "uio0"));
  EXPECT_FALSE(present(paths().uio_node(0)));
  EXPECT_FALSE(present(paths().driver_dir("uio_hv_generic") / instance("echo")));
}

TEST_F(BindingTest, BindWithoutOverrideOrNewIdIsRefused) {
  // uio_hv_generic has no id table: the kernel's match fails (-ENODEV).
  write_text(paths().driver_dir("uio_hv_generic") / "bind", instance("echo"));
  ASSERT_TRUE(wait_for([&] { return log_.contains("does not match"); })) << log_.all();
  EXPECT_FALSE(sim().device("echo").uio.has_value());
  EXPECT_TRUE(log_.contains("uio_hv_generic/bind refused"));
}

TEST_F(BindingTest, OverrideNamingAnotherDriverBlocksBinding) {
  write_text(device_dir("echo") / "driver_override", "hv_utils\n");
  ASSERT_TRUE(wait_for([&] { return sim().device("echo").driver_override == "hv_utils"; }));
  write_text(paths().driver_dir("uio_hv_generic") / "new_id", kEchoClassGuid.str() + "\n");
  write_text(paths().driver_dir("uio_hv_generic") / "bind", instance("echo"));
  ASSERT_TRUE(wait_for([&] { return log_.contains("does not match"); })) << log_.all();
  EXPECT_FALSE(sim().device("echo").uio.has_value());
  // Clearing the override (a lone newline) lets new_id's match work.
  write_text(device_dir("echo") / "driver_override", "\n");
  ASSERT_TRUE(wait_for([&] { return read_text(device_dir("echo") / "driver_override") == "(null)\n"; }));
  write_text(paths().driver_dir("uio_hv_generic") / "bind", instance("echo"));
  EXPECT_TRUE(wait_for([&] { return sim().device("echo").uio.has_value(); })) << log_.all();
}

TEST_F(BindingTest, DpdkRecipeNewIdUnbindBind) {
  // doc/guides/nics/netvsc.rst: new_id, unbind from hv_netvsc, bind to uio_hv_generic.
  const std::string nic = instance("eth0");
  write_text(paths().driver_dir("uio_hv_generic") / "new_id", "f8615163-df3e-46c5-913f-f2d2f965ed0e");
  write_text(paths().driver_dir("hv_netvsc") / "unbind", nic);
  write_text(paths().driver_dir("uio_hv_generic") / "bind", nic);
  ASSERT_TRUE(wait_for([&] { return sim().device("eth0").uio.has_value(); })) << log_.all();
  EXPECT_EQ(sim().device("eth0").driver, "uio_hv_generic");
  EXPECT_FALSE(present(paths().driver_dir("hv_netvsc") / nic));
  EXPECT_TRUE(present(device_dir("eth0") / "uio" / "uio0" / "maps" / "map4"));
}

TEST_F(BindingTest, NewIdAttachesEveryUnboundMatch) {
  // driver_attach after new_id: the unbound echo device binds at once.
  write_text(paths().driver_dir("uio_hv_generic") / "new_id", kEchoClassGuid.str());
  ASSERT_TRUE(wait_for([&] { return sim().device("echo").uio.has_value(); })) << log_.all();
  // A second new_id of the same class is refused (EEXIST).
  write_text(paths().driver_dir("uio_hv_generic") / "new_id", kEchoClassGuid.str());
  EXPECT_TRUE(wait_for([&] { return log_.contains("already a dynamic id"); })) << log_.all();
}

TEST_F(BindingTest, BadWritesAreLoggedWithTheReason) {
  write_text(paths().driver_dir("uio_hv_generic") / "bind", "{" + instance("echo") + "}");
  EXPECT_TRUE(wait_for([&] { return log_.contains("no device named"); })) << log_.all();
  write_text(paths().driver_dir("uio_hv_generic") / "new_id", "not-a-guid");
  EXPECT_TRUE(wait_for([&] { return log_.contains("is not a class GUID"); })) << log_.all();
  write_text(paths().driver_dir("hv_netvsc") / "unbind", instance("echo"));
  EXPECT_TRUE(wait_for([&] { return log_.contains("is not bound to hv_netvsc"); })) << log_.all();
  write_text(paths().driver_dir("hv_netvsc") / "bind", instance("eth0"));
  EXPECT_TRUE(wait_for([&] { return log_.contains("already bound to hv_netvsc"); })) << log_.all();
}

TEST_F(BindingTest, UioNumbersAreTheLowestFree) {
  sim().bind("echo", "uio_hv_generic");
  sim().unbind("kvp");
  sim().bind("kvp", "uio_hv_generic");
  EXPECT_EQ(sim().device("echo").uio, 0u);
  EXPECT_EQ(sim().device("kvp").uio, 1u);
  sim().unbind("echo");
  sim().bind("heartbeat", "uio_hv_generic");
  EXPECT_EQ(sim().device("heartbeat").uio, 0u);
  // KVP is not a NIC: three maps.
  EXPECT_FALSE(present(device_dir("kvp") / "uio" / "uio1" / "maps" / "map3"));
}

TEST_F(BindingTest, ApiBindRefusesABoundDeviceAndUnknownDrivers) {
  EXPECT_THROW(sim().bind("eth0", "uio_hv_generic"), SimError);
  EXPECT_THROW(sim().bind("echo", "mlx5_core"), SimError);
  EXPECT_THROW(sim().bind("nosuch", "uio_hv_generic"), SimError);
}

}  // namespace
}  // namespace hvsim::test
