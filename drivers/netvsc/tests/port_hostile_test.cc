// A hostile host: malformed transfer-page packets, RNDIS messages,
// completions and notes, each of which must be dropped, counted by kind,
// survived, and (for receives) still completed so no section leaks. Also
// rescind. The port keeps working afterwards: each test ends with a good frame.
#include <gtest/gtest.h>

#include <cstring>

#include "netvsc/protocol/nvsp_codec.h"
#include "netvsc/protocol/rndis.h"
#include "netvsc/protocol/rndis_control.h"
#include "netvsc/protocol/rndis_packet.h"
#include "netvsc/protocol/wire.h"
#include "port_fixture.h"
#include "vmbus/packet/builders.h"
#include "vmbus/packet/gpa_direct.h"

namespace netvsc::test {
namespace {

std::uint64_t malformed(const Port& p, Malformed kind) {
  return p.stats().total.malformed[static_cast<std::size_t>(kind)];
}

// After the hostile packet: everything completed, and a good frame still flows.
void expect_survived(OpenPort& o) {
  RxBuffers rx(8);
  (void)o.port->rx_burst(0, rx.pkts.data(), 8);
  const auto good = make_frame(64, 0x42);
  o.host->send_frames(0, {good});
  ASSERT_EQ(o.port->rx_burst(0, rx.pkts.data(), 8), 1);
  EXPECT_EQ(std::vector<std::byte>(rx.pkts[0].frame().begin(), rx.pkts[0].frame().end()), good);
  o.host->poll();
  EXPECT_TRUE(o.host->outstanding_rx.empty()) << "a receive was never completed";
}

TEST(Hostile, WrongPagesetIsCountedAndCompletedWithFailure) {
  OpenPort o = open_port();
  const std::uint64_t id = o.host->send_transfer_page(0, 0xface, {{64, 0}});
  RxBuffers rx(8);
  EXPECT_EQ(o.port->rx_burst(0, rx.pkts.data(), 8), 0);
  EXPECT_EQ(malformed(*o.port, Malformed::pageset_id), 1u);
  o.host->poll();
  EXPECT_EQ(o.host->rx_completion_status[id], nvsp::raw(nvsp::Status::failure));
  expect_survived(o);
}

TEST(Hostile, TooManyRangesAndZeroRanges) {
  OpenPort o = open_port();
  std::vector<std::pair<std::uint32_t, std::uint32_t>> many(563, {64, 0});
  o.host->send_transfer_page(0, 0xcafe, many);
  o.host->send_transfer_page(0, 0xcafe, {});
  RxBuffers rx(8);
  EXPECT_EQ(o.port->rx_burst(0, rx.pkts.data(), 8), 0);
  EXPECT_EQ(malformed(*o.port, Malformed::range_count), 2u);
  expect_survived(o);
}

TEST(Hostile, RangesPastTheReceiveBufferAreSkippedOthersDelivered) {
  OpenPort o = open_port();
  // One good frame in section 0, then ranges that overflow or overrun.
  std::array<std::byte, 256> msg{};
  rndis::PacketBuilder b(msg);
  const auto frame = make_frame(60, 9);
  const std::uint32_t len = *b.finish(frame);
  const std::uint32_t off = o.host->put_in_section(0, std::span(msg).first(len));
  const std::uint32_t size = static_cast<std::uint32_t>(o.host->recv_buffer().size());
  const std::uint64_t id = o.host->send_transfer_page(
      0, 0xcafe, {{0x40, 0xffffffe0u}, {len, off}, {2, size - 1}, {0, 0}, {0xffffffffu, 0x10}});
  RxBuffers rx(8);
  ASSERT_EQ(o.port->rx_burst(0, rx.pkts.data(), 8), 1);
  EXPECT_EQ(rx.pkts[0].length, 60u);
  EXPECT_EQ(malformed(*o.port, Malformed::range_bounds), 4u);
  o.host->poll();
  EXPECT_EQ(o.host->rx_completion_status[id], nvsp::raw(nvsp::Status::failure));
  expect_survived(o);
}

TEST(Hostile, MalformedRndisInsideRanges) {
  OpenPort o = open_port();
  const std::uint32_t sec = 1728;
  // msg_len past the range; a PACKET whose data runs past msg_len; a PPI
  // with size 0; an unknown RNDIS type; a reply nobody asked for.
  std::array<std::byte, 128> m{};
  wire::store(std::span(m), 0, rndis::MessageHeader{1, 200});
  const std::uint32_t a = o.host->put_in_section(10, std::span(m).first(64));

  std::array<std::byte, 128> p{};
  rndis::PacketBuilder b(p);
  const std::uint32_t plen = *b.finish(make_frame(40, 1));
  wire::store(std::span(p), 12, std::uint32_t{4000});  // data_len
  const std::uint32_t bo = o.host->put_in_section(11, std::span(p).first(plen));

  std::array<std::byte, 128> q{};
  rndis::PacketBuilder b2(q);
  ASSERT_TRUE(b2.add(ppi::Type::hash_value, 1).ok());
  const std::uint32_t qlen = *b2.finish(make_frame(40, 1));
  wire::store(std::span(q), 44, std::uint32_t{0});  // first PPI's size
  const std::uint32_t co = o.host->put_in_section(12, std::span(q).first(qlen));

  std::array<std::byte, 16> u{};
  wire::store(std::span(u), 0, rndis::MessageHeader{0x1234, 16});
  const std::uint32_t uo = o.host->put_in_section(13, u);

  std::array<std::byte, 64> r{};
  const std::uint32_t rlen = *rndis::write_set_complete(777, 0, r);
  const std::uint32_t ro = o.host->put_in_section(14, std::span(r).first(rlen));

  o.host->send_transfer_page(0, 0xcafe, {{64, a}, {plen, bo}, {qlen, co}, {16, uo}, {rlen, ro}});
  (void)sec;
  RxBuffers rx(8);
  EXPECT_EQ(o.port->rx_burst(0, rx.pkts.data(), 8), 0);
  EXPECT_EQ(malformed(*o.port, Malformed::rndis_framing), 1u);
  EXPECT_EQ(malformed(*o.port, Malformed::rndis_packet), 2u);
  EXPECT_EQ(malformed(*o.port, Malformed::rndis_unknown_type), 1u);
  EXPECT_EQ(malformed(*o.port, Malformed::rndis_unexpected_reply), 1u);
  EXPECT_EQ(o.port->stats().total.rx_errors, 2u);
  expect_survived(o);
}

TEST(Hostile, TransferPageWithTheWrongNvspMessageIsStillCompleted) {
  OpenPort o = open_port();
  const std::uint64_t id = o.host->send_transfer_page(0, 0xcafe, {{64, 0}}, /*nvsp_ok=*/false);
  RxBuffers rx(8);
  EXPECT_EQ(o.port->rx_burst(0, rx.pkts.data(), 8), 0);
  EXPECT_EQ(malformed(*o.port, Malformed::nvsp_unexpected_type), 1u);
  o.host->poll();
  EXPECT_EQ(o.host->rx_completion_status.count(id), 1u);
  expect_survived(o);
}

TEST(Hostile, InventedAndDuplicateSendCompletions) {
  HostOptions h;
  h.complete_sends = false;
  OpenPort o = open_port(h);
  auto f = make_frame(64, 1);
  TxPacket tx{.frame = f};
  ASSERT_EQ(o.port->tx_burst(0, &tx, 1), 1);
  o.host->poll();
  o.host->complete_held();
  const auto ok = nvsp::encode(nvsp::SendRndisPacketComplete{1});
  // A slot one past the table (DPDK's off-by-one), an unknown queue, and
  // reserved bits; then a duplicate of the real one, and a bad payload.
  o.host->send_raw(0, vmbus::packet::completion(512, ok.bytes()));
  o.host->send_raw(0, vmbus::packet::completion(std::uint64_t{7} << 48, ok.bytes()));
  o.host->send_raw(0, vmbus::packet::completion(std::uint64_t{1} << 60, ok.bytes()));
  const auto bad = nvsp::encode(nvsp::InitComplete{0, 0, 1});
  o.host->send_raw(0, vmbus::packet::completion(0, bad.bytes()));
  RxBuffers rx(8);
  (void)o.port->rx_burst(0, rx.pkts.data(), 8);
  EXPECT_EQ(malformed(*o.port, Malformed::completion_trans_id), 3u);
  EXPECT_EQ(malformed(*o.port, Malformed::completion_payload), 1u);
  EXPECT_EQ(o.port->stats().total.tx_completions, 1u);
  std::uint64_t cookie;
  EXPECT_EQ(o.port->tx_reclaim(0, &cookie, 1), 0);
  EXPECT_EQ(o.port->tx_outstanding(0), 0u);
  expect_survived(o);
}

TEST(Hostile, UnknownPacketTypesNotesAndBadIndirectionTables) {
  OpenPort o = open_port();
  // A GPA-direct packet: valid VMBus, but nothing a host sends a netvsc guest.
  vmbus::GpaDirectHeader ranges;
  ASSERT_TRUE(ranges.add_page(8, 0, 1).ok());
  const auto junk = make_frame(16, 0);
  o.host->send_raw(0, vmbus::packet::gpa_direct(ranges, junk, 5));
  o.host->send_raw(0, vmbus::packet::inband({}, 1));  // no NVSP header at all
  std::array<std::byte, 40> table{};
  wire::store(std::span(table), 0, nvsp::raw(nvsp::MessageType::send_indirection_table));
  wire::store(std::span(table), 4, std::uint32_t{16});
  wire::store(std::span(table), 8, std::uint32_t{0xfffffff0u});  // offset far away
  o.host->send_raw(0, vmbus::packet::inband(table, 2));
  const auto unexpected = nvsp::encode(nvsp::SendRndisPacketComplete{1});
  o.host->send_raw(0, vmbus::packet::inband(unexpected.bytes(), 3));
  // And a good table.
  nvsp::SendTable good;
  for (std::uint32_t i = 0; i < 16; ++i) good.entries[i] = i % 2;
  std::array<std::byte, nvsp::kSendIndirectionTableMessageSize> gbytes{};
  ASSERT_TRUE(nvsp::encode_send_indirection_table(good, gbytes).ok());
  o.host->send_raw(0, vmbus::packet::inband(gbytes, 4));
  RxBuffers rx(8);
  (void)o.port->rx_burst(0, rx.pkts.data(), 8);
  EXPECT_EQ(malformed(*o.port, Malformed::unknown_packet_type), 1u);
  EXPECT_EQ(malformed(*o.port, Malformed::nvsp_short), 1u);
  EXPECT_EQ(malformed(*o.port, Malformed::indirection_table), 1u);
  EXPECT_EQ(malformed(*o.port, Malformed::nvsp_unexpected_type), 1u);
  EXPECT_EQ(o.port->host_send_table()[3], 1u);
  expect_survived(o);
}

TEST(Hostile, ACompletionStormOnAFullRingNeverLosesAReceive) {
  HostOptions h;
  h.ring_data_size = 4096;  // the guest's TX ring fills with completions
  OpenPort o = open_port(h);
  RxBuffers rx(64);
  int delivered = 0;
  for (int round = 0; round < 40; ++round) {
    o.host->send_frames(0, {make_frame(60, 1)});
    delivered += o.port->rx_burst(0, rx.pkts.data(), 64);  // the host reads nothing meanwhile
  }
  EXPECT_EQ(delivered, 40);
  for (int i = 0; i < 50 && !o.host->outstanding_rx.empty(); ++i) {
    o.host->poll();
    (void)o.port->rx_burst(0, rx.pkts.data(), 64);  // retries the stashed completions
  }
  EXPECT_TRUE(o.host->outstanding_rx.empty());
}

TEST(Hostile, RescindStopsBurstsCleanly) {
  OpenPort o = open_port();
  o.host->channel(0).guest->mark_rescinded();  // what Device does on EIO
  RxBuffers rx(8);
  EXPECT_EQ(o.port->rx_burst(0, rx.pkts.data(), 8), 0);
  auto f = make_frame(64, 1);
  TxPacket tx{.frame = f};
  EXPECT_EQ(o.port->tx_burst(0, &tx, 1), 0);
  EXPECT_TRUE(o.port->rescinded());
  EXPECT_FALSE(o.port->set_packet_filter(1).ok());
  o.port.reset();  // nothing sent to a rescinded device, no wait
  EXPECT_FALSE(o.host->halted);
}

}  // namespace
}  // namespace netvsc::test
