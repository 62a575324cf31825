// The host changing the bus under a running guest: a rescind in the middle of
// traffic, and a hot-added device.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "hvsim_process.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"
#include "vmbus/device/discovery.h"

namespace vmbus_it {
namespace {

bool listed(const vmbus::SysfsRoot& root, const vmbus::Guid& instance) {
  const std::vector<vmbus::DeviceInfo> devices = vmbus::discover(root);
  return std::any_of(devices.begin(), devices.end(),
                     [&](const vmbus::DeviceInfo& d) { return d.instance == instance; });
}

TEST(Rescind, DuringTrafficEndsTheLoop) {
  HvsimProcess sim;
  const vmbus::SysfsRoot root = sim.sysfs();
  const std::string echo_text = sim.device("echo").at("instance").get<std::string>();
  const vmbus::Guid echo = vmbus::Guid::parse(echo_text).value();
  vmbus::Claim claim = vmbus::claim_device(root, echo);
  std::unique_ptr<vmbus::Device> dev = vmbus::Device::open(claim.device());
  vmbus::Channel& ch = dev->channel(0);

  std::string ctl_error;
  std::chrono::steady_clock::time_point rescind_sent;
  std::thread rescinder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    rescind_sent = std::chrono::steady_clock::now();
    try {
      sim.ctl({"rescind", echo_text});
    } catch (const std::exception& e) {
      ctl_error = e.what();
    }
  });

  std::array<std::byte, 256> payload{};
  alignas(8) static std::byte buffer[4096];
  std::optional<std::string> rescinded_by;
  std::uint64_t id = 0;
  std::uint64_t replies = 0;
  const auto start = std::chrono::steady_clock::now();
  while (!rescinded_by && std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2100)) {
    for (int k = 0; k < 8 && !rescinded_by; ++k) {
      const vmbus::Status s = ch.send_inband(payload, ++id);
      if (!s && s.error().code == vmbus::Errc::rescinded) {
        rescinded_by = "send";
      } else if (!s) {
        ASSERT_EQ(s.error().code, vmbus::Errc::full) << s.error().message();
      }
    }
    for (;;) {
      vmbus::Result<vmbus::IncomingPacket> p = ch.receive(buffer);
      if (p) {
        ++replies;
        continue;
      }
      if (p.error().code == vmbus::Errc::rescinded) {
        rescinded_by = "receive";
      } else {
        ASSERT_EQ(p.error().code, vmbus::Errc::empty) << p.error().message();
      }
      break;
    }
    if (rescinded_by) break;
    (void)ch.finish_receive();
    if (ch.arm_interrupts()) continue;
    vmbus::Result<std::uint32_t> w = dev->wait(std::chrono::milliseconds(20));
    if (!w) {
      ASSERT_EQ(w.error().code, vmbus::Errc::rescinded) << w.error().message();
      rescinded_by = "wait";
    }
    ch.set_poll_mode();
  }
  const auto ended = std::chrono::steady_clock::now();
  rescinder.join();
  ASSERT_TRUE(ctl_error.empty()) << ctl_error;
  ASSERT_TRUE(rescinded_by.has_value()) << "the loop did not see the rescind; " << replies << " replies";
  EXPECT_LT(ended - rescind_sent, std::chrono::seconds(2));
  EXPECT_GT(replies, 0u) << "no traffic before the rescind";
  EXPECT_TRUE(dev->rescinded());
  EXPECT_TRUE(ch.rescinded());
  // Everything fails cleanly from now on.
  const vmbus::Status s = ch.send_inband(payload, ++id);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, vmbus::Errc::rescinded);
  std::printf("rescind seen by %s after %lld ms, %llu replies before\n", rescinded_by->c_str(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(ended - rescind_sent).count()),
              static_cast<unsigned long long>(replies));

  dev.reset();
  claim.release();  // nothing to do: the device is gone
  EXPECT_FALSE(listed(root, echo));
}

TEST(HotAdd, OfferedEchoAppears) {
  HvsimProcess sim;
  const vmbus::SysfsRoot root = sim.sysfs();
  const std::string text = "5d2b7a10-4c3e-4f8a-9b1d-0123456789ab";
  const vmbus::Guid instance = vmbus::Guid::parse(text).value();
  ASSERT_FALSE(listed(root, instance));

  const nlohmann::json r = sim.ctl({"offer", "echo", text});
  EXPECT_EQ(r.at("device").at("instance"), text) << r.dump();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!listed(root, instance)) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << text << " not discovered within 2 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const vmbus::DeviceInfo d = vmbus::describe_device(root, instance);
  EXPECT_EQ(d.class_id.str(), "3a7e8c1d-2f4b-4e6a-9c5d-6876736d6563");
  EXPECT_EQ(d.relid, r.at("device").at("relid").get<std::uint32_t>());
  EXPECT_EQ(d.owner, vmbus::DeviceOwner::none);
}

}  // namespace
}  // namespace vmbus_it
