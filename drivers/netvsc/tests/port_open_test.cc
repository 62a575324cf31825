// Port::open against the scripted host: version negotiation, buffers,
// RNDIS set-up, queues, and what the host saw.
#include <gtest/gtest.h>

#include "port_fixture.h"

namespace netvsc::test {
namespace {

TEST(PortOpen, NegotiatesTheNewestVersionAndLearnsTheDevice) {
  OpenPort o = open_port();
  const PortInfo& i = o.port->info();
  EXPECT_EQ(i.nvsp_version, nvsp::Version::v61);
  EXPECT_EQ(o.host->versions_offered, std::vector<std::uint32_t>{0x60001});
  EXPECT_EQ(i.ndis_version, nvsp::kNdisVersion6_30);
  EXPECT_EQ(o.host->ndis_config_mtu, 1500u + 14);
  EXPECT_EQ(o.host->ndis_config_caps & nvsp::kCapRsc, 0u) << "RSC is never announced";
  EXPECT_NE(o.host->ndis_config_caps & nvsp::kCapIeee8021q, 0u);
  EXPECT_EQ(i.recv_section_size, 1728u);
  EXPECT_EQ(i.recv_section_count, (1u << 20) / 1728);
  EXPECT_EQ(i.send_section_size, 6144u);
  EXPECT_EQ(i.send_section_count, (1u << 20) / 6144);
  EXPECT_EQ(i.rndis_max_packets_per_message, 8u);
  EXPECT_EQ(i.rndis_alignment, 8u);
  EXPECT_EQ(i.tx_aggregation_packets, 8u);
  EXPECT_EQ(to_string(o.port->mac()), "00:15:5d:01:02:03");
  EXPECT_TRUE(i.tx_checksum && i.rx_checksum && i.lso_v4 && i.lso_v6);
  EXPECT_TRUE(o.host->offload_set);
  EXPECT_EQ(o.host->packet_filter, ndis::kPacketTypeDirected | ndis::kPacketTypeMulticast | ndis::kPacketTypeBroadcast);
  EXPECT_EQ(o.port->queue_count(), 1);
  EXPECT_FALSE(o.host->rss_set) << "one queue: no RSS";
  LinkState l = o.port->link();
  EXPECT_TRUE(l.up);
  EXPECT_EQ(l.speed_bps, 10'000'000'000ull);
  EXPECT_EQ(l.mtu, 1500u);
  close_port(o);
  EXPECT_TRUE(o.host->halted);
  EXPECT_TRUE(o.host->recv_revoked);
  EXPECT_TRUE(o.host->send_revoked);
}

// Each version in the allowed set, forced; the host accepts up to its own.
class PortOpenVersion : public ::testing::TestWithParam<nvsp::Version> {};

TEST_P(PortOpenVersion, OpensAtThatVersion) {
  PortConfig c;
  c.versions = {GetParam()};
  OpenPort o = open_port({}, c);
  EXPECT_EQ(o.port->info().nvsp_version, GetParam());
  EXPECT_EQ(o.port->info().ndis_version, nvsp::ndis_version_for(GetParam()));
  if (GetParam() == nvsp::Version::v1) {
    EXPECT_EQ(o.host->ndis_config_mtu, 0u) << "no NDIS config before v2";
  }
  close_port(o);
}

INSTANTIATE_TEST_SUITE_P(AllVersions, PortOpenVersion, ::testing::ValuesIn(nvsp::kVersionsNewestFirst));

TEST(PortOpen, FallsBackToAnOlderVersionTheHostAccepts) {
  HostOptions h;
  h.max_version = nvsp::raw(nvsp::Version::v4);
  OpenPort o = open_port(h);
  EXPECT_EQ(o.port->info().nvsp_version, nvsp::Version::v4);
  EXPECT_EQ(o.host->versions_offered, (std::vector<std::uint32_t>{0x60001, 0x60000, 0x50000, 0x40000}));
  EXPECT_EQ(o.port->info().ndis_version, nvsp::kNdisVersion6_1);
  close_port(o);
}

TEST(PortOpen, FailsWhenNoVersionIsAccepted) {
  HostOptions h;
  h.max_version = 1;
  EXPECT_THROW(open_port(h), PortError);
}

TEST(PortOpen, RefusesAReceiveBufferCompletionWithTwoSections) {
  HostOptions h;
  h.recv_num_sections = 2;
  try {
    open_port(h);
    FAIL() << "opened";
  } catch (const PortError& e) {
    EXPECT_NE(std::string(e.what()).find("SEND_RECV_BUF"), std::string::npos) << e.what();
  }
}

TEST(PortOpen, OpensSubchannelsAndSetsRss) {
  PortConfig c;
  c.queues = 4;
  OpenPort o = open_port({}, c);
  EXPECT_EQ(o.port->queue_count(), 4);
  EXPECT_EQ(o.host->subchannels_requested, 3u);
  EXPECT_TRUE(o.host->rss_set);
  ASSERT_EQ(o.host->rss_table.size(), 128u);
  for (std::uint32_t i = 0; i < 128; ++i) EXPECT_EQ(o.host->rss_table[i], i % 4);
  close_port(o);
}

TEST(PortOpen, QueuesAreBoundedByWhatTheHostGrants) {
  HostOptions h;
  h.subchannels_offered = 1;
  PortConfig c;
  c.queues = 4;
  OpenPort o = open_port(h, c);
  EXPECT_EQ(o.port->queue_count(), 2);
  EXPECT_EQ(o.port->info().subchannels_granted, 1u);
  close_port(o);

  HostOptions h2;
  h2.rss_queues = 3;
  OpenPort o2 = open_port(h2, c);
  EXPECT_EQ(o2.port->queue_count(), 3);
  close_port(o2);
}

TEST(PortOpen, NoSubchannelsBeforeVersion5) {
  PortConfig c;
  c.queues = 4;
  c.versions = {nvsp::Version::v4};
  OpenPort o = open_port({}, c);
  EXPECT_EQ(o.port->queue_count(), 1);
  EXPECT_EQ(o.host->subchannels_requested, 0u);
  close_port(o);
}

TEST(PortOpen, TimesOutWhenTheHostIsSilent) {
  FakeHost host;  // never started
  PortConfig c;
  c.control_timeout = std::chrono::milliseconds(50);
  try {
    Port::open(host.resources(), c);
    FAIL() << "opened";
  } catch (const PortError& e) {
    EXPECT_NE(std::string(e.what()).find("no reply"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace netvsc::test
