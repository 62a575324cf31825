// Conformance, malformed host messages, injected by hvsim (`hvsim ctl fault
// eth0 KIND [--relid R]`): the descriptor of the next packet the host writes
// into a queue's RX ring corrupted (corrupt-length, corrupt-offset,
// corrupt-type), or a ring index published out of range before the host
// stops serving the channel (corrupt-rx-index: the RX write_index;
// corrupt-tx-index: the TX read_index). The driver must count it by kind
// (Malformed::ring_corrupt: a ring whose writer broke the VMBus framing
// cannot be read past that point), stop that queue without crashing,
// hanging or reading out of bounds, keep the other queues going, and move
// traffic again once the port is opened anew (the fault fires once).
#include <gtest/gtest.h>

#include <algorithm>

#include "flow_pump.h"
#include "nic_harness.h"
#include "traffic_checks.h"

namespace netvsc_ct {
namespace {

// A checked run of `frames_per_queue` frames on every queue, over flows of `queues` only.
PumpResult traffic(netvsc::OpenedPort& opened, std::uint64_t frames_per_queue,
                   std::vector<std::uint16_t> queues = {},
                   std::chrono::milliseconds stall_timeout = std::chrono::milliseconds(5000)) {
  netvsc::Port& port = *opened.port;
  std::vector<Flow> flows = make_flows(16u * port.queue_count(), port.queue_count());
  if (!queues.empty()) {
    std::vector<Flow> kept;
    for (Flow f : flows) {
      if (std::find(queues.begin(), queues.end(), f.queue) == queues.end()) continue;
      f.id = static_cast<std::uint32_t>(kept.size());
      kept.push_back(f);
    }
    flows = kept;
  }
  FlowPump pump(*opened.device, port, flows,
                {.frames_per_queue = frames_per_queue, .max_frame = kMaxStandardFrame,
                 .stall_timeout = stall_timeout});
  return pump.run();
}

class HostFault : public ::testing::TestWithParam<const char*> {};

TEST_P(HostFault, OnThePrimaryIsCountedTheQueueStopsAndAReopenedPortWorks) {
  NicSim sim;
  netvsc::OpenedPort opened = sim.open();
  netvsc::Port& port = *opened.port;
  PumpResult before = traffic(opened, 2000);
  ASSERT_EQ(before.failures, 0u) << before.report();

  sim.ctl({"fault", kNic, GetParam()});
  // The next packet the host writes (a frame's transfer page, or a send
  // completion) carries the corrupt descriptor.
  std::vector<std::byte> frame(200), storage(2048);
  build_frame(frame, port.mac(), make_flows(1, 1)[0], 0);
  netvsc::TxPacket tx{.frame = frame};
  netvsc::RxPacket rx{.buffer = storage};
  ASSERT_EQ(port.tx_burst(0, &tx, 1), 1);
  ASSERT_TRUE(eventually([&] { return malformed(port.stats().total, netvsc::Malformed::ring_corrupt) == 1; },
                         [&] {
                           (void)port.rx_burst(0, &rx, 1);
                           (void)port.tx_burst(0, &tx, 1);
                         }))
      << "the corruption was not counted";
  EXPECT_EQ(sim.primary_channel_counters().at("faults_injected").get<std::uint64_t>(), 1u);
  // Counted once, nothing else blamed; the queue is stopped, not the process.
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(port.rx_burst(0, &rx, 1), 0);
    EXPECT_EQ(port.tx_burst(0, &tx, 1), 0);
  }
  const netvsc::PortStats s = port.stats();
  EXPECT_EQ(malformed(s.total, netvsc::Malformed::ring_corrupt), 1u);
  EXPECT_EQ(s.total.malformed_total(), 1u);
  EXPECT_FALSE(port.rescinded());

  // The fault fired once (it is spent); a port opened anew moves traffic.
  close(opened);
  opened = sim.open();
  const PumpResult after = traffic(opened, 5000);
  EXPECT_EQ(after.failures, 0u) << after.report();
  EXPECT_EQ(after.total.received, 5000u);
  EXPECT_EQ(opened.port->stats().total.malformed_total(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Kinds, HostFault,
                         ::testing::Values("corrupt-length", "corrupt-offset", "corrupt-type", "corrupt-rx-index",
                                           "corrupt-tx-index"),
                         [](const ::testing::TestParamInfo<const char*>& i) { return fault_test_name(i.param); });

TEST(HostFaultOnASubchannel, OnlyThatQueueStopsTheOthersCarryOn) {
  NicSim sim({.subchannels = 1});
  netvsc::PortConfig config;
  config.queues = 2;
  netvsc::OpenedPort opened = sim.open(config);
  netvsc::Port& port = *opened.port;
  ASSERT_EQ(port.queue_count(), 2);
  const std::string relid = sim.subchannel_relid(1);  // queue 1's
  ASSERT_FALSE(relid.empty()) << sim.process().device(kNic).dump();
  sim.ctl({"fault", kNic, "corrupt-type", "--relid", relid});

  // Traffic on both queues: queue 1 meets the corrupt descriptor and stops.
  const PumpResult r = traffic(opened, 1000, {}, std::chrono::milliseconds(1000));
  std::printf("[ netvsc conformance ] after a corrupt descriptor on queue 1: received %llu on queue 0, %llu on "
              "queue 1 (which stopped)\n",
              static_cast<unsigned long long>(r.queues[0].received),
              static_cast<unsigned long long>(r.queues[1].received));
  const netvsc::PortStats s = port.stats();
  EXPECT_EQ(malformed(s.queues[1], netvsc::Malformed::ring_corrupt), 1u);
  EXPECT_EQ(malformed(s.queues[0], netvsc::Malformed::ring_corrupt), 0u);
  EXPECT_EQ(r.queues[0].received, 1000u) << "queue 0 is not affected";
  EXPECT_LT(r.queues[1].received, 1000u);

  // Queue 0 keeps going with flows of its own.
  const PumpResult more = traffic(opened, 3000, {0});
  EXPECT_EQ(more.failures, 0u) << more.report();
  EXPECT_EQ(more.queues[0].received, 3000u);
}

}  // namespace
}  // namespace netvsc_ct
