// hvsim's GUID extras (modalias, random instances), the class table, and config parsing/resolution
// with errors that name what was wrong.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hvsim/config.h"
#include "hvsim/device_class.h"
#include "hvsim/guid.h"

namespace hvsim {
namespace {

using nlohmann::json;

TEST(Guid, ModaliasIsTheGuidTInMemoryOrder) {
  // The kernel's modalias for a NIC: vmbus:%*phN of the guid_t bytes.
  EXPECT_EQ(modalias_hex(kNicClassGuid), "635161f83edfc546913ff2d2f965ed0e");
}

TEST(Guid, RandomIsVersion4AndDistinct) {
  const Guid a = random_guid(), b = random_guid();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.str()[14], '4');                                       // version 4
  EXPECT_NE(std::string("89ab").find(a.str()[19]), std::string::npos);  // RFC 4122 variant
}

TEST(DeviceClass, TakesNamesAndGuidsFromTheSdkTable) {
  EXPECT_EQ(find_class("network")->guid(), kNicClassGuid);
  EXPECT_EQ(find_class("echo")->guid(), kEchoClassGuid);
  EXPECT_EQ(&class_of(kEchoClassGuid), find_class("echo"));
  EXPECT_TRUE(unknown_class().guid().is_nil());
  for (const DeviceClass& c : known_classes()) EXPECT_FALSE(c.guid().is_nil()) << c.name;
}

TEST(DeviceClass, RingSizesFollowTheKernel) {
  // VMBUS_RING_SIZE(SZ_2M) for a NIC; pref_ring_size 0x4000 for fcopy and
  // 0x11000 for classes the kernel does not know (echo).
  EXPECT_EQ(kernel_ring_size(*find_class("network")), (2u << 20) + 4096);
  EXPECT_EQ(kernel_ring_size(*find_class("kvp")), (2u << 20) + 4096);
  EXPECT_EQ(kernel_ring_size(*find_class("fcopy")), 0x5000u);
  EXPECT_EQ(kernel_ring_size(*find_class("echo")), 0x12000u);
  EXPECT_EQ(kernel_ring_size(unknown_class()), 0x12000u);
}

TEST(DeviceClass, FindsByNameOrGuid) {
  EXPECT_EQ(find_class("network"), find_class("F8615163-DF3E-46C5-913F-F2D2F965ED0E"));
  EXPECT_EQ(find_class("nonsense"), nullptr);
  EXPECT_EQ(&class_of(random_guid()), &unknown_class());
}

TEST(Config, DefaultModelsAnAzureVm) {
  const auto specs = resolve_all(default_config());
  ASSERT_EQ(specs.size(), 6u);
  auto by_name = [&](std::string_view n) {
    for (const auto& s : specs) if (s.name == n) return s;
    ADD_FAILURE() << "no " << n;
    return DeviceSpec{};
  };
  EXPECT_TRUE(by_name("eth0").monitor_id.has_value());
  EXPECT_EQ(by_name("eth0").driver, "hv_netvsc");
  EXPECT_EQ(by_name("eth0").ring_size, (2u << 20) + 4096);
  EXPECT_FALSE(by_name("kvp").monitor_id.has_value());
  EXPECT_EQ(by_name("kvp").driver, "hv_utils");
  for (const char* n : {"heartbeat", "shutdown", "timesync", "echo"}) EXPECT_EQ(by_name(n).driver, "none") << n;
  EXPECT_EQ(by_name("echo").class_id, kEchoClassGuid);
  EXPECT_EQ(by_name("echo").host, "echo");
}

TEST(Config, RoundTripsThroughJson) {
  const SimConfig c = default_config();
  const SimConfig back = parse_config(to_json(c), "test");
  EXPECT_EQ(to_json(back), to_json(c));
}

TEST(Config, ResolveFillsOpenValues) {
  std::vector<DeviceSpec> offered = resolve_all(default_config());
  DeviceSpec nic = resolve(device_from_class("network"), offered);
  EXPECT_EQ(nic.relid, 41u);            // one above the highest offered
  ASSERT_TRUE(nic.monitor_id);          // the class is monitored
  EXPECT_EQ(*nic.monitor_id, 0u);       // lowest free
  EXPECT_EQ(nic.name, "network");       // the class name while it is free
  EXPECT_FALSE(nic.instance.is_nil());
  DeviceSpec echo = resolve(device_from_class("echo"), offered);
  EXPECT_FALSE(echo.monitor_id);        // echo is not monitored unless asked
  EXPECT_EQ(echo.name, "echo41");       // "echo" is taken
}

std::string error_of(const json& j) {
  try {
    (void)parse_device(j, "devices[0]");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, ErrorsNameTheFieldAndTheProblem) {
  EXPECT_NE(error_of({{"relid", 3}}).find("\"class\" is missing"), std::string::npos);
  EXPECT_NE(error_of({{"class", "nic"}}).find("class: \"nic\" is neither a known class"), std::string::npos);
  EXPECT_NE(error_of({{"class", "echo"}, {"relid", -1}}).find("relid: expected a non-negative integer"), std::string::npos);
  EXPECT_NE(error_of({{"class", "echo"}, {"relid", 0}}).find("relid: 0 names no channel"), std::string::npos);
  EXPECT_NE(error_of({{"class", "echo"}, {"monitor_id", 128}}).find("monitor_id: 128 is above the maximum 127"), std::string::npos);
  EXPECT_NE(error_of({{"class", "echo"}, {"ring_size", 5000}}).find("ring_size: 5000 must be a multiple of 4096"), std::string::npos);
  EXPECT_NE(error_of({{"class", "echo"}, {"host", "nvsp"}}).find("host: \"nvsp\" is not a device host"), std::string::npos);
  EXPECT_NE(error_of({{"class", "echo"}, {"driver", "mlx5"}}).find("driver: \"mlx5\" is not one of"), std::string::npos);
  EXPECT_NE(error_of({{"class", "echo"}, {"instance", "xyz"}}).find("instance: \"xyz\" is not a GUID"), std::string::npos);
  EXPECT_NE(error_of({{"class", "echo"}, {"relids", 3}}).find("unknown key \"relids\""), std::string::npos);
  EXPECT_NE(error_of({{"name", "a b"}, {"class", "echo"}}).find("name: \"a b\""), std::string::npos);
  EXPECT_NE(error_of(json::array()).find("must be a JSON object"), std::string::npos);
}

TEST(Config, FileErrorsNameTheFile) {
  try {
    (void)load_config("/nonexistent/hvsim.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/hvsim.json"), std::string::npos);
  }
  try {
    (void)parse_config(json{{"devices", json::array({{{"class", "echo"}, {"relid", "x"}}})}}, "config c.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("config c.json: devices[0]: relid"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)parse_config(json{{"monitor_latency_us", 7000}, {"devices", json::array()}}, "c"), ConfigError);
  EXPECT_THROW((void)parse_config(json::object(), "c"), ConfigError);
}

TEST(Config, ResolveRefusesDuplicates) {
  const std::vector<DeviceSpec> offered = resolve_all(default_config());
  auto refused = [&](json j) {
    try {
      (void)resolve(parse_device(j, "x"), offered);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(refused({{"class", "echo"}, {"relid", 16}}).find("relid 16 is already used by \"eth0\""), std::string::npos);
  EXPECT_NE(refused({{"class", "echo"}, {"monitor_id", 3}}).find("monitor_id 3 is already used by \"eth0\""), std::string::npos);
  EXPECT_NE(refused({{"class", "echo"}, {"name", "kvp"}}).find("name \"kvp\" is already used"), std::string::npos);
  EXPECT_NE(refused({{"class", "echo"}, {"instance", "242ff919-07db-4180-9c2e-b86cb68c8c55"}}).find("is already offered"),
            std::string::npos);
}

}  // namespace
}  // namespace hvsim
