// Conformance, NVSP version negotiation: against a host whose newest NVSP
// version is 1, 2, 4, 5, 6 or 6.1 the port opens with exactly that version
// (and the NDIS version that goes with it), gets subchannels only from
// version 5, and moves traffic; a guest-side version list is honoured against
// a newer host, and a list the host accepts nothing of fails the open.
#include <gtest/gtest.h>

#include <ostream>

#include "flow_pump.h"
#include "nic_harness.h"
#include "traffic_checks.h"

namespace netvsc_ct {
namespace {

using netvsc::nvsp::Version;

struct VersionCase {
  const char* host_max;  // hvsim nic "max_version"
  Version expected;
  const char* name;
};

// gtest prints the parameter in test listings (and ctest's names): its name.
void PrintTo(const VersionCase& c, std::ostream* os) { *os << c.name; }

class NvspVersion : public ::testing::TestWithParam<VersionCase> {};

TEST_P(NvspVersion, OpensWithTheHostsNewestVersionAndMovesTraffic) {
  const VersionCase c = GetParam();
  NicSim sim({.nic = {{"max_version", c.host_max}}, .subchannels = 1});
  netvsc::PortConfig config;
  config.queues = 2;  // subchannels need NVSP 5
  netvsc::OpenedPort opened = sim.open(config);
  netvsc::Port& port = *opened.port;
  EXPECT_EQ(port.info().nvsp_version, c.expected);
  // SEND_NDIS_VER: NDIS 6.1 up to NVSP 4, 6.30 from NVSP 5 (netvsc_connect_vsp).
  const bool v5 = netvsc::nvsp::raw(c.expected) >= netvsc::nvsp::raw(Version::v5);
  EXPECT_EQ(port.info().ndis_version, v5 ? 0x0006001eu : 0x00060001u);
  EXPECT_EQ(port.queue_count(), v5 ? 2 : 1) << "subchannels exist from NVSP 5 on";
  EXPECT_EQ(port.info().mtu, 1500u);
  expect_traffic(opened, 3000);
}

INSTANTIATE_TEST_SUITE_P(HostMaximum, NvspVersion,
                         ::testing::Values(VersionCase{"1", Version::v1, "V1"}, VersionCase{"2", Version::v2, "V2"},
                                           VersionCase{"4", Version::v4, "V4"}, VersionCase{"5", Version::v5, "V5"},
                                           VersionCase{"6", Version::v6, "V6"},
                                           VersionCase{"6.1", Version::v61, "V61"}),
                         [](const ::testing::TestParamInfo<VersionCase>& i) { return std::string(i.param.name); });

TEST(NvspVersionList, TheGuestsListIsHonouredAgainstANewerHost) {
  NicSim sim;  // NVSP 6.1
  {
    netvsc::PortConfig config;
    config.versions = {Version::v4, Version::v2};
    netvsc::OpenedPort opened = sim.open(config);
    EXPECT_EQ(opened.port->info().nvsp_version, Version::v4);
    expect_traffic(opened, 1000);
  }
  {
    netvsc::PortConfig config;
    config.versions = {Version::v5};
    config.queues = 2;
    netvsc::OpenedPort opened = sim.open(config);
    EXPECT_EQ(opened.port->info().nvsp_version, Version::v5);
    EXPECT_EQ(opened.port->queue_count(), 2);
    expect_traffic(opened, 1000);
  }
}

TEST(NvspVersionList, AListTheHostAcceptsNothingOfFailsTheOpenNamingInit) {
  NicSim sim({.nic = {{"max_version", "4"}}});
  netvsc::PortConfig config;
  config.versions = {Version::v61, Version::v6, Version::v5};
  config.control_timeout = std::chrono::seconds(5);
  try {
    netvsc::OpenedPort opened = sim.open(config);
    FAIL() << "opened with NVSP " << netvsc::nvsp::raw(opened.port->info().nvsp_version);
  } catch (const netvsc::PortError& e) {
    EXPECT_NE(std::string(e.what()).find("NVSP INIT"), std::string::npos) << e.what();
  }
  // The device is usable afterwards with a version the host has.
  netvsc::OpenedPort opened = sim.open();
  EXPECT_EQ(opened.port->info().nvsp_version, Version::v4);
  expect_traffic(opened, 1000);
}

}  // namespace
}  // namespace netvsc_ct
