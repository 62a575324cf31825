// End-to-end: the netvsc driver opens hvsim's synthetic NIC (default config:
// loopback backend) and frames sent come back.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <thread>
#include <vector>

#include "hvsim_process.h"
#include "netvsc/port.h"

namespace vmbus_it {
namespace {

TEST(NetvscSmoke, OpensAndLoopsBack) {
  HvsimProcess sim;
  auto instance = vmbus::Guid::parse(sim.device("eth0").at("instance").get<std::string>()).value();
  netvsc::OpenedPort opened = netvsc::open_port(sim.sysfs(), instance, {});
  netvsc::Port& port = *opened.port;
  std::printf("nvsp %u mac %s\n", static_cast<unsigned>(port.info().nvsp_version), netvsc::to_string(port.mac()).c_str());
  std::array<std::byte, 60> frame{};
  std::memset(frame.data(), 0xff, 6);
  std::memcpy(frame.data() + 6, port.mac().data(), 6);
  frame[12] = std::byte{0x08};
  netvsc::TxPacket tx{.frame = frame};
  ASSERT_EQ(port.tx_burst(0, &tx, 1), 1);
  std::array<std::byte, 2048> buf{};
  netvsc::RxPacket rx{.buffer = buf};
  std::uint16_t got = 0;
  for (int i = 0; i < 2000 && got == 0; ++i) {
    got = port.rx_burst(0, &rx, 1);
    if (!got) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(got, 1);
  EXPECT_EQ(rx.length, 60u);
}

TEST(NetvscSmoke, FourQueues) {
  HvsimProcess sim;
  auto instance = vmbus::Guid::parse(sim.device("eth0").at("instance").get<std::string>()).value();
  netvsc::PortConfig config;
  config.queues = 4;
  netvsc::OpenedPort opened = netvsc::open_port(sim.sysfs(), instance, config);
  netvsc::Port& port = *opened.port;
  std::printf("queues %u granted %u host_rss %u\n", port.queue_count(), port.info().subchannels_granted, port.info().host_rss_queues);
  ASSERT_EQ(port.queue_count(), 4);
  std::vector<std::array<std::byte, 1000>> frames(64);
  std::vector<netvsc::TxPacket> tx(64);
  for (std::size_t i = 0; i < 64; ++i) {
    auto& f = frames[i];
    std::memset(f.data(), 0xff, 6);
    std::memcpy(f.data() + 6, port.mac().data(), 6);
    f[12] = std::byte{0x08};
    f[14] = std::byte{0x45};
    f[23] = std::byte{17};
    f[26] = std::byte(i & 0xff); f[30] = std::byte((i * 7) & 0xff); f[34] = std::byte(i & 0xff); f[36] = std::byte((i * 3) & 0xff);
    tx[i].frame = f;
  }
  ASSERT_EQ(port.tx_burst(0, tx.data(), 64), 64);
  std::array<std::byte, 2048> buf{};
  int total = 0;
  std::array<int, 4> per{};
  for (int i = 0; i < 2000 && total < 64; ++i) {
    for (std::uint16_t q = 0; q < 4; ++q) {
      netvsc::RxPacket rx{.buffer = buf};
      while (port.rx_burst(q, &rx, 1) == 1) { ++per[static_cast<std::size_t>(q)]; ++total; }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::printf("per queue %d %d %d %d\n", per[0], per[1], per[2], per[3]);
  EXPECT_EQ(total, 64);
}

}  // namespace
}  // namespace vmbus_it
