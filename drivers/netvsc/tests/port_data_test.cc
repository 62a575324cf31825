// Bursts against the scripted host: frames both ways with their metadata,
// aggregation, GPA-direct sends and their cookies, link indications, stats.
#include <gtest/gtest.h>

#include <cstring>

#include "netvsc/protocol/ndis_oids.h"
#include "netvsc/protocol/rndis.h"
#include "port_fixture.h"

namespace netvsc::test {
namespace {

TEST(PortRx, CopiesFramesOutAndCompletesTheTransfer) {
  OpenPort o = open_port();
  const auto a = make_frame(60, 1);
  const auto b = make_frame(1514, 2);
  const std::uint64_t id = o.host->send_frames(0, {a, b});
  RxBuffers rx(8);
  ASSERT_EQ(o.port->rx_burst(0, rx.pkts.data(), 8), 2);
  EXPECT_EQ(std::vector<std::byte>(rx.pkts[0].frame().begin(), rx.pkts[0].frame().end()), a);
  EXPECT_EQ(std::vector<std::byte>(rx.pkts[1].frame().begin(), rx.pkts[1].frame().end()), b);
  o.host->poll();
  EXPECT_TRUE(o.host->outstanding_rx.empty());
  EXPECT_EQ(o.host->rx_completion_status[id], nvsp::raw(nvsp::Status::success));
  PortStats s = o.port->stats();
  EXPECT_EQ(s.total.rx_packets, 2u);
  EXPECT_EQ(s.total.rx_bytes, 60u + 1514);
  EXPECT_EQ(s.total.malformed_total(), 0u);
}

TEST(PortRx, HandsOutARangeListAcrossBurstsAndCompletesOnlyAtTheEnd) {
  OpenPort o = open_port();
  std::vector<std::vector<std::byte>> frames;
  for (std::size_t i = 0; i < 5; ++i) frames.push_back(make_frame(100 + i, static_cast<std::uint8_t>(i)));
  o.host->send_frames(0, frames);
  RxBuffers rx(2);
  EXPECT_EQ(o.port->rx_burst(0, rx.pkts.data(), 2), 2);
  EXPECT_EQ(rx.pkts[1].length, 101u);
  o.host->poll();
  EXPECT_EQ(o.host->outstanding_rx.size(), 1u) << "not completed while frames remain";
  EXPECT_EQ(o.port->rx_burst(0, rx.pkts.data(), 2), 2);
  EXPECT_EQ(o.port->rx_burst(0, rx.pkts.data(), 2), 1);
  EXPECT_EQ(rx.pkts[0].length, 104u);
  o.host->poll();
  EXPECT_TRUE(o.host->outstanding_rx.empty());
}

TEST(PortRx, ReportsVlanHashAndChecksum) {
  OpenPort o = open_port();
  ppi::PacketInfo info;
  info.vlan = ppi::vlan_info(100, 5, false);
  info.hash_value = 0xdeadbeef;
  info.checksum = ppi::kRxIpChecksumSucceeded | ppi::kRxTcpChecksumSucceeded;
  o.host->send_frames(0, {make_frame(80, 3)}, info);
  RxBuffers rx(1);
  ASSERT_EQ(o.port->rx_burst(0, rx.pkts.data(), 1), 1);
  const RxPacket& p = rx.pkts[0];
  EXPECT_EQ(p.flags, kRxVlan | kRxRssHash | kRxIpChecksumGood | kRxL4ChecksumGood);
  EXPECT_EQ(p.vlan_tci, (5 << 13) | 100);
  EXPECT_EQ(p.rss_hash, 0xdeadbeefu);

  info = {};
  info.checksum = ppi::kRxTcpChecksumFailed;
  o.host->send_frames(0, {make_frame(80, 3)}, info);
  ASSERT_EQ(o.port->rx_burst(0, rx.pkts.data(), 1), 1);
  EXPECT_EQ(rx.pkts[0].flags, kRxL4ChecksumBad);
}

TEST(PortRx, DropsFramesLargerThanTheCallersBufferAndStillCompletes) {
  OpenPort o = open_port();
  o.host->send_frames(0, {make_frame(1000, 1), make_frame(50, 2)});
  RxBuffers rx(2, 512);
  ASSERT_EQ(o.port->rx_burst(0, rx.pkts.data(), 2), 1);
  EXPECT_EQ(rx.pkts[0].length, 50u);
  EXPECT_EQ(o.port->stats().total.rx_dropped_too_small, 1u);
  o.host->poll();
  EXPECT_TRUE(o.host->outstanding_rx.empty());
}

TEST(PortTx, SmallFramesShareASectionWithTheirMetadataAndOneSignal) {
  OpenPort o = open_port();
  std::vector<std::vector<std::byte>> frames;
  std::vector<TxPacket> tx;
  for (int i = 0; i < 5; ++i) frames.push_back(make_frame(60 + static_cast<std::size_t>(i), static_cast<std::uint8_t>(i)));
  for (auto& f : frames) tx.push_back(TxPacket{.frame = f});
  tx[1].flags = kTxIpv4 | kTxIpChecksum | kTxTcpChecksum;
  tx[1].l4_offset = 34;
  tx[2].flags = kTxVlan;
  tx[2].vlan_tci = (3 << 13) | 42;
  tx[3].flags = kTxIpv6 | kTxLso | kTxTcpChecksum;
  tx[3].l4_offset = 54;
  tx[3].mss = 1440;
  o.host->poll();  // the host read everything: the next batch must signal
  const int signals_before = o.host->channel(0).signaller.count.load();
  ASSERT_EQ(o.port->tx_burst(0, tx.data(), 5), 5);
  EXPECT_EQ(o.host->channel(0).signaller.count.load() - signals_before, 1) << "one signal per burst";
  o.host->poll();
  ASSERT_EQ(o.host->frames.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    const SentFrame& f = o.host->frames[i];
    EXPECT_EQ(f.bytes, frames[i]) << i;
    EXPECT_FALSE(f.gpa_direct);
    EXPECT_EQ(f.section, o.host->frames[0].section) << "one section for the burst (8 per message allowed)";
    EXPECT_EQ(f.info.hash_value.value_or(99), 0u) << "hash PPI = queue id (DPDK hn_encap)";
  }
  const SentFrame& csum = o.host->frames[1];
  ASSERT_TRUE(csum.info.checksum);
  EXPECT_EQ(*csum.info.checksum,
            ppi::tx_checksum_info(ppi::kTxIsIpv4 | ppi::kTxIpHeaderChecksum | ppi::kTxTcpChecksum, 34));
  ASSERT_TRUE(o.host->frames[2].info.vlan);
  EXPECT_EQ(ppi::vlan_tci(*o.host->frames[2].info.vlan), (3 << 13) | 42);
  ASSERT_TRUE(o.host->frames[3].info.lso);
  EXPECT_EQ(ppi::lso_mss(*o.host->frames[3].info.lso), 1440u);
  EXPECT_TRUE(ppi::lso_is_ipv6(*o.host->frames[3].info.lso));
  EXPECT_EQ(ppi::lso_tcp_header_offset(*o.host->frames[3].info.lso), 54u);
  // The completion returns the section.
  std::uint64_t cookie;
  EXPECT_EQ(o.port->tx_reclaim(0, &cookie, 1), 0) << "copied frames have no cookie";
  EXPECT_EQ(o.port->tx_outstanding(0), 0u);
  PortStats s = o.port->stats();
  EXPECT_EQ(s.total.tx_packets, 5u);
  EXPECT_EQ(s.total.tx_aggregated, 5u);
  EXPECT_EQ(s.total.tx_completions, 1u);
}

TEST(PortTx, AggregationOffSendsOneFramePerSection) {
  PortConfig c;
  c.tx_aggregation = false;
  OpenPort o = open_port({}, c);
  auto f = make_frame(60, 1);
  TxPacket tx[3] = {{.frame = f}, {.frame = f}, {.frame = f}};
  ASSERT_EQ(o.port->tx_burst(0, tx, 3), 3);
  o.host->poll();
  ASSERT_EQ(o.host->frames.size(), 3u);
  EXPECT_NE(o.host->frames[0].section, o.host->frames[1].section);
  EXPECT_EQ(o.port->stats().total.tx_aggregated, 0u);
}

TEST(PortTx, LargeFramesGoGpaDirectWithTheHeaderInOneRangeAndCookiesComeBack) {
  OpenPort o = open_port();
  vmbus::DmaRegion dma = o.host->resources().allocate_dma(64 * 1024);
  // A frame that crosses pages, and one LSO frame of 40 KiB.
  const auto big = make_frame(9000, 7);
  std::memcpy(dma.data() + 3000, big.data(), big.size());
  const auto lso = make_frame(40000, 9);
  std::memcpy(dma.data() + 16384, lso.data(), lso.size());
  TxPacket tx[3];
  tx[0] = {.frame = std::span(dma.data() + 3000, big.size()), .dma = &dma, .cookie = 11};
  tx[1] = {.frame = std::span(dma.data() + 16384, lso.size()), .dma = &dma, .cookie = 12,
           .flags = kTxIpv4 | kTxLso | kTxTcpChecksum, .l4_offset = 34, .mss = 1448};
  const auto small = make_frame(100, 3);
  tx[2] = {.frame = small, .dma = &dma, .cookie = 13};  // under tx_copybreak: copied, no cookie
  ASSERT_EQ(o.port->tx_burst(0, tx, 3), 3);
  EXPECT_EQ(o.port->tx_outstanding(0), 3u);
  o.host->poll();
  ASSERT_EQ(o.host->frames.size(), 3u);
  EXPECT_EQ(o.host->split_header_failures, 0);
  EXPECT_TRUE(o.host->frames[0].gpa_direct);
  EXPECT_EQ(o.host->frames[0].bytes, big);
  EXPECT_EQ(o.host->frames[1].bytes, lso);
  EXPECT_FALSE(o.host->frames[2].gpa_direct);
  std::uint64_t cookies[4] = {};
  ASSERT_EQ(o.port->tx_reclaim(0, cookies, 4), 2);
  EXPECT_EQ(cookies[0], 11u);
  EXPECT_EQ(cookies[1], 12u);
  EXPECT_EQ(o.port->tx_outstanding(0), 0u);
  EXPECT_EQ(o.port->stats().total.tx_gpa_direct, 2u);
}

TEST(PortTx, AFullRingCutsTheBurstShortAndCountsIt) {
  HostOptions h;
  h.ring_data_size = 4096;  // a few dozen GPA-direct packets
  OpenPort o = open_port(h);
  vmbus::DmaRegion dma = o.host->resources().allocate_dma(8192);
  std::vector<TxPacket> tx(200, TxPacket{.frame = std::span(dma.data(), 4000), .dma = &dma});
  const std::uint16_t sent = o.port->tx_burst(0, tx.data(), 200);
  EXPECT_GT(sent, 0);
  EXPECT_LT(sent, 200);
  EXPECT_GE(o.port->stats().total.tx_ring_full, 1u);
  o.host->poll();
  EXPECT_EQ(o.host->frames.size(), sent);
}

TEST(PortTx, RunsOutOfDescriptorsUntilTheHostCompletes) {
  HostOptions h;
  h.complete_sends = false;
  PortConfig c;
  c.tx_descriptors = 4;
  OpenPort o = open_port(h, c);
  vmbus::DmaRegion dma = o.host->resources().allocate_dma(8192);
  std::vector<TxPacket> tx(6, TxPacket{.frame = std::span(dma.data(), 1000), .dma = &dma});
  for (std::size_t i = 0; i < tx.size(); ++i) tx[i].cookie = i;
  EXPECT_EQ(o.port->tx_burst(0, tx.data(), 6), 4);
  EXPECT_EQ(o.port->stats().total.tx_no_resources, 1u);
  o.host->poll();
  o.host->complete_held();
  std::uint64_t cookies[8];
  EXPECT_EQ(o.port->tx_reclaim(0, cookies, 8), 4);
  EXPECT_EQ(o.port->tx_burst(0, tx.data() + 4, 2), 2);
  o.host->poll();  // the host reads the frames while `dma` lives (it is destroyed before `o`)
  EXPECT_EQ(o.host->frames.size(), 6u);
}

TEST(PortTx, CompletionsComeBackToTheSendingQueue) {
  PortConfig c;
  c.queues = 2;
  OpenPort o = open_port({}, c);
  ASSERT_EQ(o.port->queue_count(), 2);
  auto f = make_frame(64, 5);
  TxPacket tx{.frame = f};
  ASSERT_EQ(o.port->tx_burst(1, &tx, 1), 1);
  o.host->poll();
  ASSERT_EQ(o.host->frames.size(), 1u);
  EXPECT_EQ(o.host->frames[0].channel, 1u);
  EXPECT_EQ(o.host->frames[0].info.hash_value.value_or(0), 1u);
  std::uint64_t cookie;
  (void)o.port->tx_reclaim(1, &cookie, 1);
  PortStats s = o.port->stats();
  EXPECT_EQ(s.queues[1].tx_completions, 1u);
  EXPECT_EQ(o.port->tx_outstanding(1), 0u);
}

TEST(PortLink, IndicationsUpdateTheLinkAndCallBack) {
  std::vector<LinkEvent> events;
  PortConfig c;
  c.on_link_change = [&](const LinkEvent& e) { events.push_back(e); };
  OpenPort o = open_port({}, c);
  o.host->send_indication(0, rndis::status::kMediaDisconnect);
  std::uint32_t speed = 250000;  // 25 Mb/s in 100 bps units
  o.host->send_indication(0, rndis::status::kLinkSpeedChange,
                          std::as_bytes(std::span(&speed, 1)));
  o.host->send_frames(0, {make_frame(60, 1)});
  RxBuffers rx(4);
  EXPECT_EQ(o.port->rx_burst(0, rx.pkts.data(), 4), 1) << "indications take no RxPacket";
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, LinkEventKind::disconnected);
  EXPECT_FALSE(events[0].state.up);
  EXPECT_EQ(events[1].kind, LinkEventKind::speed_changed);
  EXPECT_EQ(o.port->link().speed_bps, 25'000'000u);
  o.host->send_indication(0, rndis::status::kMediaConnect);
  (void)o.port->rx_burst(0, rx.pkts.data(), 4);
  EXPECT_TRUE(o.port->link().up);
  EXPECT_EQ(o.port->stats().total.link_events, 3u);
  o.host->poll();
  EXPECT_TRUE(o.host->outstanding_rx.empty());
}

TEST(PortControl, SetsThePacketFilterAtRunTime) {
  OpenPort o = open_port();
  o.host->start();
  EXPECT_TRUE(o.port->set_packet_filter(ndis::kPacketTypePromiscuous).ok());
  o.host->stop();
  EXPECT_EQ(o.host->packet_filter, ndis::kPacketTypePromiscuous);
}

}  // namespace
}  // namespace netvsc::test
