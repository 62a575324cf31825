// Claim and release against FakeDriverCore (a test fake of the kernel's
// driver core that acts a little late, as hvsim does): the writes follow
// the kernel's documented sequence, the previous driver and driver_override
// come back, failures are undone and name what did not happen.
#include "vmbus/device/claim.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "device_test_util.h"
#include "fake_driver_core.h"
#include "fake_sysfs.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/device/discovery.h"

namespace {

namespace fs = std::filesystem;
using vmbus::DeviceOwner;
using vmbus::Guid;
using namespace vmbus::test;
using Ops = std::vector<std::string>;

std::string op(const std::string& what, const char* driver, const char* arg) {
  return what + " " + driver + " " + arg;
}

class DeviceClaim : public testing::Test {
 protected:
  vmbus::DeviceInfo describe(const char* instance) {
    return vmbus::describe_device(sys_.root(), guid(instance));
  }

  FakeSysfs sys_;
};

TEST_F(DeviceClaim, BindsThroughDriverOverrideAndRestoresEverything) {
  const fs::path nic = sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
  FakeDriverCore core(sys_);
  vmbus::Claim claim = vmbus::claim_device(sys_.root(), guid(kNic1));

  EXPECT_TRUE(claim.active());
  EXPECT_EQ(core.settled_operations(),
            (Ops{op("unbind", "hv_netvsc", kNic1), op("bind", "uio_hv_generic", kNic1)}));
  EXPECT_EQ(read_file(nic / "driver_override"), "uio_hv_generic");
  EXPECT_EQ(read_file(sys_.driver_dir("uio_hv_generic") / "new_id"), "") << "no new_id when override works";
  const vmbus::DeviceInfo& d = claim.device();
  EXPECT_EQ(d.owner, DeviceOwner::uio_hv_generic);
  EXPECT_EQ(d.uio_name, "uio0");
  EXPECT_EQ(d.uio_node, sys_.uio_node(0));
  EXPECT_EQ(d.maps.size(), 5u);
  EXPECT_EQ(claim.record().previous_driver, "hv_netvsc");
  EXPECT_EQ(claim.record().previous_driver_override, "");
  EXPECT_FALSE(claim.record().added_new_id);

  claim.release();
  EXPECT_FALSE(claim.active());
  EXPECT_EQ(core.settled_operations(),
            (Ops{op("unbind", "hv_netvsc", kNic1), op("bind", "uio_hv_generic", kNic1),
                 op("unbind", "uio_hv_generic", kNic1), op("bind", "hv_netvsc", kNic1)}));
  const vmbus::DeviceInfo after = describe(kNic1);
  EXPECT_EQ(after.owner, DeviceOwner::kernel_driver);
  EXPECT_EQ(after.driver, "hv_netvsc");
  EXPECT_EQ(after.driver_override, "");  // "\n" written: cleared
  EXPECT_FALSE(fs::exists(nic / "uio"));
  EXPECT_FALSE(fs::exists(sys_.uio_node(0)));
}

TEST_F(DeviceClaim, RestoresAPreviousOverride) {
  const fs::path nic = sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
  write_file(nic / "driver_override", "hv_netvsc\n");
  FakeDriverCore core(sys_);
  vmbus::claim_device(sys_.root(), guid(kNic1)).release();
  EXPECT_EQ(read_file(nic / "driver_override"), "hv_netvsc");
  EXPECT_EQ(describe(kNic1).driver, "hv_netvsc");
}

TEST_F(DeviceClaim, UsesNewIdWithoutDriverOverride) {
  sys_.add_device(
      {.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc", .has_driver_override = false});
  FakeDriverCore core(sys_);
  {
    vmbus::Claim claim = vmbus::claim_device(sys_.root(), guid(kNic1));
    EXPECT_TRUE(claim.record().added_new_id);
    EXPECT_FALSE(claim.record().previous_driver_override);
    EXPECT_EQ(claim.device().owner, DeviceOwner::uio_hv_generic);
  }  // the destructor releases
  EXPECT_EQ(core.settled_operations(),
            (Ops{op("new_id", "uio_hv_generic", kNicClass), op("unbind", "hv_netvsc", kNic1),
                 op("bind", "uio_hv_generic", kNic1), op("unbind", "uio_hv_generic", kNic1),
                 op("remove_id", "uio_hv_generic", kNicClass), op("bind", "hv_netvsc", kNic1)}));
  EXPECT_EQ(describe(kNic1).driver, "hv_netvsc");
}

TEST_F(DeviceClaim, AcceptsTheBindThatNewIdAlreadyMade) {
  // An unbound device: new_id_store -> driver_attach binds it at once, and a
  // bind written after that would fail with EBUSY.
  sys_.add_device({.instance = kKvp1, .class_id = kKvpClass, .driver = "", .has_driver_override = false});
  FakeDriverCore core(sys_);
  vmbus::Claim claim = vmbus::claim_device(sys_.root(), guid(kKvp1));
  EXPECT_EQ(claim.device().maps.size(), 3u);
  EXPECT_EQ(claim.record().previous_driver, "");
  claim.release();
  // The fake attaches late, as hvsim would, so the claim's bind usually
  // arrives after all and is refused (bind_store's EBUSY): not asserted.
  Ops ops = core.settled_operations();
  std::erase(ops, op("refused bind", "uio_hv_generic", kKvp1));
  EXPECT_EQ(ops, (Ops{op("new_id", "uio_hv_generic", kKvpClass), op("attach", "uio_hv_generic", kKvp1),
                      op("unbind", "uio_hv_generic", kKvp1), op("remove_id", "uio_hv_generic", kKvpClass)}));
  EXPECT_EQ(describe(kKvp1).owner, DeviceOwner::none);
}

TEST_F(DeviceClaim, ClaimingAnUnboundDeviceLeavesItUnboundOnRelease) {
  sys_.add_device({.instance = kKvp1, .class_id = kKvpClass, .driver = ""});
  FakeDriverCore core(sys_);
  vmbus::claim_device(sys_.root(), guid(kKvp1)).release();
  EXPECT_EQ(core.settled_operations(),
            (Ops{op("bind", "uio_hv_generic", kKvp1), op("unbind", "uio_hv_generic", kKvp1)}));
  EXPECT_EQ(describe(kKvp1).owner, DeviceOwner::none);
}

TEST_F(DeviceClaim, AlreadyBoundIsANoOpClaim) {
  const fs::path nic =
      sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "uio_hv_generic"});
  sys_.add_uio(nic, 0, nic_maps());
  FakeDriverCore core(sys_);
  {
    vmbus::Claim claim = vmbus::claim_device(sys_.root(), guid(kNic1));
    EXPECT_FALSE(claim.active());
    EXPECT_FALSE(claim.record().owns_binding);
    EXPECT_EQ(claim.device().uio_name, "uio0");
    claim.release();  // nothing to do
  }
  EXPECT_TRUE(core.settled_operations().empty());
  EXPECT_EQ(describe(kNic1).owner, DeviceOwner::uio_hv_generic);
}

TEST_F(DeviceClaim, KeepLeavesTheDeviceBoundAndTheRecordReleasesItLater) {
  sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
  FakeDriverCore core(sys_);
  vmbus::ClaimRecord record;
  {
    vmbus::Claim claim = vmbus::claim_device(sys_.root(), guid(kNic1));
    record = claim.record();
    claim.keep();
  }
  EXPECT_EQ(describe(kNic1).owner, DeviceOwner::uio_hv_generic);
  vmbus::release_device(sys_.root(), record);  // e.g. vmbusd, after a restart
  EXPECT_EQ(describe(kNic1).driver, "hv_netvsc");
}

TEST_F(DeviceClaim, MovingAClaimMovesTheDutyToRelease) {
  sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
  sys_.add_device({.instance = kNic2, .class_id = kNicClass, .relid = 15, .driver = "hv_netvsc"});
  FakeDriverCore core(sys_);
  vmbus::Claim outer;
  EXPECT_FALSE(outer.active());
  {
    vmbus::Claim inner = vmbus::claim_device(sys_.root(), guid(kNic1));
    outer = std::move(inner);
    EXPECT_FALSE(inner.active());  // NOLINT(bugprone-use-after-move): moved-from is inactive
  }
  EXPECT_EQ(describe(kNic1).owner, DeviceOwner::uio_hv_generic);
  // kNic2 is claimed while kNic1 still holds uio0; the assignment then releases kNic1.
  outer = vmbus::claim_device(sys_.root(), guid(kNic2));
  EXPECT_EQ(describe(kNic1).driver, "hv_netvsc");
  EXPECT_EQ(describe(kNic2).owner, DeviceOwner::uio_hv_generic);
  EXPECT_EQ(describe(kNic2).uio_name, "uio1");
  outer.release();
  EXPECT_EQ(describe(kNic2).driver, "hv_netvsc");
}

TEST_F(DeviceClaim, TimeoutNamesWhatDidNotAppearAndUndoesTheClaim) {
  const fs::path nic = sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
  FakeDriverCore core(sys_, {.refuse_uio_bind = true});
  const std::string message = error_of([&] {
    (void)vmbus::claim_device(sys_.root(), guid(kNic1), {.timeout = std::chrono::milliseconds(200)});
  });
  EXPECT_NE(message.find("cannot claim " + std::string(kNic1)), std::string::npos) << message;
  EXPECT_NE(message.find("timed out after 200 ms after binding"), std::string::npos) << message;
  EXPECT_NE(message.find((nic / "driver").string() + " to point at uio_hv_generic"), std::string::npos)
      << message;
  // Undone: back on hv_netvsc, override cleared.
  const vmbus::DeviceInfo after = describe(kNic1);
  EXPECT_EQ(after.driver, "hv_netvsc");
  EXPECT_EQ(after.driver_override, "");
}

TEST_F(DeviceClaim, MissingUioNodeTimesOutNamingIt) {
  sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
  FakeDriverCore core(sys_, {.create_node = false});
  const std::string message = error_of([&] {
    (void)vmbus::claim_device(sys_.root(), guid(kNic1), {.timeout = std::chrono::milliseconds(200)});
  });
  EXPECT_NE(message.find(sys_.uio_node(0).string() + ": missing; expected the device node"),
            std::string::npos)
      << message;
  EXPECT_EQ(describe(kNic1).driver, "hv_netvsc");
}

TEST_F(DeviceClaim, MissingDeviceOrDriverSaysWhatToDo) {
  sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
  EXPECT_EQ(error_of([&] { (void)vmbus::claim_device(sys_.root(), guid(kNic2)); }),
            "no VMBus device " + std::string(kNic2) + " under " + sys_.devices_dir().string());
  fs::remove_all(sys_.driver_dir("uio_hv_generic"));
  const std::string message = error_of([&] { (void)vmbus::claim_device(sys_.root(), guid(kNic1)); });
  EXPECT_NE(message.find("modprobe uio_hv_generic"), std::string::npos) << message;
  EXPECT_NE(message.find(sys_.driver_dir("uio_hv_generic").string()), std::string::npos) << message;
  EXPECT_EQ(read_file(sys_.devices_dir() / kNic1 / "driver_override"), "(null)\n") << "nothing was touched";
}

TEST_F(DeviceClaim, AFailedWriteNamesTheFileAndIsUndone) {
  // As root a 0444 bind file is still writable, so make the write fail another way.
  const fs::path nic = sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
  const fs::path bind = sys_.driver_dir("uio_hv_generic") / "bind";
  fs::remove(bind);
  fs::create_directory(bind);
  FakeDriverCore core(sys_);
  const std::string message = error_of([&] { (void)vmbus::claim_device(sys_.root(), guid(kNic1)); });
  EXPECT_NE(message.find(bind.string() + ": cannot write \"" + kNic1 + "\""), std::string::npos) << message;
  EXPECT_EQ(describe(kNic1).driver, "hv_netvsc");
  EXPECT_EQ(read_file(nic / "driver_override"), "\n");
}

TEST_F(DeviceClaim, ReleaseOfARescindedDeviceIsQuiet) {
  sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
  FakeDriverCore core(sys_);
  vmbus::Claim claim = vmbus::claim_device(sys_.root(), guid(kNic1));
  fs::remove(sys_.devices_dir() / kNic1);  // vmbus_device_unregister
  EXPECT_NO_THROW(claim.release());
}

TEST_F(DeviceClaim, ReleaseReportsEveryStepThatFailed) {
  const fs::path nic = sys_.add_device({.instance = kNic1, .class_id = kNicClass, .driver = "hv_netvsc"});
  FakeDriverCore core(sys_);
  vmbus::Claim claim = vmbus::claim_device(sys_.root(), guid(kNic1));
  fs::remove_all(sys_.driver_dir("hv_netvsc"));  // rmmod hv_netvsc meanwhile
  const std::string message = error_of([&] { claim.release(); });
  EXPECT_NE(message.find("releasing " + std::string(kNic1) + " did not fully restore it"), std::string::npos)
      << message;
  EXPECT_NE(message.find((sys_.driver_dir("hv_netvsc") / "bind").string() + ": cannot write"),
            std::string::npos)
      << message;
  EXPECT_FALSE(claim.active());
  EXPECT_EQ(describe(kNic1).owner, DeviceOwner::none);  // unbound from uio all the same
  EXPECT_EQ(read_file(nic / "driver_override"), "\n");
}

}  // namespace
