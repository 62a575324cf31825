// Conformance, GPA-direct sends: a frame above tx_copybreak with a
// DmaRegion is sent in place (the host reads it by guest physical address);
// one at or below it, or without a region, is copied into the send buffer;
// one too large to copy and without a region is refused. The cookie of each
// GPA-direct frame comes back through tx_reclaim exactly once, after the
// host is done, and the frame arrives intact.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "flow_pump.h"
#include "nic_harness.h"

namespace netvsc_ct {
namespace {

// Collects cookies until `want` arrived (and a little longer, to catch
// duplicates), receiving (and returning) frames meanwhile.
std::map<std::uint64_t, int> reclaim(netvsc::Port& port, std::size_t want, std::vector<std::vector<std::byte>>& frames) {
  std::map<std::uint64_t, int> seen;
  std::vector<std::byte> storage(9216);
  netvsc::RxPacket rx{.buffer = storage};
  std::size_t total = 0;
  auto step = [&] {
    std::uint64_t c[8];
    const std::uint16_t n = port.tx_reclaim(0, c, 8);
    for (std::uint16_t i = 0; i < n; ++i) ++seen[c[i]];
    total += n;
    while (port.rx_burst(0, &rx, 1) == 1) frames.emplace_back(rx.frame().begin(), rx.frame().end());
  };
  eventually([&] { return total >= want; }, step);
  for (int i = 0; i < 20; ++i) {
    step();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return seen;
}

TEST(GpaDirect, TheCopybreakAndTheRegionDecideAndCookiesComeBackOnce) {
  NicSim sim({.nic = {{"mtu", 9000}}});
  netvsc::PortConfig config;
  config.mtu = 9000;
  config.tx_copybreak = 512;
  netvsc::OpenedPort opened = sim.open(config);
  netvsc::Port& port = *opened.port;
  vmbus::DmaRegion dma = opened.device->allocate_dma(64 * 1024);
  const Flow flow = make_flows(1, 1)[0];
  const netvsc::MacAddress mac = port.mac();
  std::vector<std::byte> copied_small(1000), too_large(9000);
  // In DMA memory: 100 bytes (copied: not above the copybreak), 1000 and
  // 9000 bytes, and 3000 bytes across a 4 KiB page boundary.
  const std::span<std::byte> small = dma.memory().subspan(0, 100);
  const std::span<std::byte> mid = dma.memory().subspan(8192, 1000);
  const std::span<std::byte> jumbo = dma.memory().subspan(16384, 9000);
  const std::span<std::byte> split = dma.memory().subspan(4096 * 7 - 1000, 3000);
  build_frame(small, mac, flow, 0);
  build_frame(mid, mac, flow, 1);
  build_frame(copied_small, mac, flow, 2);
  build_frame(too_large, mac, flow, 3);
  build_frame(jumbo, mac, flow, 4);
  build_frame(split, mac, flow, 5);
  const netvsc::TxPacket tx[] = {
      {.frame = small, .dma = &dma, .cookie = 10},  // copied
      {.frame = mid, .dma = &dma, .cookie = 11},    // GPA direct
      {.frame = copied_small},                      // copied: no region
      {.frame = too_large},                         // refused: no region and no section holds it
      {.frame = jumbo, .dma = &dma, .cookie = 12},  // GPA direct
      {.frame = split, .dma = &dma, .cookie = 13},  // GPA direct
  };
  EXPECT_EQ(port.tx_burst(0, tx, 6), 6) << "a refused frame is consumed and counted";
  std::vector<std::vector<std::byte>> got;
  const std::map<std::uint64_t, int> cookies = reclaim(port, 3, got);
  EXPECT_EQ(cookies, (std::map<std::uint64_t, int>{{11, 1}, {12, 1}, {13, 1}}));
  ASSERT_TRUE(eventually([&] { return got.size() >= 5; }, [&] { reclaim(port, 0, got); }));
  ASSERT_EQ(got.size(), 5u);
  const std::span<const std::byte> want[] = {small, mid, copied_small, jumbo, split};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(std::equal(want[i].begin(), want[i].end(), got[i].begin(), got[i].end())) << "frame " << i;
  }
  const netvsc::PortStats s = port.stats();
  EXPECT_EQ(s.total.tx_packets, 5u);
  EXPECT_EQ(s.total.tx_gpa_direct, 3u);
  EXPECT_EQ(s.total.tx_errors, 1u);
  EXPECT_EQ(s.total.rx_packets, 5u);
  EXPECT_EQ(port.tx_outstanding(0), 0u);
  EXPECT_EQ(sim.nic_counters().at("drop_split_header").get<std::uint64_t>(), 0u)
      << "the RNDIS header must lie in one GPA range";
}

TEST(GpaDirect, AHigherCopybreakCopiesWhatFitsASection) {
  NicSim sim;
  netvsc::PortConfig config;
  config.tx_copybreak = 2000;
  netvsc::OpenedPort opened = sim.open(config);
  netvsc::Port& port = *opened.port;
  vmbus::DmaRegion dma = opened.device->allocate_dma(8192);
  const std::span<std::byte> f = dma.memory().first(1500);
  build_frame(f, port.mac(), make_flows(1, 1)[0], 0);
  const netvsc::TxPacket tx{.frame = f, .dma = &dma, .cookie = 1};
  ASSERT_EQ(port.tx_burst(0, &tx, 1), 1);
  std::vector<std::vector<std::byte>> got;
  EXPECT_TRUE(reclaim(port, 0, got).empty()) << "a copied frame has no cookie";
  EXPECT_TRUE(eventually([&] { return !got.empty(); }, [&] { reclaim(port, 0, got); }));
  EXPECT_EQ(port.stats().total.tx_gpa_direct, 0u);
}

// Many GPA-direct frames on two queues: every cookie exactly once, every
// frame intact and in order (FlowPump), the counts agreeing.
TEST(GpaDirect, EveryFrameInPlaceOnTwoQueues) {
  NicSim sim({.subchannels = 1});
  netvsc::PortConfig config;
  config.queues = 2;
  config.tx_copybreak = 0;  // every frame with a region goes in place
  netvsc::OpenedPort opened = sim.open(config);
  netvsc::Port& port = *opened.port;
  ASSERT_EQ(port.queue_count(), 2);
  const std::uint64_t per_queue = std::max<std::uint64_t>(conformance_frames() / 20, 5000);
  FlowPump pump(*opened.device, port, make_flows(32, 2),
                {.frames_per_queue = per_queue, .max_frame = kMaxStandardFrame});
  const PumpResult r = pump.run();
  std::printf("[ netvsc conformance ] GPA direct: %s\n", r.report().c_str());
  EXPECT_EQ(r.failures, 0u) << r.report();
  EXPECT_EQ(r.total.received, 2 * per_queue);
  EXPECT_EQ(r.total.gpa_sent, 2 * per_queue);
  EXPECT_EQ(r.total.cookies, 2 * per_queue);
  const netvsc::PortStats s = port.stats();
  EXPECT_EQ(s.total.tx_gpa_direct, 2 * per_queue);
  EXPECT_EQ(s.total.tx_aggregated, 0u);
  EXPECT_EQ(s.total.tx_completions, 2 * per_queue) << "one send and one completion per frame";
  EXPECT_EQ(s.total.tx_errors, 0u);
  EXPECT_EQ(s.total.malformed_total(), 0u);
  EXPECT_EQ(sim.nic_counters().at("drop_split_header").get<std::uint64_t>(), 0u);
  EXPECT_EQ(sim.nic_counters().at("drop_malformed").get<std::uint64_t>(), 0u);
}

}  // namespace
}  // namespace netvsc_ct
