// Conformance, data path: with 1, 2 and 4 queues and MTU 9000 on both
// sides, NETVSC_CONFORMANCE_FRAMES frames (default 1,000,000 per
// configuration) of 60..9000 bytes over many TCP flows go out and come back
// through hvsim's loopback: each exactly once, on its flow's RSS queue, in
// per-flow order, byte for byte; GPA-direct cookies each come back once; the
// driver's and the host's counters agree with what was sent.
#include <gtest/gtest.h>

#include <ostream>

#include "flow_pump.h"
#include "nic_harness.h"

namespace netvsc_ct {
namespace {

struct IntegrityCase {
  std::uint16_t queues;
  std::uint32_t tx_copybreak;  // frames above it go GPA-direct
  const char* name;
};

// gtest prints the parameter in test listings (and ctest's names): its name.
void PrintTo(const IntegrityCase& c, std::ostream* os) { *os << c.name; }

class FlowIntegrity : public ::testing::TestWithParam<IntegrityCase> {};

TEST_P(FlowIntegrity, EveryFrameComesBackOnceInOrderOnItsFlowsQueueWithItsBytes) {
  const IntegrityCase c = GetParam();
  NicSim sim({.nic = {{"mtu", 9000}}, .subchannels = static_cast<unsigned>(c.queues - 1)});
  netvsc::PortConfig config;
  config.queues = c.queues;
  config.mtu = 9000;
  config.tx_copybreak = c.tx_copybreak;
  netvsc::OpenedPort opened = sim.open(config);
  netvsc::Port& port = *opened.port;
  ASSERT_EQ(port.queue_count(), c.queues);
  ASSERT_EQ(port.info().mtu, 9000u);

  const std::uint64_t frames = conformance_frames();
  const std::uint64_t per_queue = (frames + c.queues - 1) / c.queues;
  FlowPump pump(*opened.device, port, make_flows(64u * c.queues, c.queues), {.frames_per_queue = per_queue});
  const PumpResult r = pump.run();
  std::printf("[ netvsc conformance ] %u queue(s), tx_copybreak %u: %s\n", c.queues, c.tx_copybreak,
              r.report().c_str());
  RecordProperty("frames", std::to_string(r.total.received));

  EXPECT_EQ(r.failures, 0u) << r.report();
  EXPECT_EQ(r.total.sent, per_queue * c.queues);
  EXPECT_EQ(r.total.received, r.total.sent);
  EXPECT_EQ(r.total.smallest, kMinFrame);
  EXPECT_EQ(r.total.largest, kMaxJumboFrame);
  EXPECT_GT(r.total.gpa_sent, 0u) << "jumbo frames do not fit a send section: they go GPA-direct";
  EXPECT_EQ(r.total.cookies, r.total.gpa_sent);
  for (std::uint16_t q = 0; q < c.queues; ++q) EXPECT_EQ(r.queues[q].received, per_queue) << "queue " << q;

  // The driver counted what went through and nothing else.
  const netvsc::PortStats s = port.stats();
  EXPECT_EQ(s.total.tx_packets, r.total.sent);
  EXPECT_EQ(s.total.rx_packets, r.total.received);
  EXPECT_EQ(s.total.rx_bytes, r.total.bytes);
  EXPECT_EQ(s.total.tx_bytes, r.total.bytes);
  EXPECT_EQ(s.total.tx_gpa_direct, r.total.gpa_sent);
  EXPECT_EQ(s.total.tx_errors, 0u);
  EXPECT_EQ(s.total.rx_errors, 0u);
  EXPECT_EQ(s.total.rx_dropped_too_small, 0u);
  EXPECT_EQ(s.total.rx_dropped_control, 0u);
  EXPECT_EQ(s.total.malformed_total(), 0u);
  for (std::uint16_t q = 0; q < c.queues; ++q) {
    EXPECT_EQ(s.queues[q].tx_packets, r.queues[q].sent) << "queue " << q;
    EXPECT_EQ(s.queues[q].rx_packets, r.queues[q].received) << "queue " << q;
    EXPECT_EQ(port.tx_outstanding(q), 0u) << "queue " << q;
  }

  // The host saw the same: every frame in and out, none dropped.
  const nlohmann::json nic = sim.nic_counters();
  EXPECT_EQ(nic.at("tx_frames").get<std::uint64_t>(), r.total.sent) << nic.dump();
  EXPECT_EQ(nic.at("rx_frames").get<std::uint64_t>(), r.total.sent) << nic.dump();
  for (const auto& [key, value] : nic.items()) {
    if (key.rfind("drop_", 0) == 0) {
      EXPECT_EQ(value.get<std::uint64_t>(), 0u) << key << " in " << nic.dump();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Queues, FlowIntegrity,
                         ::testing::Values(IntegrityCase{1, 512, "OneQueue"}, IntegrityCase{2, 2048, "TwoQueues"},
                                           IntegrityCase{4, 9000, "FourQueues"}),
                         [](const ::testing::TestParamInfo<IntegrityCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace netvsc_ct
