// c_api.*: the C ABI (vmbus_c/vmbus.h) against a real hvsim process, as an
// appliance in C would use it: discovery, the echo device's channel, a
// netvsc port over hvsim's loopback NIC, the KVP service's pools, and the
// error rules (negative errno, thread-local message, struct_size).
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "hvsim_process.h"
#include "temp_dir.h"
#include "vmbus_c/vmbus.h"

namespace c_api_test {

using Clock = std::chrono::steady_clock;

struct BusGuard {
  vmbus_bus* bus = nullptr;
  ~BusGuard() { vmbus_bus_close(bus); }
};

class CApi : public ::testing::Test {
 protected:
  void SetUp() override {
    // HvsimProcess returns once hvsim.ctl exists, which hvsim creates after
    // offering its devices (sim/src/simulator.cc: start).
    const std::string root = (sim_.root() / "sys").string();
    ASSERT_EQ(vmbus_bus_open(root.c_str(), &bus_.bus), 0) << vmbus_last_error();
  }
  vmbus_it::HvsimProcess sim_;
  BusGuard bus_;
};

// Receives one packet within 5 s; its payload length, or the error.
int receive_within(vmbus_channel* ch, std::vector<unsigned char>& buffer, vmbus_packet_info& info) {
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  for (;;) {
    const int n = vmbus_channel_receive(ch, buffer.data(), buffer.size(), &info);
    if (n != -EAGAIN || Clock::now() > deadline) return n;
  }
}

TEST(CApiVersion, MatchesTheHeader) {
  EXPECT_EQ(vmbus_c_abi_version(), static_cast<uint32_t>(VMBUS_C_ABI_VERSION));
  EXPECT_NE(std::string(vmbus_c_version_string()).find("C ABI 1.0"), std::string::npos);
}

TEST(CApiErrors, NegativeErrnoAndThreadLocalMessage) {
  EXPECT_EQ(vmbus_bus_open("/x", nullptr), -EINVAL);
  const std::string mine = vmbus_last_error();
  EXPECT_NE(mine.find("vmbus_bus_open"), std::string::npos);
  std::string theirs;
  std::thread other([&] {
    EXPECT_EQ(vmbus_kvp_set(nullptr, "k", "v"), -EINVAL);
    theirs = vmbus_last_error();
  });
  other.join();
  EXPECT_NE(theirs.find("vmbus_kvp_set"), std::string::npos);
  EXPECT_EQ(std::string(vmbus_last_error()), mine) << "another thread's failure changed this thread's message";
}

TEST_F(CApi, ScanListsHvsimsDevices) {
  const int n = vmbus_bus_scan(bus_.bus);
  ASSERT_GT(n, 0) << vmbus_last_error();
  std::map<std::string, vmbus_device_info> by_class;
  for (int i = 0; i < n; ++i) {
    vmbus_device_info info = VMBUS_C_INIT(vmbus_device_info);
    ASSERT_EQ(vmbus_bus_device_info(bus_.bus, static_cast<uint32_t>(i), &info), 0) << vmbus_last_error();
    EXPECT_EQ(std::strlen(info.instance), 36u);
    by_class[info.class_name] = info;
  }
  ASSERT_TRUE(by_class.count("echo"));
  ASSERT_TRUE(by_class.count("network"));
  ASSERT_TRUE(by_class.count("kvp"));
  EXPECT_EQ(by_class["network"].owner, VMBUS_OWNER_KERNEL_DRIVER);
  EXPECT_STREQ(by_class["network"].driver, "hv_netvsc");
  EXPECT_GT(by_class["echo"].relid, 0u);
  EXPECT_GE(by_class["echo"].channel_count, 1u);

  // A newer caller's larger struct: the library writes only what it knows
  // (version 1's fields) and leaves the rest alone.
  unsigned char raw[sizeof(vmbus_device_info) + 8];
  std::memset(raw, 0xee, sizeof raw);
  vmbus_device_info* bigger = reinterpret_cast<vmbus_device_info*>(raw);
  bigger->struct_size = sizeof raw;
  ASSERT_EQ(vmbus_bus_device_info(bus_.bus, 0, bigger), 0) << vmbus_last_error();
  EXPECT_EQ(bigger->struct_size, sizeof raw);
  EXPECT_EQ(std::strlen(bigger->instance), 36u);
  EXPECT_EQ(raw[sizeof(vmbus_device_info)], 0xee) << "wrote past the fields the library knows";
  // Smaller than version 1 (all of vmbus_device_info today): refused, untouched.
  bigger->struct_size = offsetof(vmbus_device_info, class_id);
  EXPECT_EQ(vmbus_bus_device_info(bus_.bus, 0, bigger), -EINVAL);
  EXPECT_NE(std::string(vmbus_last_error()).find("struct_size"), std::string::npos);
}

TEST_F(CApi, EchoDeviceRoundTrips) {
  vmbus_device* dev = nullptr;
  ASSERT_EQ(vmbus_device_open(bus_.bus, "echo", nullptr, &dev), 0) << vmbus_last_error();
  EXPECT_EQ(std::strlen(vmbus_device_instance(dev)), 36u);
  EXPECT_NE(std::string(vmbus_device_describe(dev)).find("endpoint"), std::string::npos);
  ASSERT_GE(vmbus_device_channel_count(dev), 1);
  vmbus_channel* ch = nullptr;
  ASSERT_EQ(vmbus_device_channel(dev, 0, &ch), 0) << vmbus_last_error();
  EXPECT_GT(vmbus_channel_relid(ch), 0);
  EXPECT_EQ(vmbus_device_channel(dev, 99, &ch), -EINVAL);
  ASSERT_EQ(vmbus_device_channel(dev, 0, &ch), 0);

  std::vector<unsigned char> buffer(4096);
  // One at a time, then a batch of 8 staged with NO_FLUSH and one flush.
  for (uint64_t id = 1; id <= 3; ++id) {
    std::vector<unsigned char> payload(64, static_cast<unsigned char>(id));
    ASSERT_EQ(vmbus_channel_send_inband(ch, payload.data(), payload.size(), id, 0), 0) << vmbus_last_error();
    vmbus_packet_info info = VMBUS_C_INIT(vmbus_packet_info);
    const int n = receive_within(ch, buffer, info);
    ASSERT_EQ(n, 64) << vmbus_last_error();
    EXPECT_EQ(info.trans_id, id);
    EXPECT_EQ(info.type, 6);
    EXPECT_EQ(std::memcmp(buffer.data(), payload.data(), payload.size()), 0);
    ASSERT_EQ(vmbus_channel_finish_receive(ch), 0) << vmbus_last_error();
  }
  const unsigned char batch[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  for (uint64_t id = 100; id < 108; ++id) {
    ASSERT_EQ(vmbus_channel_send_inband(ch, batch, sizeof batch, id, VMBUS_SEND_NO_FLUSH), 0) << vmbus_last_error();
  }
  ASSERT_EQ(vmbus_channel_flush(ch), 0) << vmbus_last_error();
  for (uint64_t id = 100; id < 108; ++id) {
    vmbus_packet_info info = VMBUS_C_INIT(vmbus_packet_info);
    ASSERT_EQ(receive_within(ch, buffer, info), 16) << vmbus_last_error();
    EXPECT_EQ(info.trans_id, id);
  }
  ASSERT_EQ(vmbus_channel_finish_receive(ch), 0);
  vmbus_packet_info none = VMBUS_C_INIT(vmbus_packet_info);
  EXPECT_EQ(vmbus_channel_receive(ch, buffer.data(), buffer.size(), &none), -EAGAIN);

  // Too small a buffer: -ENOBUFS with the size, and the packet stays.
  ASSERT_EQ(vmbus_channel_send_inband(ch, batch, sizeof batch, 200, 0), 0);
  unsigned char tiny[8];
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  int small = -EAGAIN;
  while (small == -EAGAIN && Clock::now() < deadline) small = vmbus_channel_receive(ch, tiny, sizeof tiny, nullptr);
  EXPECT_EQ(small, -ENOBUFS);
  EXPECT_NE(std::string(vmbus_last_error()).find("vmbus_channel_receive"), std::string::npos);
  vmbus_packet_info info = VMBUS_C_INIT(vmbus_packet_info);
  EXPECT_EQ(receive_within(ch, buffer, info), 16);
  EXPECT_EQ(info.trans_id, 200u);
  ASSERT_EQ(vmbus_channel_finish_receive(ch), 0);

  vmbus_channel_counters counters = VMBUS_C_INIT(vmbus_channel_counters);
  ASSERT_EQ(vmbus_channel_counters_get(ch, &counters), 0);
  EXPECT_EQ(counters.packets_sent, 12u);
  EXPECT_EQ(counters.packets_received, 12u);
  EXPECT_EQ(vmbus_device_rescinded(dev), 0);
  vmbus_device_close(dev);

  // The claim was released: the echo device is unbound again.
  const int n = vmbus_bus_scan(bus_.bus);
  for (int i = 0; i < n; ++i) {
    vmbus_device_info d = VMBUS_C_INIT(vmbus_device_info);
    ASSERT_EQ(vmbus_bus_device_info(bus_.bus, static_cast<uint32_t>(i), &d), 0);
    if (std::string(d.class_name) == "echo") {
      EXPECT_EQ(d.owner, VMBUS_OWNER_NONE);
    }
  }
}

// The sleeping receive loop of vmbus/channel/channel.h through the C calls:
// poll, finish, arm interrupts, wait on the device, back to poll mode.
TEST_F(CApi, EchoDeviceSleepsOnInterrupts) {
  vmbus_device* dev = nullptr;
  ASSERT_EQ(vmbus_device_open(bus_.bus, "echo", nullptr, &dev), 0) << vmbus_last_error();
  vmbus_channel* ch = nullptr;
  ASSERT_EQ(vmbus_device_channel(dev, 0, &ch), 0) << vmbus_last_error();
  EXPECT_GE(vmbus_device_event_fd(dev), 0);
  std::vector<unsigned char> buffer(4096);
  const unsigned char payload[32] = {7};
  int sleeps = 0;
  for (uint64_t id = 1; id <= 20; ++id) {
    ASSERT_EQ(vmbus_channel_send_inband(ch, payload, sizeof payload, id, 0), 0) << vmbus_last_error();
    for (int attempts = 0;; ++attempts) {
      ASSERT_LT(attempts, 10) << "no echo of " << id << " after 10 sleeps";
      vmbus_packet_info info = VMBUS_C_INIT(vmbus_packet_info);
      const int n = vmbus_channel_receive(ch, buffer.data(), buffer.size(), &info);
      if (n >= 0) {
        EXPECT_EQ(info.trans_id, id);
        break;
      }
      ASSERT_EQ(n, -EAGAIN) << vmbus_last_error();
      ASSERT_EQ(vmbus_channel_finish_receive(ch), 0) << vmbus_last_error();
      if (vmbus_channel_arm_interrupts(ch) == 1) continue;  // data raced in: poll again
      const int woke = vmbus_device_wait(dev, 2000);
      ASSERT_GE(woke, 0) << vmbus_last_error();
      ++sleeps;
      ASSERT_EQ(vmbus_channel_set_poll_mode(ch), 0);
    }
    ASSERT_EQ(vmbus_channel_finish_receive(ch), 0) << vmbus_last_error();
  }
  EXPECT_GT(sleeps, 0) << "the loop never slept";
  vmbus_channel_counters counters = VMBUS_C_INIT(vmbus_channel_counters);
  ASSERT_EQ(vmbus_channel_counters_get(ch, &counters), 0);
  EXPECT_GT(counters.interrupts_seen, 0u);
  vmbus_device_close(dev);
}

// hvsim rescinds the echo device: the C calls answer -ENODEV with a message.
TEST_F(CApi, RescindIsEnodev) {
  vmbus_device* dev = nullptr;
  ASSERT_EQ(vmbus_device_open(bus_.bus, "echo", nullptr, &dev), 0) << vmbus_last_error();
  vmbus_channel* ch = nullptr;
  ASSERT_EQ(vmbus_device_channel(dev, 0, &ch), 0) << vmbus_last_error();
  (void)sim_.ctl({"rescind", vmbus_device_instance(dev)});
  int woke = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (woke >= 0 && Clock::now() < deadline) woke = vmbus_device_wait(dev, 100);
  EXPECT_EQ(woke, -ENODEV) << vmbus_last_error();
  EXPECT_NE(std::string(vmbus_last_error()).find("vmbus_device_wait"), std::string::npos);
  EXPECT_EQ(vmbus_device_rescinded(dev), 1);
  const unsigned char payload[8] = {};
  EXPECT_EQ(vmbus_channel_send_inband(ch, payload, sizeof payload, 1, 0), -ENODEV);
  std::vector<unsigned char> buffer(4096);
  EXPECT_EQ(vmbus_channel_receive(ch, buffer.data(), buffer.size(), nullptr), -ENODEV);
  vmbus_device_close(dev);  // nothing to give back: the device is gone
}

TEST_F(CApi, NoSuchDeviceIsEnodev) {
  vmbus_device* dev = nullptr;
  EXPECT_EQ(vmbus_device_open(bus_.bus, "00000000-0000-0000-0000-000000000001", nullptr, &dev), -ENODEV);
  EXPECT_EQ(dev, nullptr);
  EXPECT_NE(std::string(vmbus_last_error()).find("00000000-0000-0000-0000-000000000001"), std::string::npos)
      << vmbus_last_error();
  // Not claimed and NO_CLAIM: the open fails cleanly, with a message.
  vmbus_device_options options = VMBUS_C_INIT(vmbus_device_options);
  options.flags = VMBUS_OPEN_NO_CLAIM;
  EXPECT_EQ(vmbus_device_open(bus_.bus, "echo", &options, &dev), -EIO);
  EXPECT_GT(std::strlen(vmbus_last_error()), 0u);
}

TEST_F(CApi, NetvscPortLoopsFramesBack) {
  vmbus_netvsc_options options = VMBUS_C_INIT(vmbus_netvsc_options);
  options.queues = 1;
  vmbus_netvsc_port* port = nullptr;
  ASSERT_EQ(vmbus_netvsc_port_open(bus_.bus, nullptr, &options, &port), 0) << vmbus_last_error();
  EXPECT_EQ(vmbus_netvsc_port_queue_count(port), 1);
  EXPECT_EQ(vmbus_netvsc_port_mtu(port), 1500);
  uint8_t mac[6] = {};
  ASSERT_EQ(vmbus_netvsc_port_mac(port, mac), 0);
  EXPECT_NE(std::memcmp(mac, "\0\0\0\0\0\0", 6), 0);
  vmbus_netvsc_link link = VMBUS_C_INIT(vmbus_netvsc_link);
  ASSERT_EQ(vmbus_netvsc_port_link(port, &link), 0);
  EXPECT_EQ(link.up, 1u);
  EXPECT_GT(link.speed_bps, 0u);

  // Four frames to hvsim's loopback backend, and back.
  constexpr int kFrames = 4;
  std::vector<std::vector<unsigned char>> frames;
  std::vector<vmbus_netvsc_tx_frame> tx(kFrames);
  for (int i = 0; i < kFrames; ++i) {
    std::vector<unsigned char> f(static_cast<std::size_t>(60 + i * 100), static_cast<unsigned char>(0x40 + i));
    std::memcpy(f.data(), mac, 6);      // destination: ours
    std::memcpy(f.data() + 6, mac, 6);  // source
    f[12] = 0x88;
    f[13] = 0xb5;  // local experimental ethertype
    frames.push_back(std::move(f));
    tx[static_cast<std::size_t>(i)] = {frames.back().data(), static_cast<uint32_t>(frames.back().size()), 0};
  }
  ASSERT_EQ(vmbus_netvsc_tx_burst(port, 0, tx.data(), kFrames), kFrames) << vmbus_last_error();

  std::vector<std::vector<unsigned char>> buffers(kFrames, std::vector<unsigned char>(2048));
  std::vector<std::vector<unsigned char>> received;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (received.size() < kFrames && Clock::now() < deadline) {
    vmbus_netvsc_rx_frame rx[kFrames] = {};
    for (int i = 0; i < kFrames; ++i) rx[i] = {buffers[static_cast<std::size_t>(i)].data(), 2048, 0, 0, 0, 0, {}};
    const int n = vmbus_netvsc_rx_burst(port, 0, rx, kFrames);
    ASSERT_GE(n, 0) << vmbus_last_error();
    for (int i = 0; i < n; ++i) {
      const auto* data = static_cast<const unsigned char*>(rx[i].data);
      received.emplace_back(data, data + rx[i].length);
    }
  }
  ASSERT_EQ(received.size(), static_cast<std::size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) EXPECT_EQ(received[static_cast<std::size_t>(i)], frames[static_cast<std::size_t>(i)]);

  vmbus_netvsc_stats stats = VMBUS_C_INIT(vmbus_netvsc_stats);
  ASSERT_EQ(vmbus_netvsc_port_stats(port, &stats), 0);
  EXPECT_EQ(stats.tx_packets, static_cast<uint64_t>(kFrames));
  EXPECT_EQ(stats.rx_packets, static_cast<uint64_t>(kFrames));
  EXPECT_EQ(stats.malformed, 0u);
  EXPECT_EQ(vmbus_netvsc_port_rescinded(port), 0);
  EXPECT_EQ(vmbus_netvsc_rx_burst(port, 5, nullptr, 0), -EINVAL);
  vmbus_netvsc_port_close(port);
}

int collect(void* context, const char* key, const char* value) {
  static_cast<std::map<std::string, std::string>*>(context)->emplace(key, value);
  return 0;
}

TEST_F(CApi, KvpServicePools) {
  vmbus::test::TempDir pools;
  const std::string dir = pools.path().string();
  vmbus_kvp_options options = VMBUS_C_INIT(vmbus_kvp_options);
  options.pool_directory = dir.c_str();
  vmbus_kvp_service* kvp = nullptr;
  ASSERT_EQ(vmbus_kvp_service_open(bus_.bus, nullptr, &options, &kvp), 0) << vmbus_last_error();
  // The host's negotiation and first requests: answered without error.
  for (int i = 0; i < 5; ++i) ASSERT_GE(vmbus_kvp_service_poll(kvp, 50), 0) << vmbus_last_error();

  ASSERT_EQ(vmbus_kvp_set(kvp, "ApplianceRole", "edge-router"), 0) << vmbus_last_error();
  ASSERT_EQ(vmbus_kvp_set(kvp, "Rack", "12"), 0) << vmbus_last_error();
  char value[VMBUS_KVP_MAX_VALUE_SIZE];
  ASSERT_EQ(vmbus_kvp_get(kvp, VMBUS_KVP_POOL_GUEST, "ApplianceRole", value, sizeof value), 11) << vmbus_last_error();
  EXPECT_STREQ(value, "edge-router");
  char tiny[4];
  EXPECT_EQ(vmbus_kvp_get(kvp, VMBUS_KVP_POOL_GUEST, "ApplianceRole", tiny, sizeof tiny), -ERANGE);
  EXPECT_EQ(vmbus_kvp_get(kvp, VMBUS_KVP_POOL_GUEST, "Missing", value, sizeof value), -ENOENT);
  EXPECT_EQ(vmbus_kvp_get(kvp, 7, "Rack", value, sizeof value), -EINVAL);

  std::map<std::string, std::string> listed;
  EXPECT_EQ(vmbus_kvp_list(kvp, VMBUS_KVP_POOL_GUEST, collect, &listed), 2) << vmbus_last_error();
  EXPECT_EQ(listed, (std::map<std::string, std::string>{{"ApplianceRole", "edge-router"}, {"Rack", "12"}}));

  EXPECT_EQ(vmbus_kvp_remove(kvp, "Rack"), 0) << vmbus_last_error();
  EXPECT_EQ(vmbus_kvp_remove(kvp, "Rack"), -ENOENT);
  EXPECT_EQ(vmbus_kvp_set(kvp, std::string(600, 'k').c_str(), "v"), -E2BIG);

  // run() on a thread until stop().
  int outcome = 1;
  std::thread runner([&] { outcome = vmbus_kvp_service_run(kvp); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(vmbus_kvp_service_stop(kvp), 0);
  runner.join();
  EXPECT_EQ(outcome, 0) << vmbus_last_error();
  vmbus_kvp_service_close(kvp);
}

}  // namespace c_api_test
