// The NIC host ("netvsc"), data path: loopback through send-buffer sections
// and GPA ranges, receive slots reused only after completion, RSS over four
// queues, the split-header quirk, malformed guest messages.
#include <gtest/gtest.h>

#include <set>

#include "netvsc_host_test_guest.h"

namespace hvsim::test {
namespace {

class NicDataTest : public NicFixture {};

// The frame of a received RNDIS packet (validated by the protocol's parser).
std::vector<std::byte> frame_of(const RxMessage& m, ppi::PacketInfo* info = nullptr) {
  auto p = rndis::parse_packet(m.bytes);
  EXPECT_TRUE(p.ok()) << (p ? "" : p.error().message());
  if (!p) return {};
  if (info != nullptr) *info = p->info;
  return {p->frame.begin(), p->frame.end()};
}

TEST_F(NicDataTest, LoopbackThroughSendBufferSectionsKeepsEveryByte) {
  start(nic_config({{"mtu", 9000}}));
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake()) << log_.all();
  ASSERT_EQ(g.section_size, 6144u);
  std::uint32_t section = 0;
  for (std::size_t size : {60u, 61u, 64u, 128u, 1000u, 1514u, 4000u, 6000u}) {
    const auto f = tcp_frame(size, kNicMac, static_cast<std::uint16_t>(1000 + size), 80, static_cast<std::uint8_t>(size));
    ASSERT_EQ(g.send_section(section++, {f}), 1u) << size << "\n" << log_.all();
    auto rx = g.receive_messages(1);
    ASSERT_EQ(rx.size(), 1u) << size;
    EXPECT_EQ(frame_of(rx[0]), f) << size;
  }
  // Several packed in one section (DPDK's aggregation): each comes back.
  std::vector<std::vector<std::byte>> frames;
  for (int i = 0; i < 5; ++i) frames.push_back(tcp_frame(static_cast<std::size_t>(100 + i * 10), kNicMac, static_cast<std::uint16_t>(2000 + i)));
  ASSERT_EQ(g.send_section(9, frames), 1u);
  auto rx = g.receive_messages(5);
  ASSERT_EQ(rx.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(frame_of(rx[static_cast<std::size_t>(i)]), frames[static_cast<std::size_t>(i)]);
  const json nic = g.nic_stats();
  EXPECT_EQ(nic["tx_frames"], 13);
  EXPECT_EQ(nic["rx_frames"], 13);
}

TEST_F(NicDataTest, LoopbackThroughGpaRangesUpToJumboFrames) {
  start(nic_config({{"mtu", 9000}}));
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake()) << log_.all();
  for (std::size_t size : {60u, 1514u, 2000u, 4096u, 4097u, 8192u, 9000u, 9014u}) {
    const auto f = tcp_frame(size, kNicMac, static_cast<std::uint16_t>(size), 443, static_cast<std::uint8_t>(size * 3));
    // The frame starts mid-page so that its ranges cross pages.
    ASSERT_EQ(g.send_gpa(f, 0, 0x10000 + 100), 1u) << size << "\n" << log_.all();
    auto rx = g.receive_messages(1);
    ASSERT_EQ(rx.size(), 1u) << size;
    EXPECT_EQ(frame_of(rx[0]), f) << size;
  }
  // A VLAN PPI comes back as a VLAN PPI.
  const auto f = tcp_frame(200, kNicMac, 7);
  std::byte* section = g.send_buffer();
  const std::uint32_t n = NicGuest::build_packet({section, 6144}, f, ppi::vlan_info(100, 3, false));
  ASSERT_EQ(g.send_rndis_inband(0, n), 1u);
  auto rx = g.receive_messages(1);
  ASSERT_EQ(rx.size(), 1u);
  ppi::PacketInfo info;
  EXPECT_EQ(frame_of(rx[0], &info), f);
  ASSERT_TRUE(info.vlan.has_value());
  EXPECT_EQ(ppi::vlan_id(*info.vlan), 100u);
  // Over the MTU: dropped and counted, the send still completes.
  const auto big = tcp_frame(9100, kNicMac, 9);
  EXPECT_EQ(g.send_gpa(big), 1u);
  EXPECT_TRUE(g.receive_messages(1, true, std::chrono::milliseconds(200)).empty());
  EXPECT_EQ(g.nic_stats()["drop_oversize"], 1);
}

TEST_F(NicDataTest, ThePacketFilterDecidesWhatComesBack) {
  start(nic_config());
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake(0x60001, ndis::kPacketTypeDirected)) << log_.all();
  const std::array<std::uint8_t, 6> other{0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
  const std::array<std::uint8_t, 6> broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  ASSERT_EQ(g.send_gpa(tcp_frame(100, other, 1)), 1u);
  ASSERT_EQ(g.send_gpa(tcp_frame(100, broadcast, 2)), 1u);
  ASSERT_EQ(g.send_gpa(tcp_frame(100, kNicMac, 3)), 1u);
  auto rx = g.receive_messages(1);
  ASSERT_EQ(rx.size(), 1u);
  EXPECT_EQ(frame_of(rx[0]), tcp_frame(100, kNicMac, 3));
  EXPECT_EQ(g.nic_stats()["drop_filtered"], 2);
  // Promiscuous: everything.
  ASSERT_EQ(g.set_u32(ndis::Oid::gen_current_packet_filter, ndis::kPacketTypePromiscuous), 0u);
  ASSERT_EQ(g.send_gpa(tcp_frame(100, other, 4)), 1u);
  EXPECT_EQ(g.receive_messages(1).size(), 1u);
}

TEST_F(NicDataTest, ASlotIsReusedOnlyAfterTheGuestCompletesItsTransferPage) {
  // 31 slots of 1 MiB: the guest can hold them all.
  start(nic_config({{"recv_section_size", 1 << 20}}));
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake()) << log_.all();  // the control replies were completed: all free
  ASSERT_EQ(g.slot_count, 31u);
  // 40 frames; the guest completes nothing.
  for (int i = 0; i < 40; ++i) ASSERT_EQ(g.send_gpa(tcp_frame(100, kNicMac, static_cast<std::uint16_t>(i))), 1u);
  auto rx = g.receive_messages(40, /*complete=*/false, std::chrono::milliseconds(1000));
  ASSERT_EQ(rx.size(), 31u);
  std::set<std::uint32_t> offsets;
  for (const auto& m : rx) offsets.insert(m.offset);
  EXPECT_EQ(offsets.size(), 31u);  // each in its own slot
  json nic = g.nic_stats();
  EXPECT_EQ(nic["slots_in_use"], 31);
  EXPECT_EQ(nic["rx_backlogged"], 9);  // loopback waits rather than drops
  EXPECT_EQ(nic["drop_no_slot"], 0);
  // Completing one transfer page frees its slots: the next frame lands there.
  const std::uint32_t freed = rx[0].offset;
  std::uint64_t first = g.uncompleted.front();
  std::size_t in_first = 0;
  for (const auto& m : rx) in_first += m.trans_id == first;
  g.complete_transfer(first);
  auto more = g.receive_messages(1, false);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(frame_of(more[0]), tcp_frame(100, kNicMac, 31));
  bool reused = false;
  for (const auto& m : rx) reused |= m.trans_id == first && m.offset == more[0].offset;
  EXPECT_TRUE(reused) << "slot " << more[0].offset << ", freed " << freed << " (" << in_first << " in that packet)";
  // Completing everything lets the rest through.
  for (std::size_t i = 1; i < g.uncompleted.size(); ++i) g.complete_transfer(g.uncompleted[i]);
  g.uncompleted.clear();
  auto rest = g.receive_messages(8);
  EXPECT_EQ(rest.size(), 8u);
  // Every transfer-page packet's trans_id is below the slot count: DPDK's
  // hn_nvs_handle_rxbuf indexes its rxbuf_info[] by it and drops the packet
  // unacknowledged otherwise.
  for (const auto* batch : {&rx, &more, &rest}) {
    for (const auto& m : *batch) EXPECT_LT(m.trans_id, g.slot_count) << "offset " << m.offset;
  }
  // Nothing is in flight now: a second completion of a packet, or one naming
  // no packet, is the guest's error, counted.
  ASSERT_TRUE(wait_for([&] { return g.nic_stats()["slots_in_use"] == 0; }));
  g.complete_transfer(first);
  g.complete_transfer(g.slot_count);
  EXPECT_TRUE(wait_for([&] { return g.nic_stats()["drop_malformed"] == 2; })) << g.nic_stats().dump();
}

TEST_F(NicDataTest, RssSpreadsFlowsOverFourQueuesByToeplitz) {
  start(nic_config({}, 3));
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake()) << log_.all();
  auto granted = g.allocate_subchannels(3);
  ASSERT_EQ(granted, 3u) << log_.all();
  // The send indirection table follows the subchannel completion, OpenVMM's layout.
  std::optional<nvsp::SendTable> send_table;
  wait_for([&] {
    for (const Got& o : g.others()) {
      if (o.type != vmbus::PacketType::data_inband) continue;
      auto t = nvsp::parse_send_indirection_table(o.payload, nvsp::Version::v61);
      if (t) send_table = *t;
    }
    if (!send_table) {
      if (auto p = g.try_read()) g.others().push_back(*p);
    }
    return send_table.has_value();
  }, kNicPatience);
  ASSERT_TRUE(send_table);
  for (std::uint32_t i = 0; i < 16; ++i) EXPECT_EQ(send_table->entries[i], i % 4);

  std::array<std::byte, ndis::rss_parameters_size(128, 40)> rp{};
  const auto table = ::netvsc::rss::IndirectionTable::round_robin(4);
  auto n = ndis::write_rss_parameters(0, ndis::kHashInfoLinux, ::netvsc::rss::kVerificationKey, table.entries(), rp);
  ASSERT_EQ(g.set(ndis::Oid::gen_receive_scale_parameters, std::span(rp).first(*n)), 0u);

  const ::netvsc::rss::Toeplitz hasher(::netvsc::rss::kVerificationKey);
  std::map<std::uint16_t, std::uint32_t> want;  // source port -> queue
  std::array<int, 4> per_queue{};
  constexpr int kFlows = 64;
  for (int i = 0; i < kFlows; ++i) {
    const auto port = static_cast<std::uint16_t>(40000 + i);
    ASSERT_EQ(g.send_gpa(tcp_frame(80, kNicMac, port, 80)), 1u);
    const std::uint32_t h = hasher.ipv4_l4({10, 1, 0, 1}, {10, 2, 0, 2}, port, 80);
    want[port] = table.queue_for(h);
  }
  auto rx = g.receive_messages(kFlows);
  ASSERT_EQ(rx.size(), static_cast<std::size_t>(kFlows)) << log_.all();
  for (const RxMessage& m : rx) {
    ppi::PacketInfo info;
    const auto f = frame_of(m, &info);
    ASSERT_GE(f.size(), 36u);
    const auto port = static_cast<std::uint16_t>(static_cast<unsigned>(f[34]) << 8 | static_cast<unsigned>(f[35]));
    EXPECT_EQ(m.queue, want[port]) << "port " << port;
    ASSERT_TRUE(info.hash_value.has_value());
    EXPECT_EQ(*info.hash_value, hasher.ipv4_l4({10, 1, 0, 1}, {10, 2, 0, 2}, port, 80));
    ASSERT_TRUE(info.hash_info.has_value());
    EXPECT_EQ(*info.hash_info, ndis::kHashTcpIpv4 | ndis::kHashFunctionToeplitz);
    ++per_queue[m.queue];
  }
  for (int q = 0; q < 4; ++q) EXPECT_GT(per_queue[static_cast<std::size_t>(q)], 0) << "queue " << q;
  // A send on a subchannel completes on that subchannel.
  std::byte* section = g.send_buffer() + 3 * 6144;
  const auto f = tcp_frame(90, kNicMac, 40001, 80);
  const std::uint32_t len = NicGuest::build_packet({section, 6144}, f);
  EXPECT_EQ(g.send_rndis_inband(3, len, /*queue=*/2), 1u);
  EXPECT_EQ(g.receive_messages(1).size(), 1u);
}

TEST_F(NicDataTest, AnRndisHeaderSplitAcrossGpaRangesCompletesWithStatus2) {
  start(nic_config());
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake()) << log_.all();
  // The header starts 20 bytes before a page boundary: add_buffer splits it in two ranges.
  EXPECT_EQ(g.send_gpa(tcp_frame(100, kNicMac, 1), 4096 - 20), 2u);
  EXPECT_TRUE(g.receive_messages(1, true, std::chrono::milliseconds(200)).empty());
  EXPECT_EQ(g.nic_stats()["drop_split_header"], 1);
  EXPECT_EQ(g.send_gpa(tcp_frame(100, kNicMac, 2), 4096), 1u);  // whole in one range: fine
  EXPECT_EQ(g.receive_messages(1).size(), 1u);
}

TEST_F(NicDataTest, MalformedGuestMessagesAreDroppedCountedAndHvsimCarriesOn) {
  start(nic_config());
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake()) << log_.all();
  // An NVSP type nobody sends.
  std::array<std::byte, 40> junk{};
  junk[0] = std::byte{0x77};
  g.send_nvsp(junk);
  // A send-buffer section out of range: completed with failure.
  EXPECT_EQ(g.send_rndis_inband(100000, 64), 2u);
  // An RNDIS packet whose data offset points past msg_len.
  std::byte* s = g.send_buffer();
  const auto f = tcp_frame(100, kNicMac, 5);
  const std::uint32_t n = NicGuest::build_packet({s, 6144}, f);
  const std::uint32_t bad = 5000;
  std::memcpy(s + 8, &bad, 4);  // rndis_packet.data_offset
  EXPECT_EQ(g.send_rndis_inband(0, n), 2u);
  // msg_len beyond the bytes sent.
  const std::uint32_t n2 = NicGuest::build_packet({s, 6144}, f);
  EXPECT_EQ(g.send_rndis_inband(0, n2 - 10), 2u);
  // A GPA range the guest never registered (and no such process address).
  {
    vmbus::GpaDirectHeader ranges;
    ASSERT_TRUE(ranges.add_buffer(0x7000'0000'0000ull, 64).ok());
    const auto nv = nvsp::encode(nvsp::SendRndisPacket{0, nvsp::kSendSectionIndexNone, 0});
    g.send_packet(vmbus::packet::gpa_direct(ranges, nv.bytes(), 999));
    auto done = g.completion_of(999);
    ASSERT_TRUE(done);
    EXPECT_EQ(nvsp::parse<nvsp::SendRndisPacketComplete>(done->payload)->status, 2u);
  }
  // A completion for a transfer page never sent; a transfer-page packet from the guest.
  g.complete_transfer(0x1234'0000'0042ull);
  // Still serving: a good frame goes round.
  EXPECT_EQ(g.send_gpa(f), 1u);
  EXPECT_EQ(g.receive_messages(1).size(), 1u);
  const json nic = g.nic_stats();
  EXPECT_GE(nic["drop_malformed"].get<int>(), 6) << nic.dump();
  EXPECT_GE(counters("eth0")[Counter::packets_dropped], 6u);
}

TEST_F(NicDataTest, StatsShowTheNicCounters) {
  start(nic_config());
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake()) << log_.all();
  ASSERT_EQ(g.send_gpa(tcp_frame(100, kNicMac, 1)), 1u);
  ASSERT_EQ(g.receive_messages(1).size(), 1u);
  const json r = sim().handle_control({{"command", "stats"}});
  ASSERT_TRUE(r["ok"]);
  const json& nic = r["result"]["devices"][0]["nic_counters"];
  EXPECT_EQ(nic["tx_frames"], 1);
  EXPECT_EQ(nic["rx_frames"], 1);
  EXPECT_EQ(nic["tx_bytes"], 100);
  EXPECT_GE(nic["rndis_requests"].get<int>(), 2);
  EXPECT_EQ(nic["link"], "up");
}

TEST_F(NicDataTest, TheSourceBackendFeedsEveryQueueByRss) {
  start(nic_config({{"backend", "source"}, {"source_rate_pps", 2000}, {"source_frame_size", 128}}, 3));
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake(0x60001, ndis::kPacketTypeDirected)) << log_.all();
  ASSERT_EQ(g.allocate_subchannels(3), 3u);
  std::array<std::byte, ndis::rss_parameters_size(128, 40)> rp{};
  const auto table = ::netvsc::rss::IndirectionTable::round_robin(4);
  auto n = ndis::write_rss_parameters(0, ndis::kHashInfoLinux, ::netvsc::rss::kVerificationKey, table.entries(), rp);
  ASSERT_EQ(g.set(ndis::Oid::gen_receive_scale_parameters, std::span(rp).first(*n)), 0u);
  std::array<int, 4> per_queue{};
  auto rx = g.receive_messages(200);
  ASSERT_GE(rx.size(), 200u);  // a transfer-page packet may carry several
  for (const auto& m : rx) {
    if (frame_of(m).size() == 128) ++per_queue[m.queue];
  }
  for (int q = 0; q < 4; ++q) EXPECT_GT(per_queue[static_cast<std::size_t>(q)], 0) << "queue " << q;
}

TEST_F(NicDataTest, TheSinkCountsAndDrops) {
  start(nic_config({{"backend", "sink"}}));
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake()) << log_.all();
  ASSERT_EQ(g.send_gpa(tcp_frame(500, kNicMac, 1)), 1u);
  ASSERT_EQ(g.send_section(0, {tcp_frame(64, kNicMac, 2)}), 1u);
  EXPECT_TRUE(g.receive_messages(1, true, std::chrono::milliseconds(200)).empty());
  const json nic = g.nic_stats();
  EXPECT_EQ(nic["tx_frames"], 2);
  EXPECT_EQ(nic["tx_bytes"], 564);
  EXPECT_EQ(nic["rx_frames"], 0);
}

}  // namespace
}  // namespace hvsim::test
