// Conformance, send-buffer aggregation (PortConfig::tx_aggregation, DPDK
// hn_try_txagg): on and off, every frame arrives; on, several small frames
// share one send-buffer section, so the driver makes fewer sends (each send
// gets one completion) and the host reads fewer packets from the ring.
#include <gtest/gtest.h>

#include "flow_pump.h"
#include "nic_harness.h"

namespace netvsc_ct {
namespace {

struct AggregationRun {
  PumpResult result;
  netvsc::PortStats stats;
  netvsc::PortInfo info;
  std::uint64_t host_packets_in = 0;  // guest -> host packets on the primary channel
  std::uint64_t host_signals = 0;
};

AggregationRun run(bool aggregation, std::uint64_t frames) {
  NicSim sim;
  netvsc::PortConfig config;
  config.tx_aggregation = aggregation;
  netvsc::OpenedPort opened = sim.open(config);
  AggregationRun out;
  out.info = opened.port->info();
  const nlohmann::json before = sim.primary_channel_counters();
  // Small frames (all copied) and a window wide enough that bursts are full.
  FlowPump pump(*opened.device, *opened.port, make_flows(32, 1),
                {.frames_per_queue = frames, .max_frame = 400, .window = 2048, .use_dma = false});
  out.result = pump.run();
  out.stats = opened.port->stats();
  const nlohmann::json after = sim.primary_channel_counters();
  out.host_packets_in = after.at("packets_in").get<std::uint64_t>() - before.at("packets_in").get<std::uint64_t>();
  out.host_signals = after.at("signals").get<std::uint64_t>() - before.at("signals").get<std::uint64_t>();
  return out;
}

TEST(TxAggregation, OnAndOffDeliverEverythingAndOnSendsFewerMessages) {
  const std::uint64_t frames = std::max<std::uint64_t>(conformance_frames() / 20, 5000);
  const AggregationRun on = run(true, frames);
  const AggregationRun off = run(false, frames);
  for (const AggregationRun* r : {&on, &off}) {
    const char* which = r == &on ? "aggregation on" : "aggregation off";
    std::printf("[ netvsc conformance ] %s: %s; %llu sends (completions), %llu frames aggregated, %llu guest "
                "signals, host read %llu packets and saw %llu signals\n",
                which, r->result.report().c_str(), static_cast<unsigned long long>(r->stats.total.tx_completions),
                static_cast<unsigned long long>(r->stats.total.tx_aggregated),
                static_cast<unsigned long long>(r->stats.total.signals),
                static_cast<unsigned long long>(r->host_packets_in), static_cast<unsigned long long>(r->host_signals));
    EXPECT_EQ(r->result.failures, 0u) << which << ": " << r->result.report();
    EXPECT_EQ(r->result.total.received, frames) << which;
    EXPECT_EQ(r->stats.total.tx_packets, frames) << which;
    EXPECT_EQ(r->stats.total.rx_packets, frames) << which;
    EXPECT_EQ(r->stats.total.tx_errors, 0u) << which;
    EXPECT_EQ(r->stats.total.tx_gpa_direct, 0u) << which;
  }
  EXPECT_EQ(on.info.tx_aggregation_packets, 8u);
  EXPECT_EQ(off.info.tx_aggregation_packets, 0u);

  // Off: one send (one section, one completion) per frame.
  EXPECT_EQ(off.stats.total.tx_aggregated, 0u);
  EXPECT_EQ(off.stats.total.tx_completions, frames);
  // On: at least two frames per send on average (up to 8 fit: 8 x 460 < 6144).
  EXPECT_GT(on.stats.total.tx_aggregated, frames / 2);
  EXPECT_LE(on.stats.total.tx_completions * 2, frames);
  EXPECT_GE(on.stats.total.tx_completions * 8, frames) << "never more than 8 per message";
  // The host read fewer packets for the same frames (sends plus receive completions).
  EXPECT_LT(on.host_packets_in, off.host_packets_in);
}

}  // namespace
}  // namespace netvsc_ct
