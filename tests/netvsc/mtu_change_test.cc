// MTU change on an open port (netvsc::change_mtu), against hvsim's NIC:
// the port re-opens with the new MTU announced in SEND_NDIS_CONFIG, the
// host's maximum frame size caps it, jumbo frames flow after raising it,
// and a refused value leaves the port as it was.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "hvsim/config.h"
#include "hvsim_process.h"
#include "netvsc/port.h"

namespace vmbus_it {
namespace {

// A config whose eth0 allows frames up to `host_mtu`.
HvsimProcess::Options with_host_mtu(std::uint32_t host_mtu) {
  nlohmann::json config = hvsim::to_json(hvsim::default_config());
  for (auto& d : config["devices"]) {
    if (d["name"] == "eth0") {
      d["nic"]["mtu"] = host_mtu;
      d["nic"]["recv_section_size"] = 10240;
    }
  }
  return {.config = config};
}

// Sends one frame of `size` bytes and waits for it to come back (loopback).
// Frames too large for a send-buffer section go GPA-direct from DMA memory.
std::uint32_t loop_one(netvsc::OpenedPort& opened, std::size_t size) {
  netvsc::Port& port = *opened.port;
  vmbus::DmaRegion dma = opened.device->allocate_dma(16384);
  std::span<std::byte> frame = dma.memory().first(size);
  std::memset(frame.data(), 0xff, 6);
  std::memcpy(frame.data() + 6, port.mac().data(), 6);
  frame[12] = std::byte{0x88};
  frame[13] = std::byte{0xb5};  // local experimental ethertype
  for (std::size_t i = 14; i < size; ++i) frame[i] = std::byte(i & 0xff);
  netvsc::TxPacket tx{.frame = frame, .dma = &dma, .cookie = 7};
  if (port.tx_burst(0, &tx, 1) != 1) return 0;
  std::vector<std::byte> buffer(16384);
  netvsc::RxPacket rx{.buffer = buffer};
  for (int i = 0; i < 5000; ++i) {
    if (port.rx_burst(0, &rx, 1) == 1) {
      EXPECT_TRUE(std::equal(frame.begin(), frame.end(), rx.frame().begin(), rx.frame().end()));
      std::uint64_t cookie = 0;
      for (int j = 0; j < 5000 && size > port.config().tx_copybreak && port.tx_reclaim(0, &cookie, 1) == 0; ++j) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      return rx.length;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return 0;
}

netvsc::OpenedPort open_eth0(const HvsimProcess& sim, netvsc::PortConfig config = {}) {
  auto instance = vmbus::Guid::parse(sim.device("eth0").at("instance").get<std::string>()).value();
  return netvsc::open_port(sim.sysfs(), instance, std::move(config));
}

TEST(MtuChange, RaisesTheMtuAndJumboFramesFlow) {
  HvsimProcess sim(with_host_mtu(9000));
  netvsc::OpenedPort opened = open_eth0(sim);
  EXPECT_EQ(opened.port->info().mtu, 1500u);
  EXPECT_EQ(opened.port->link().mtu, 9000u);
  EXPECT_EQ(loop_one(opened, 1514), 1514u);

  EXPECT_EQ(netvsc::change_mtu(opened, 9000), 9000u);
  ASSERT_NE(opened.port, nullptr);
  EXPECT_EQ(opened.port->info().mtu, 9000u);
  EXPECT_EQ(opened.port->config().mtu, 9000u);
  EXPECT_EQ(loop_one(opened, 9014), 9014u);

  EXPECT_EQ(netvsc::change_mtu(opened, 1280), 1280u);
  EXPECT_EQ(loop_one(opened, 1294), 1294u);
}

TEST(MtuChange, TheHostsMaximumCapsIt) {
  HvsimProcess sim;  // the default NIC: 1500
  netvsc::OpenedPort opened = open_eth0(sim);
  EXPECT_EQ(netvsc::change_mtu(opened, 9000), 1500u);
  EXPECT_EQ(opened.port->info().mtu, 1500u);
  EXPECT_EQ(loop_one(opened, 1514), 1514u);
}

TEST(MtuChange, RefusesAnMtuOutOfRangeAndKeepsThePort) {
  HvsimProcess sim;
  netvsc::OpenedPort opened = open_eth0(sim);
  netvsc::Port* before = opened.port.get();
  EXPECT_THROW(netvsc::change_mtu(opened, 67), netvsc::PortError);
  EXPECT_THROW(netvsc::change_mtu(opened, 65522), netvsc::PortError);
  EXPECT_EQ(opened.port.get(), before);
  EXPECT_EQ(loop_one(opened, 60), 60u);
}

TEST(MtuChange, OpenRefusesAJumboMtuAtNvsp1) {
  nlohmann::json config = hvsim::to_json(hvsim::default_config());
  for (auto& d : config["devices"]) {
    if (d["name"] == "eth0") d["nic"]["max_version"] = "1";
  }
  HvsimProcess sim({.config = config});
  netvsc::PortConfig port_config;
  port_config.mtu = 9000;
  try {
    open_eth0(sim, port_config);
    ADD_FAILURE() << "opened with MTU 9000 at NVSP 1";
  } catch (const netvsc::PortError& e) {
    EXPECT_NE(std::string(e.what()).find("MTU 9000 needs NVSP 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vmbus_it
