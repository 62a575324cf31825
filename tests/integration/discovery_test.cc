// Discovery against hvsim: what vmbus::discover() finds under <root>/sys is
// what hvsim says it offered (`hvsim ctl list --json`).
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "hvsim_process.h"
#include "vmbus/device/discovery.h"

namespace vmbus_it {
namespace {

using Entry = std::tuple<std::string, std::string, std::string, std::uint32_t, bool>;  // instance, class_id, name, relid, monitored

TEST(Discovery, MatchesTheOffers) {
  HvsimProcess sim;
  const nlohmann::json list = sim.ctl({"list"});

  std::set<Entry> offered;
  for (const nlohmann::json& d : list.at("devices")) {
    offered.emplace(d.at("instance").get<std::string>(), d.at("class_id").get<std::string>(), d.at("class").get<std::string>(),
                    d.at("relid").get<std::uint32_t>(), !d.at("monitor_id").is_null());
  }
  ASSERT_FALSE(offered.empty());

  const vmbus::DeviceScan scan = vmbus::scan(sim.sysfs());
  for (const vmbus::DeviceProblem& p : scan.problems) ADD_FAILURE() << p.sysfs_dir << ": " << p.message;
  std::set<Entry> discovered;
  for (const vmbus::DeviceInfo& d : scan.devices) {
    discovered.emplace(d.instance.str(), d.class_id.str(), d.class_name, d.relid, d.monitor_id.has_value());
  }
  EXPECT_EQ(discovered, offered);

  // The monitor ids themselves agree too.
  for (const vmbus::DeviceInfo& d : scan.devices) {
    const nlohmann::json j = sim.device(d.instance.str());
    if (d.monitor_id) {
      EXPECT_EQ(j.at("monitor_id").get<unsigned>(), *d.monitor_id) << d.instance.str();
    }
  }
}

}  // namespace
}  // namespace vmbus_it
