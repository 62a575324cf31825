// Conformance, rescind: `hvsim ctl rescind eth0` while every queue moves
// traffic. The port notices (rescinded()), every burst returns 0, control
// calls fail, nothing crashes or hangs and tearing down is quick; then
// `hvsim ctl reoffer eth0` offers the device again and a new port opens on
// it and moves traffic.
#include <gtest/gtest.h>

#include <future>

#include "flow_pump.h"
#include "nic_harness.h"
#include "traffic_checks.h"

namespace netvsc_ct {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(Rescind, DuringTrafficStopsThePortCleanlyAndAReofferedDeviceWorks) {
  NicSim sim({.subchannels = 1});
  netvsc::PortConfig config;
  config.queues = 2;
  netvsc::OpenedPort opened = sim.open(config);
  netvsc::Port& port = *opened.port;
  ASSERT_EQ(port.queue_count(), 2);

  // Traffic on both queues until the rescind stops it.
  FlowPump pump(*opened.device, port, make_flows(32, 2),
                {.frames_per_queue = std::uint64_t{1} << 40, .max_frame = kMaxStandardFrame,
                 .stall_timeout = milliseconds(10'000), .stop_on_rescind = true});
  std::future<PumpResult> running = std::async(std::launch::async, [&] { return pump.run(); });
  ASSERT_TRUE(eventually([&] { return pump.received() >= 20'000; })) << "no traffic before the rescind";
  const auto rescinded_at = steady_clock::now();
  sim.ctl({"rescind", kNic});
  ASSERT_EQ(running.wait_for(std::chrono::seconds(15)), std::future_status::ready) << "the queues did not stop";
  const PumpResult r = running.get();
  const auto noticed = std::chrono::duration_cast<milliseconds>(steady_clock::now() - rescinded_at);
  std::printf("[ netvsc conformance ] rescind noticed after %lld ms; before it: %s\n",
              static_cast<long long>(noticed.count()), r.report().c_str());
  EXPECT_TRUE(r.rescinded);
  EXPECT_EQ(r.failures, 0u) << "frames before the rescind were intact and in order: " << r.report();
  EXPECT_TRUE(port.rescinded());

  // Everything on a rescinded port returns nothing, at once.
  std::vector<std::byte> storage(2048), frame(100);
  build_frame(frame, port.mac(), make_flows(1, 1)[0], 0);
  netvsc::RxPacket rx{.buffer = storage};
  netvsc::TxPacket tx{.frame = frame};
  std::uint64_t cookie = 0;
  for (std::uint16_t q = 0; q < 2; ++q) {
    EXPECT_EQ(port.tx_burst(q, &tx, 1), 0) << "queue " << q;
    EXPECT_EQ(port.rx_burst(q, &rx, 1), 0) << "queue " << q;
    EXPECT_EQ(port.tx_reclaim(q, &cookie, 1), 0) << "queue " << q;
  }
  const auto t0 = steady_clock::now();
  const vmbus::Status filter = port.set_packet_filter(netvsc::ndis::kPacketTypePromiscuous);
  EXPECT_FALSE(filter);
  if (!filter) {
    EXPECT_EQ(filter.error().code, vmbus::Errc::rescinded) << filter.error().message();
  }
  EXPECT_LT(steady_clock::now() - t0, milliseconds(1000)) << "a control call on a rescinded port must not wait";

  // Teardown of port, device and claim is quick (close sends nothing).
  const auto t1 = steady_clock::now();
  close(opened);
  EXPECT_LT(steady_clock::now() - t1, milliseconds(3000));

  // The host offers it again: a new port opens and moves traffic.
  sim.ctl({"reoffer", kNic});
  netvsc::OpenedPort again = sim.open(config);
  EXPECT_EQ(again.port->queue_count(), 2);
  EXPECT_FALSE(again.port->rescinded());
  expect_traffic(again, 5000);
}

TEST(Rescind, AnIdlePortNoticesToo) {
  NicSim sim;
  netvsc::OpenedPort opened = sim.open();
  netvsc::Port& port = *opened.port;
  sim.ctl({"rescind", kNic});
  EXPECT_TRUE(eventually([&] { return port.rescinded(); }, [&] { poll_all(port); }))
      << "rx_burst polling alone must notice the rescind";
  close(opened);
  sim.ctl({"reoffer", kNic});
  netvsc::OpenedPort again = sim.open();
  expect_traffic(again, 2000);
}

}  // namespace
}  // namespace netvsc_ct
