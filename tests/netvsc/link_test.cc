// Conformance, link indications: `hvsim ctl link eth0 down|up|speed N` makes
// the host send RNDIS_STATUS_MEDIA_DISCONNECT / _CONNECT / LINK_SPEED_CHANGE;
// the port's link callback fires with the new state, in order, link()
// reflects it, and frames flow only while the link is up.
#include <gtest/gtest.h>

#include <mutex>

#include "flow_frames.h"
#include "nic_harness.h"

namespace netvsc_ct {
namespace {

using netvsc::LinkEventKind;

// The events the callback saw (it runs on the thread of queue 0's burst).
struct EventLog {
  std::mutex mutex;
  std::vector<netvsc::LinkEvent> events;

  netvsc::LinkCallback callback() {
    return [this](const netvsc::LinkEvent& e) {
      std::lock_guard lock(mutex);
      events.push_back(e);
    };
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return events.size();
  }
  std::vector<netvsc::LinkEvent> copy() {
    std::lock_guard lock(mutex);
    return events;
  }
};

class LinkFlap : public ::testing::Test {
 protected:
  void open(const NicOptions& options = {}, std::uint16_t queues = 2) {
    sim_ = std::make_unique<NicSim>(options);
    netvsc::PortConfig config;
    config.queues = queues;
    config.on_link_change = log_.callback();
    opened_ = sim_->open(config);
  }
  // `hvsim ctl link eth0 ...`, then polls until `count` events were seen.
  bool flap(const std::vector<std::string>& what, std::size_t count) {
    std::vector<std::string> args{"link", kNic};
    args.insert(args.end(), what.begin(), what.end());
    sim_->ctl(args);
    return eventually([&] { return log_.size() >= count; }, [&] { poll_all(*opened_.port); });
  }

  EventLog log_;
  std::unique_ptr<NicSim> sim_;
  netvsc::OpenedPort opened_;
};

TEST_F(LinkFlap, DownUpAndSpeedFireTheCallbackInOrder) {
  open({.nic = {{"link_speed_mbps", 100000}}});
  netvsc::Port& port = *opened_.port;
  ASSERT_TRUE(port.link().up);
  ASSERT_EQ(port.link().speed_bps, 100'000'000'000u);
  EXPECT_EQ(log_.size(), 0u) << "no event for the state read at open";

  ASSERT_TRUE(flap({"down"}, 1));
  EXPECT_FALSE(port.link().up);
  ASSERT_TRUE(flap({"up"}, 2));
  EXPECT_TRUE(port.link().up);
  ASSERT_TRUE(flap({"speed", "40000"}, 3));
  EXPECT_EQ(port.link().speed_bps, 40'000'000'000u);
  EXPECT_TRUE(port.link().up);
  ASSERT_TRUE(flap({"down"}, 4));
  ASSERT_TRUE(flap({"speed", "1"}, 5));
  EXPECT_FALSE(port.link().up);
  EXPECT_EQ(port.link().speed_bps, 1'000'000u);
  ASSERT_TRUE(flap({"up"}, 6));

  const std::vector<netvsc::LinkEvent> e = log_.copy();
  ASSERT_EQ(e.size(), 6u);
  const LinkEventKind kinds[] = {LinkEventKind::disconnected, LinkEventKind::connected,
                                 LinkEventKind::speed_changed, LinkEventKind::disconnected,
                                 LinkEventKind::speed_changed, LinkEventKind::connected};
  const bool up[] = {false, true, true, false, false, true};
  const std::uint64_t speed[] = {100'000'000'000u, 100'000'000'000u, 40'000'000'000u,
                                 40'000'000'000u,  1'000'000u,       1'000'000u};
  for (std::size_t i = 0; i < e.size(); ++i) {
    EXPECT_EQ(e[i].kind, kinds[i]) << "event " << i;
    EXPECT_EQ(e[i].state.up, up[i]) << "event " << i;
    EXPECT_EQ(e[i].state.speed_bps, speed[i]) << "event " << i;
    EXPECT_EQ(e[i].state.mtu, 1500u) << "event " << i;
    EXPECT_EQ(e[i].queue, 0) << "indications come on the primary channel";
  }
  EXPECT_TRUE(port.link().up);
  EXPECT_EQ(port.stats().total.link_events, 6u);
  EXPECT_EQ(port.stats().queues[0].link_events, 6u);
  EXPECT_EQ(port.stats().total.malformed_total(), 0u);
  EXPECT_EQ(sim_->nic_counters().at("link"), "up");
}

TEST_F(LinkFlap, ALinkDownAtStartComesUp) {
  open({.nic = {{"link", "down"}}});
  netvsc::Port& port = *opened_.port;
  ASSERT_FALSE(port.link().up);
  ASSERT_TRUE(flap({"up"}, 1));
  const auto e = log_.copy();
  EXPECT_EQ(e[0].kind, LinkEventKind::connected);
  EXPECT_TRUE(e[0].state.up);
  EXPECT_TRUE(port.link().up);
}

TEST_F(LinkFlap, RapidFlapsAlternateAndEndInTheLastState) {
  open();
  netvsc::Port& port = *opened_.port;
  // Without waiting for each: the host may fold changes it had no pass
  // between, but what the guest sees must still alternate and end right.
  for (int i = 0; i < 5; ++i) {
    sim_->ctl({"link", kNic, "down"});
    sim_->ctl({"link", kNic, "up"});
  }
  sim_->ctl({"link", kNic, "down"});
  ASSERT_TRUE(eventually([&] { return !port.link().up && sim_->nic_counters().at("link") == "down"; },
                         [&] { poll_all(port); }));
  // Settle: the host's last indication is processed.
  for (int i = 0; i < 50; ++i) {
    poll_all(port);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const auto e = log_.copy();
  ASSERT_FALSE(e.empty());
  EXPECT_LE(e.size(), 11u);
  for (std::size_t i = 0; i < e.size(); ++i) {
    const bool want_up = i % 2 == 1;  // down first
    EXPECT_EQ(e[i].state.up, want_up) << "event " << i;
    EXPECT_EQ(e[i].kind, want_up ? LinkEventKind::connected : LinkEventKind::disconnected) << "event " << i;
  }
  EXPECT_FALSE(e.back().state.up);
  EXPECT_FALSE(port.link().up);
}

TEST_F(LinkFlap, FramesFlowOnlyWhileTheLinkIsUp) {
  open({}, 1);
  netvsc::Port& port = *opened_.port;
  const Flow flow = make_flows(1, 1)[0];
  std::vector<std::byte> storage(2048);
  netvsc::RxPacket rx{.buffer = storage};
  auto loops_back = [&](std::uint64_t seq) {
    std::vector<std::byte> frame(300);
    build_frame(frame, port.mac(), flow, seq);
    netvsc::TxPacket tx{.frame = frame};
    if (port.tx_burst(0, &tx, 1) != 1) return false;
    return eventually([&] { return port.rx_burst(0, &rx, 1) == 1; }, {}, std::chrono::milliseconds(300));
  };
  EXPECT_TRUE(loops_back(0));
  ASSERT_TRUE(flap({"down"}, 1));
  EXPECT_FALSE(loops_back(1));
  EXPECT_EQ(sim_->nic_counters().at("drop_filtered").get<std::uint64_t>(), 1u);
  ASSERT_TRUE(flap({"up"}, 2));
  EXPECT_TRUE(loops_back(2));
}

}  // namespace
}  // namespace netvsc_ct
