// A running in-process Simulator on a temporary root, for the tests, and the
// shell-style binding they use (driver_override + bind, then wait for uioN).
//
// Usage:
//   class MyTest : public hvsim::test::SimFixture {};
//   TEST_F(MyTest, X) { unsigned uio = bind_uio("echo"); auto c = open_client(uio); }
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "hvsim/simulator.h"
#include "sim_test_support.h"

namespace hvsim::test {

// The echo device of default_config(): its primary channel's relid and monitor id.
inline constexpr std::uint32_t kEchoRelid = 40;
inline constexpr std::uint8_t kEchoMonitor = 40;

class SimFixture : public ::testing::Test {
 protected:
  void SetUp() override { start(default_config()); }
  void TearDown() override {
    if (sim_) sim_->stop();
  }

  void start(SimConfig config) {
    if (sim_) sim_->stop();
    sim_ = std::make_unique<Simulator>(SimulatorOptions{.root = root_.path(), .config = std::move(config), .log = log_.logger()});
    sim_->start();
  }

  Simulator& sim() { return *sim_; }
  const TreePaths& paths() { return sim_->paths(); }
  stdfs::path device_dir(std::string_view name) { return paths().device_dir(sim_->device(name).spec.instance); }
  std::string instance(std::string_view name) { return sim_->device(name).spec.instance.str(); }

  // As a guest admin would: driver_override, then bind; waits for uio/uioN.
  unsigned bind_uio(std::string_view name) {
    write_text(device_dir(name) / "driver_override", "uio_hv_generic\n");
    EXPECT_TRUE(wait_for([&] { return sim_->device(name).driver_override == "uio_hv_generic"; })) << log_.all();
    write_text(paths().driver_dir("uio_hv_generic") / "bind", instance(name) + "\n");
    EXPECT_TRUE(wait_for([&] { return sim_->device(name).uio.has_value(); })) << log_.all();
    return sim_->device(name).uio.value_or(999);
  }

  std::unique_ptr<EndpointClient> open_client(unsigned uio) {
    auto c = EndpointClient::open(paths().uio_node(uio));
    EXPECT_TRUE(c) << log_.all();
    return c;
  }

  CountersSnapshot counters(std::string_view name) { return sim_->device(name).channels.at(0).counters; }

  TempRoot root_;
  CapturedLog log_;
  std::unique_ptr<Simulator> sim_;
};

}  // namespace hvsim::test
