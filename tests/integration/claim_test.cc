// Claim and release against hvsim: the device moves to uio_hv_generic with a
// uio node, and back to exactly what it had before.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "hvsim_process.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/discovery.h"

namespace vmbus_it {
namespace {

vmbus::Guid instance_of(const HvsimProcess& sim, const std::string& name) {
  return vmbus::Guid::parse(sim.device(name).at("instance").get<std::string>()).value();
}

TEST(Claim, EchoRoundTrip) {
  HvsimProcess sim;
  const vmbus::SysfsRoot root = sim.sysfs();
  const vmbus::Guid echo = instance_of(sim, "echo");

  vmbus::DeviceInfo before = vmbus::describe_device(root, echo);
  EXPECT_EQ(before.owner, vmbus::DeviceOwner::none);
  EXPECT_TRUE(before.driver.empty());

  vmbus::Claim claim = vmbus::claim_device(root, echo);
  ASSERT_TRUE(claim.active());
  EXPECT_EQ(claim.device().owner, vmbus::DeviceOwner::uio_hv_generic);
  EXPECT_EQ(claim.device().driver, "uio_hv_generic");
  ASSERT_FALSE(claim.device().uio_name.empty());
  EXPECT_TRUE(std::filesystem::exists(claim.device().uio_node)) << claim.device().uio_node;
  EXPECT_GE(claim.device().maps.size(), 3u);
  EXPECT_TRUE(claim.record().owns_binding);
  EXPECT_EQ(claim.record().previous_driver, "");

  nlohmann::json j = sim.device("echo");
  EXPECT_EQ(j.at("driver"), "uio_hv_generic");
  EXPECT_EQ(j.at("uio"), claim.device().uio_name);
  const vmbus::DeviceInfo during = vmbus::describe_device(root, echo);
  EXPECT_EQ(during.owner, vmbus::DeviceOwner::uio_hv_generic);
  EXPECT_EQ(during.uio_name, claim.device().uio_name);

  const std::filesystem::path node = claim.device().uio_node;
  claim.release();
  EXPECT_FALSE(claim.active());

  const vmbus::DeviceInfo after = vmbus::describe_device(root, echo);
  EXPECT_EQ(after.owner, vmbus::DeviceOwner::none);
  EXPECT_TRUE(after.driver.empty());
  EXPECT_TRUE(after.uio_name.empty());
  EXPECT_TRUE(after.driver_override.empty()) << after.driver_override;
  EXPECT_FALSE(std::filesystem::exists(node)) << node;
  j = sim.device("echo");
  EXPECT_TRUE(j.at("driver").is_null()) << j.dump();
  EXPECT_TRUE(j.at("uio").is_null()) << j.dump();
}

TEST(Claim, NicGoesBackToNetvsc) {
  HvsimProcess sim;
  const vmbus::SysfsRoot root = sim.sysfs();
  const vmbus::Guid eth0 = instance_of(sim, "eth0");

  const vmbus::DeviceInfo before = vmbus::describe_device(root, eth0);
  EXPECT_EQ(before.owner, vmbus::DeviceOwner::kernel_driver);
  EXPECT_EQ(before.driver, "hv_netvsc");

  {
    vmbus::Claim claim = vmbus::claim_device(root, eth0);
    EXPECT_EQ(claim.device().owner, vmbus::DeviceOwner::uio_hv_generic);
    EXPECT_TRUE(std::filesystem::exists(claim.device().uio_node)) << claim.device().uio_node;
    EXPECT_EQ(claim.record().previous_driver, "hv_netvsc");
    EXPECT_EQ(sim.device("eth0").at("driver"), "uio_hv_generic");
    claim.release();
  }

  const vmbus::DeviceInfo after = vmbus::describe_device(root, eth0);
  EXPECT_EQ(after.owner, vmbus::DeviceOwner::kernel_driver);
  EXPECT_EQ(after.driver, "hv_netvsc");
  EXPECT_TRUE(after.uio_name.empty());
  EXPECT_EQ(sim.device("eth0").at("driver"), "hv_netvsc");
}

}  // namespace
}  // namespace vmbus_it
