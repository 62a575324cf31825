// Conformance, well-framed host messages that say something wrong, injected
// by hvsim (`hvsim ctl fault eth0 KIND [--relid R]`, the NIC host's payload
// faults, hvsim/faults.h): the next transfer-page packet with received
// frames names another pageset, no ranges, or a range past the receive
// buffer; the next received frame's RNDIS msg_len overruns its range, or its
// PACKET_MSG data lies past msg_len; the next send completion carries a
// trans_id that names no send. The driver must drop exactly that message,
// count it once by the check that failed (netvsc::Malformed), complete the
// receive anyway (the host gets its receive slots back: a leaked slot is a
// bug, netvsc_receive completes with NVSP_STAT_FAIL), and keep moving
// traffic on the same port, without reopening it.
//
// The lost completion: the send it should have completed is never
// completed. Linux (netvsc_send_completion, "Invalid transaction ID") and
// DPDK leak that one descriptor; so does the driver (tx_outstanding stays
// 1), but the sends behind it must still retire, or the queue runs out of
// descriptors and send sections and stops.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>

#include "flow_pump.h"
#include "nic_harness.h"
#include "traffic_checks.h"

namespace netvsc_ct {
namespace {

struct PayloadCase {
  const char* fault;          // hvsim's kind
  netvsc::Malformed counted;  // the driver's check that must fail
  bool loses_the_frame;       // an RX corruption: the frame it carried is dropped
};

void PrintTo(const PayloadCase& c, std::ostream* os) { *os << c.fault; }  // gtest names the case

const PayloadCase kCases[] = {
    {"corrupt-pageset-id", netvsc::Malformed::pageset_id, true},
    {"corrupt-range-count", netvsc::Malformed::range_count, true},
    {"corrupt-range-bounds", netvsc::Malformed::range_bounds, true},
    {"corrupt-rndis-length", netvsc::Malformed::rndis_framing, true},
    {"corrupt-rndis-packet", netvsc::Malformed::rndis_packet, true},
    {"corrupt-completion-id", netvsc::Malformed::completion_trans_id, false},
};

// A checked run of `frames_per_queue` frames on each queue of `queues` (all if empty).
PumpResult traffic_with_lost_sends(netvsc::OpenedPort& opened, std::uint64_t frames_per_queue, std::vector<std::uint16_t> queues = {},
                   std::vector<std::uint32_t> lost_sends = {}) {
  netvsc::Port& port = *opened.port;
  std::vector<Flow> flows;
  for (Flow f : make_flows(16u * port.queue_count(), port.queue_count())) {
    if (!queues.empty() && std::find(queues.begin(), queues.end(), f.queue) == queues.end()) continue;
    f.id = static_cast<std::uint32_t>(flows.size());
    flows.push_back(f);
  }
  FlowPump pump(*opened.device, port, flows,
                {.frames_per_queue = frames_per_queue, .max_frame = kMaxStandardFrame, .lost_sends = lost_sends});
  return pump.run();
}

std::uint64_t channel_faults(const NicSim& sim, std::uint32_t subchannel_id) {
  const nlohmann::json stats = sim.ctl({"stats", kNic});
  for (const nlohmann::json& c : stats.at("devices").at(0).at("channels")) {
    if (c.at("subchannel_id") == subchannel_id) return c.at("counters").at("faults_injected").get<std::uint64_t>();
  }
  throw std::runtime_error("ctl stats eth0: no channel with subchannel_id " + std::to_string(subchannel_id));
}

std::uint64_t host_slots_in_use(const NicSim& sim) { return sim.nic_counters().at("slots_in_use").get<std::uint64_t>(); }

// Polls every queue (and reclaims) until the host has every receive slot
// back and the driver has exactly `outstanding` sends in flight per queue.
bool settle(const NicSim& sim, netvsc::Port& port, std::uint32_t outstanding_on_queue0) {
  return eventually(
      [&] {
        for (std::uint16_t q = 0; q < port.queue_count(); ++q) {
          if (port.tx_outstanding(q) != (q == 0 ? outstanding_on_queue0 : 0)) return false;
        }
        return host_slots_in_use(sim) == 0;
      },
      [&] {
        (void)poll_all(port);
        std::uint64_t cookies[16];
        for (std::uint16_t q = 0; q < port.queue_count(); ++q) (void)port.tx_reclaim(q, cookies, 16);
      });
}

// One frame of `flow` on `queue`; polls that queue until it comes back or
// `counted` is seen on it. Returns whether the frame came back.
bool one_frame(netvsc::Port& port, std::uint16_t queue, const Flow& flow, std::uint64_t seq, netvsc::Malformed counted) {
  std::vector<std::byte> frame(200), storage(2048);
  build_frame(frame, port.mac(), flow, seq);
  netvsc::TxPacket tx{.frame = frame};
  netvsc::RxPacket rx{.buffer = storage};
  if (port.tx_burst(queue, &tx, 1) != 1) return false;
  bool back = false;
  // Keep receiving whatever happened already: a completion-id fault is
  // counted when the send's completion is processed, which may be before or
  // after the frame itself comes back. So: wait for the fault to be counted,
  // then (briefly) for the frame too.
  const auto poll = [&] {
    if (port.rx_burst(queue, &rx, 1) == 1) back = true;
  };
  (void)eventually([&] { return malformed(port.stats().queues[queue], counted) != 0; }, poll);
  (void)eventually([&] { return back; }, poll, std::chrono::milliseconds(200));
  return back;
}

class PayloadFault : public ::testing::TestWithParam<PayloadCase> {};

TEST_P(PayloadFault, DropsThatMessageCountsItCompletesItAndTheSamePortCarriesOn) {
  const PayloadCase c = GetParam();
  NicSim sim;
  netvsc::OpenedPort opened = sim.open();
  netvsc::Port& port = *opened.port;
  const PumpResult before = traffic_with_lost_sends(opened, 2000);
  ASSERT_EQ(before.failures, 0u) << before.report();
  ASSERT_TRUE(settle(sim, port, 0));
  ASSERT_EQ(port.stats().total.malformed_total(), 0u);

  sim.ctl({"fault", kNic, c.fault});
  const Flow flow = make_flows(1, 1)[0];
  const bool back = one_frame(port, 0, flow, 0, c.counted);
  EXPECT_EQ(back, !c.loses_the_frame);
  // Once, by the right kind, and nothing else blamed.
  ASSERT_TRUE(settle(sim, port, c.loses_the_frame ? 0 : 1))
      << "receive slots in use at the host: " << host_slots_in_use(sim) << ", sends in flight: "
      << port.tx_outstanding(0) << "\n"
      << sim.log();
  netvsc::PortStats s = port.stats();
  EXPECT_EQ(malformed(s.total, c.counted), 1u);
  EXPECT_EQ(s.total.malformed_total(), 1u);
  EXPECT_EQ(channel_faults(sim, 0), 1u);
  if (c.loses_the_frame) {
    EXPECT_EQ(port.tx_outstanding(0), 0u);
  } else {
    // The send the lost completion named stays in flight for good (its
    // descriptor and section leak, as in Linux and DPDK).
    EXPECT_EQ(port.tx_outstanding(0), 1u);
  }

  // The same port: frames sent from now on all come back, far past the
  // queue's descriptors (512) and send sections.
  const PumpResult after = traffic_with_lost_sends(opened, 5000, {}, {c.loses_the_frame ? 0u : 1u});
  EXPECT_EQ(after.failures, 0u) << after.report();
  EXPECT_EQ(after.total.received, 5000u);
  EXPECT_FALSE(port.rescinded());
  ASSERT_TRUE(settle(sim, port, c.loses_the_frame ? 0 : 1)) << "receive slots in use: " << host_slots_in_use(sim);
  s = port.stats();
  EXPECT_EQ(s.total.malformed_total(), 1u) << "the fault fired once";
  EXPECT_EQ(channel_faults(sim, 0), 1u);
  EXPECT_EQ(s.total.rx_errors, c.counted == netvsc::Malformed::rndis_packet ? 1u : 0u);
}

INSTANTIATE_TEST_SUITE_P(Kinds, PayloadFault, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<PayloadCase>& i) { return fault_test_name(i.param.fault); });

// On a subchannel: only that queue's next frame is lost; queue 0 is not
// touched while the fault waits, nor after it fired.
TEST(PayloadFaultOnASubchannel, OnlyThatQueuesNextFrameIsLost) {
  NicSim sim({.subchannels = 1});
  netvsc::PortConfig config;
  config.queues = 2;
  netvsc::OpenedPort opened = sim.open(config);
  netvsc::Port& port = *opened.port;
  ASSERT_EQ(port.queue_count(), 2);
  const std::string relid = sim.subchannel_relid(1);  // queue 1's
  ASSERT_FALSE(relid.empty()) << sim.process().device(kNic).dump();
  sim.ctl({"fault", kNic, "corrupt-rndis-packet", "--relid", relid});

  // Queue 0's traffic does not fire it.
  const PumpResult q0 = traffic_with_lost_sends(opened, 3000, {0});
  EXPECT_EQ(q0.failures, 0u) << q0.report();
  EXPECT_EQ(channel_faults(sim, 1), 0u);

  // Queue 1's next frame does.
  Flow flow{};
  for (const Flow& f : make_flows(32, 2)) {
    if (f.queue == 1) flow = f;
  }
  ASSERT_EQ(flow.queue, 1);
  EXPECT_FALSE(one_frame(port, 1, flow, 0, netvsc::Malformed::rndis_packet));
  ASSERT_TRUE(settle(sim, port, 0)) << "receive slots in use: " << host_slots_in_use(sim);
  netvsc::PortStats s = port.stats();
  EXPECT_EQ(malformed(s.queues[1], netvsc::Malformed::rndis_packet), 1u);
  EXPECT_EQ(s.queues[0].malformed_total(), 0u);
  EXPECT_EQ(s.total.malformed_total(), 1u);
  EXPECT_EQ(channel_faults(sim, 1), 1u);
  EXPECT_EQ(channel_faults(sim, 0), 0u);

  // Both queues carry on.
  const PumpResult after = traffic_with_lost_sends(opened, 3000);
  EXPECT_EQ(after.failures, 0u) << after.report();
  EXPECT_EQ(after.queues[0].received, 3000u);
  EXPECT_EQ(after.queues[1].received, 3000u);
  EXPECT_FALSE(port.rescinded());
  ASSERT_TRUE(settle(sim, port, 0));
  EXPECT_EQ(port.stats().total.malformed_total(), 1u);
}

}  // namespace
}  // namespace netvsc_ct
