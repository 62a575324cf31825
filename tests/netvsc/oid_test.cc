// Conformance, RNDIS OIDs and what the port learns from them: each value
// hvsim's NIC is configured with (MTU, link speed, media state, MAC, RSS
// queues, offloads) shows up in PortInfo / link(), and the packet filter the
// port sets decides which frames the host delivers.
#include <gtest/gtest.h>

#include <cstring>

#include "flow_frames.h"
#include "nic_harness.h"

namespace netvsc_ct {
namespace {

namespace ndis = netvsc::ndis;

TEST(Oids, MaximumFrameSizeBecomesTheMtuInEffect) {
  // Host 9000 with 10 KiB receive sections; the guest asks for 9000, then less.
  NicSim sim({.nic = {{"mtu", 9000}, {"recv_section_size", 10240}}});
  {
    netvsc::PortConfig config;
    config.mtu = 9000;
    netvsc::OpenedPort opened = sim.open(config);
    const netvsc::PortInfo& info = opened.port->info();
    EXPECT_EQ(info.mtu, 9000u);
    EXPECT_EQ(opened.port->link().mtu, 9000u);
    EXPECT_EQ(info.recv_section_size, 10240u);
    EXPECT_EQ(info.recv_section_count, (31u << 20) / 10240u);
  }
  {
    netvsc::PortConfig config;
    config.mtu = 4000;
    netvsc::OpenedPort opened = sim.open(config);
    EXPECT_EQ(opened.port->info().mtu, 4000u) << "the guest's smaller MTU stands";
    EXPECT_EQ(opened.port->link().mtu, 9000u) << "the host's maximum frame size";
  }
}

TEST(Oids, AHostMaximumBelowTheGuestsMtuLowersIt) {
  NicSim sim({.nic = {{"mtu", 1500}}});
  netvsc::PortConfig config;
  config.mtu = 9000;
  netvsc::OpenedPort opened = sim.open(config);
  EXPECT_EQ(opened.port->info().mtu, 1500u);
  EXPECT_EQ(opened.port->link().mtu, 1500u);
  EXPECT_EQ(opened.port->info().recv_section_size, 1728u) << "Hyper-V's section size for a 1500 MTU";
}

TEST(Oids, LinkSpeedAndMediaStateAsConfigured) {
  {
    NicSim sim({.nic = {{"link_speed_mbps", 25000}}});
    netvsc::OpenedPort opened = sim.open();
    EXPECT_TRUE(opened.port->link().up);
    EXPECT_EQ(opened.port->link().speed_bps, 25'000'000'000u);
  }
  {
    NicSim sim({.nic = {{"link_speed_mbps", 400000}, {"link", "down"}}});
    netvsc::OpenedPort opened = sim.open();
    EXPECT_FALSE(opened.port->link().up) << "OID_GEN_MEDIA_CONNECT_STATUS says disconnected";
    EXPECT_EQ(opened.port->link().speed_bps, 400'000'000'000u);
    EXPECT_EQ(sim.nic_counters().at("link"), "down");
  }
}

TEST(Oids, PermanentAndCurrentMacAsConfigured) {
  NicSim sim({.nic = {{"mac", "00:0d:3a:12:34:56"}}});
  netvsc::OpenedPort opened = sim.open();
  const netvsc::MacAddress want{0x00, 0x0d, 0x3a, 0x12, 0x34, 0x56};
  EXPECT_EQ(opened.port->info().permanent_mac, want);
  EXPECT_EQ(opened.port->info().current_mac, want);
  EXPECT_EQ(opened.port->mac(), want);
  EXPECT_EQ(netvsc::to_string(opened.port->mac()), "00:0d:3a:12:34:56");
}

TEST(Oids, RndisInitializeLimitsAndBuffers) {
  NicSim sim;
  netvsc::OpenedPort opened = sim.open();
  const netvsc::PortInfo& info = opened.port->info();
  // hvsim answers INITIALIZE as OpenVMM's netvsp: 8 packets, 16 KiB, 8-byte alignment.
  EXPECT_EQ(info.rndis_max_packets_per_message, 8u);
  EXPECT_EQ(info.rndis_max_transfer_size, 0x4000u);
  EXPECT_EQ(info.rndis_alignment, 8u);
  EXPECT_EQ(info.tx_aggregation_packets, 8u);
  EXPECT_EQ(info.tx_aggregation_bytes, 6144u) << "a section, smaller than max_xfer_size";
  EXPECT_EQ(info.send_section_size, 6144u);
  EXPECT_EQ(info.send_section_count, (16u << 20) / 6144u);
  EXPECT_EQ(info.recv_section_size, 1728u);
}

TEST(Oids, OffloadsTheHostOffersAreEnabledAndTakeEffect) {
  NicSim sim;
  {
    netvsc::OpenedPort opened = sim.open();
    const netvsc::PortInfo& info = opened.port->info();
    // hvsim offers IPv4/IPv6 TCP and UDP checksums both ways and no LSO.
    EXPECT_TRUE(info.tx_checksum);
    EXPECT_TRUE(info.rx_checksum);
    EXPECT_FALSE(info.lso_v4);
    EXPECT_FALSE(info.lso_v6);
    EXPECT_EQ(info.lso_max_size, 0u);

    // A frame sent with checksum offload comes back with the host's verdict
    // (good); one without carries none.
    netvsc::Port& port = *opened.port;
    const std::vector<Flow> flows = make_flows(1, 1);
    std::vector<std::byte> a(200), b(200);
    build_frame(a, port.mac(), flows[0], 0);
    build_frame(b, port.mac(), flows[0], 1);
    netvsc::TxPacket tx[2];
    tx[0] = {.frame = a, .flags = netvsc::kTxIpv4 | netvsc::kTxIpChecksum | netvsc::kTxTcpChecksum, .l4_offset = 34};
    tx[1] = {.frame = b};
    ASSERT_EQ(port.tx_burst(0, tx, 2), 2);
    std::vector<std::byte> storage(2 * 2048);
    netvsc::RxPacket rx[2];
    rx[0].buffer = std::span(storage).first(2048);
    rx[1].buffer = std::span(storage).subspan(2048);
    std::uint16_t got = 0;
    ASSERT_TRUE(eventually([&] { return got == 2; }, [&] {
      got = static_cast<std::uint16_t>(got + port.rx_burst(0, rx + got, static_cast<std::uint16_t>(2 - got)));
    }));
    EXPECT_EQ(rx[0].flags & (netvsc::kRxIpChecksumGood | netvsc::kRxL4ChecksumGood),
              netvsc::kRxIpChecksumGood | netvsc::kRxL4ChecksumGood);
    EXPECT_EQ(rx[0].flags & (netvsc::kRxIpChecksumBad | netvsc::kRxL4ChecksumBad), 0u);
    EXPECT_EQ(rx[1].flags & (netvsc::kRxIpChecksumGood | netvsc::kRxL4ChecksumGood), 0u);
  }
  {
    netvsc::PortConfig config;
    config.offloads = {.tx_checksum = false, .rx_checksum = false, .lso = false};
    netvsc::OpenedPort opened = sim.open(config);
    EXPECT_FALSE(opened.port->info().tx_checksum);
    EXPECT_FALSE(opened.port->info().rx_checksum);
  }
}

TEST(Oids, RssQueuesAreCappedByTheHostsReceiveQueues) {
  NicSim sim({.subchannels = 5});  // RSS capabilities: 6 receive queues
  {
    netvsc::PortConfig config;
    config.queues = 8;
    netvsc::OpenedPort opened = sim.open(config);
    const netvsc::PortInfo& info = opened.port->info();
    EXPECT_EQ(info.host_rss_queues, 6u);
    EXPECT_EQ(info.subchannels_granted, 5u);
    EXPECT_EQ(info.queues, 6);
    EXPECT_EQ(opened.port->queue_count(), 6);
  }
  {
    netvsc::PortConfig config;
    config.queues = 3;
    netvsc::OpenedPort opened = sim.open(config);
    netvsc::Port& port = *opened.port;
    EXPECT_EQ(port.info().host_rss_queues, 6u);
    EXPECT_EQ(port.info().subchannels_granted, 2u);
    EXPECT_EQ(port.queue_count(), 3);
    // The host's send indirection table (NVSP 5+): bucket i -> queue i % 3.
    auto table_is_round_robin = [&] {
      const auto t = port.host_send_table();
      for (std::uint32_t i = 0; i < t.size(); ++i) {
        if (t[i] != i % 3) return false;
      }
      return true;
    };
    EXPECT_TRUE(eventually(table_is_round_robin, [&] { poll_all(port); }));
  }
  {
    netvsc::OpenedPort opened = sim.open();  // one queue: no RSS asked
    EXPECT_EQ(opened.port->info().host_rss_queues, 0u);
    EXPECT_EQ(opened.port->info().subchannels_granted, 0u);
    EXPECT_EQ(opened.port->queue_count(), 1);
  }
}

// The packet filter: hvsim's NIC delivers a frame only if the filter takes
// it (sim/hosts/netvsc/rndis_device.cc RndisDevice::accepts); the rest are
// counted drop_filtered.
class PacketFilter : public ::testing::Test {
 protected:
  void SetUp() override { opened_ = sim_.open(); }

  // Sends a 100-byte frame to `dst` and says whether it came back within 300 ms.
  bool loops_back(const netvsc::MacAddress& dst) {
    netvsc::Port& port = *opened_.port;
    std::vector<std::byte> frame(100);
    build_frame(frame, dst, flow_, seq_++);
    netvsc::TxPacket tx{.frame = frame};
    if (port.tx_burst(0, &tx, 1) != 1) return false;
    std::vector<std::byte> storage(2048);
    netvsc::RxPacket rx{.buffer = storage};
    const bool got = eventually([&] { return port.rx_burst(0, &rx, 1) == 1; }, {}, std::chrono::milliseconds(300));
    if (got) {
      EXPECT_TRUE(std::equal(frame.begin(), frame.end(), rx.frame().begin(), rx.frame().end()));
    }
    return got;
  }
  std::uint64_t filtered() { return sim_.nic_counters().at("drop_filtered").get<std::uint64_t>(); }

  NicSim sim_;
  netvsc::OpenedPort opened_;
  Flow flow_ = make_flows(1, 1)[0];
  std::uint64_t seq_ = 0;
  const netvsc::MacAddress other_{0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
  const netvsc::MacAddress broadcast_{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const netvsc::MacAddress multicast_{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
};

TEST_F(PacketFilter, DefaultDirectedMulticastBroadcast) {
  const netvsc::MacAddress mine = opened_.port->mac();
  EXPECT_TRUE(loops_back(mine));
  EXPECT_TRUE(loops_back(broadcast_));
  EXPECT_FALSE(loops_back(other_));
  EXPECT_FALSE(loops_back(multicast_)) << "multicast needs the address in the multicast list";
  EXPECT_EQ(filtered(), 2u);
}

TEST_F(PacketFilter, DirectedOnlyTakesFramesForOurMacOnly) {
  netvsc::Port& port = *opened_.port;
  ASSERT_TRUE(port.set_packet_filter(ndis::kPacketTypeDirected));
  EXPECT_TRUE(loops_back(port.mac()));
  EXPECT_FALSE(loops_back(other_));
  EXPECT_FALSE(loops_back(broadcast_));
  EXPECT_EQ(filtered(), 2u);
  EXPECT_EQ(port.stats().total.malformed_total(), 0u);
}

TEST_F(PacketFilter, PromiscuousTakesEverything) {
  netvsc::Port& port = *opened_.port;
  ASSERT_TRUE(port.set_packet_filter(ndis::kPacketTypePromiscuous));
  EXPECT_TRUE(loops_back(other_));
  EXPECT_TRUE(loops_back(multicast_));
  EXPECT_TRUE(loops_back(broadcast_));
  EXPECT_TRUE(loops_back(port.mac()));
  EXPECT_EQ(filtered(), 0u);
  // And back to directed only.
  ASSERT_TRUE(port.set_packet_filter(ndis::kPacketTypeDirected));
  EXPECT_FALSE(loops_back(other_));
  EXPECT_EQ(filtered(), 1u);
}

TEST_F(PacketFilter, NoneTakesNothing) {
  netvsc::Port& port = *opened_.port;
  ASSERT_TRUE(port.set_packet_filter(ndis::kPacketTypeNone));
  EXPECT_FALSE(loops_back(port.mac()));
  EXPECT_FALSE(loops_back(broadcast_));
  EXPECT_EQ(filtered(), 2u);
}

TEST(Oids, ThePacketFilterOfTheConfigIsSetAtOpen) {
  NicSim sim;
  netvsc::PortConfig config;
  config.packet_filter = ndis::kPacketTypePromiscuous;
  netvsc::OpenedPort opened = sim.open(config);
  netvsc::Port& port = *opened.port;
  std::vector<std::byte> frame(100);
  build_frame(frame, {0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, make_flows(1, 1)[0], 0);
  netvsc::TxPacket tx{.frame = frame};
  ASSERT_EQ(port.tx_burst(0, &tx, 1), 1);
  std::vector<std::byte> storage(2048);
  netvsc::RxPacket rx{.buffer = storage};
  EXPECT_TRUE(eventually([&] { return port.rx_burst(0, &rx, 1) == 1; }));
}

}  // namespace
}  // namespace netvsc_ct
