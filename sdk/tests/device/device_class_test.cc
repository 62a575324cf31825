// The class table: every class of include/linux/hyperv.h once, names a user
// can type, lookups both ways.
#include "vmbus/device/device_class.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "device_test_util.h"

namespace {

using vmbus::Guid;
using vmbus::test::guid;

TEST(DeviceClass, HoldsEveryKnownClassOnce) {
  // The GUIDs of reference/uio-hv-generic.md ("Device class GUIDs"), typed again.
  const std::set<std::string> expected = {
      "f8615163-df3e-46c5-913f-f2d2f965ed0e", "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f",
      "32412632-86cb-44a2-9b5c-50d1417354f5", "2f9bcc4a-0069-4af3-b76b-6fd0be528cda",
      "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6", "57164f39-9115-4e78-ab55-382f3bd5422d",
      "0e0b6031-5213-4934-818b-38d90ced39db", "9527e630-d0ae-497b-adce-e80ab0175caf",
      "35fa2e29-ea23-4236-96ae-3a6ebacba440", "34d14be3-dee4-41c8-9ae7-6b174977c192",
      "525074dc-8985-46e2-8057-a307dc18a502", "da0a7802-e377-4aac-8e77-0558eb1073f8",
      "f912ad6d-2b17-48ea-bd65-f927a61c7684", "cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a",
      "8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501", "44c4f61d-4444-4400-9d52-802e27ede19f",
      // hvsim's echo test class (not a kernel class).
      "3a7e8c1d-2f4b-4e6a-9c5d-6876736d6563",
  };
  std::set<std::string> guids;
  std::set<std::string> names;
  for (const vmbus::DeviceClass& c : vmbus::known_device_classes()) {
    guids.insert(c.guid.str());
    EXPECT_TRUE(names.insert(std::string(c.name)).second) << c.name;
    if (c.kernel_name != c.name) {
      EXPECT_TRUE(names.insert(std::string(c.kernel_name)).second) << c.kernel_name;
    }
    EXPECT_FALSE(c.description.empty()) << c.name;
  }
  EXPECT_EQ(guids, expected);
  EXPECT_EQ(vmbus::known_device_classes().size(), expected.size());
}

TEST(DeviceClass, NamedConstantsMatchTheTable) {
  EXPECT_EQ(vmbus::class_name(vmbus::kNicClassGuid), "network");
  EXPECT_EQ(vmbus::class_name(vmbus::kKvpClassGuid), "kvp");
  EXPECT_EQ(vmbus::class_name(vmbus::kEchoClassGuid), "echo");
}

TEST(DeviceClass, NamesClassGuids) {
  EXPECT_EQ(vmbus::class_name(guid("f8615163-df3e-46c5-913f-f2d2f965ed0e")), "network");
  EXPECT_EQ(vmbus::class_name(guid("a9a0f4e7-5a45-4d96-b827-8a841e8c03e6")), "kvp");
  EXPECT_EQ(vmbus::class_name(guid("34d14be3-dee4-41c8-9ae7-6b174977c192")), "fcopy");
  EXPECT_EQ(vmbus::class_name(guid("44c4f61d-4444-4400-9d52-802e27ede19f")), "pcie");
  EXPECT_EQ(vmbus::class_name(guid("00000000-1111-2222-3333-444444444444")), "unknown");
  EXPECT_EQ(vmbus::class_name(Guid()), "unknown");
  EXPECT_EQ(vmbus::find_device_class(Guid()), nullptr);
}

TEST(DeviceClass, FindsClassesByNameKernelNameOrGuid) {
  const Guid nic = guid("f8615163-df3e-46c5-913f-f2d2f965ed0e");
  EXPECT_EQ(vmbus::find_class_guid("network"), nic);
  EXPECT_EQ(vmbus::find_class_guid("Network"), nic);
  EXPECT_EQ(vmbus::find_class_guid("nic"), nic);  // HV_NIC
  EXPECT_EQ(vmbus::find_class_guid("NIC"), nic);
  EXPECT_EQ(vmbus::find_class_guid("f8615163-df3e-46c5-913f-f2d2f965ed0e"), nic);
  EXPECT_EQ(vmbus::find_class_guid("{F8615163-DF3E-46C5-913F-F2D2F965ED0E}"), nic);
  EXPECT_EQ(vmbus::find_class_guid("kvp"), guid("a9a0f4e7-5a45-4d96-b827-8a841e8c03e6"));
  EXPECT_EQ(vmbus::find_class_guid("dm"), vmbus::find_class_guid("balloon"));  // HV_DM
  EXPECT_EQ(vmbus::find_class_guid("backup"), vmbus::find_class_guid("vss"));  // HV_BACKUP
  // A GUID no table knows is still a class a user may name.
  EXPECT_EQ(vmbus::find_class_guid("00000000-1111-2222-3333-444444444444"),
            guid("00000000-1111-2222-3333-444444444444"));
  EXPECT_FALSE(vmbus::find_class_guid("netw"));
  EXPECT_FALSE(vmbus::find_class_guid(""));
  EXPECT_FALSE(vmbus::find_class_guid("network "));
}

TEST(DeviceClass, ListsNamesForMessages) {
  const std::string names = vmbus::known_class_names();
  EXPECT_EQ(names.rfind("network, scsi, ", 0), 0u) << names;
  EXPECT_NE(names.find("kvp"), std::string::npos);
  EXPECT_NE(names.find("pcie"), std::string::npos);
}

}  // namespace
