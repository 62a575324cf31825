// A misbehaving host, through the SDK: hvsim (a separate process) injects
// faults with `hvsim ctl fault`, and the guest's Device and Channel report
// each as an error that names it, or ride it out, never crashing or hanging.
// Then a rescinded device comes back with `hvsim ctl reoffer` and is opened
// again.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "hvsim_process.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"
#include "vmbus/device/discovery.h"

namespace vmbus_it {
namespace {

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    echo_ = sim_.device("echo").at("instance").get<std::string>();
    claim_ = vmbus::claim_device(sim_.sysfs(), vmbus::Guid::parse(echo_).value());
    open();
  }

  void open() {
    dev_.reset();
    dev_ = vmbus::Device::open(claim_.device());
  }
  vmbus::Channel& ch() { return dev_->channel(0); }

  std::uint64_t counter(const char* name) {
    return sim_.ctl({"stats", "echo"}).at("devices").at(0).at("channels").at(0).at("counters").at(name).get<std::uint64_t>();
  }

  // Polls the channel up to `timeout` for one packet or an error other than empty.
  vmbus::Result<vmbus::IncomingPacket> receive_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      vmbus::Result<vmbus::IncomingPacket> p = ch().receive(buffer_);
      if (p || p.error().code != vmbus::Errc::empty || std::chrono::steady_clock::now() > deadline) return p;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  HvsimProcess sim_;
  std::string echo_;
  vmbus::Claim claim_;
  std::unique_ptr<vmbus::Device> dev_;
  std::array<std::byte, 64> payload_{};
  alignas(8) std::array<std::byte, 4096> buffer_{};
};

TEST_F(FaultTest, ALostInterruptIsRiddenOutByWaitingWithATimeout) {
  sim_.ctl({"fault", "echo", "drop-interrupt"});
  ASSERT_FALSE(ch().arm_interrupts());  // interrupt mode: the host may interrupt us
  ASSERT_TRUE(ch().send_inband(payload_, 1));
  // The interrupt never comes; the wait times out and the loop polls anyway.
  vmbus::Result<std::uint32_t> w = dev_->wait(std::chrono::milliseconds(300));
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(*w, 0u);
  ch().set_poll_mode();
  vmbus::Result<vmbus::IncomingPacket> p = receive_within(std::chrono::seconds(5));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->trans_id, 1u);
  EXPECT_EQ(counter("faults_injected"), 1u);
}

TEST_F(FaultTest, ADelayedReplyStillArrives) {
  sim_.ctl({"fault", "echo", "delay-reply", "300"});
  ASSERT_TRUE(ch().send_inband(payload_, 7));
  vmbus::Result<vmbus::IncomingPacket> p = receive_within(std::chrono::seconds(10));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->trans_id, 7u);
  EXPECT_EQ(counter("faults_injected"), 1u);
}

TEST_F(FaultTest, CorruptHostPacketsAreReportedByName) {
  struct Case {
    const char* fault;
    vmbus::Errc expected;
  };
  for (const Case& k : {Case{"corrupt-length", vmbus::Errc::corrupt_length},
                        Case{"corrupt-offset", vmbus::Errc::corrupt_length},
                        Case{"corrupt-type", vmbus::Errc::unknown_packet_type},
                        Case{"corrupt-rx-index", vmbus::Errc::corrupt_index}}) {
    SCOPED_TRACE(k.fault);
    sim_.ctl({"fault", "echo", k.fault});
    ASSERT_TRUE(ch().send_inband(payload_, 1));
    vmbus::Result<vmbus::IncomingPacket> p = receive_within(std::chrono::seconds(10));
    ASSERT_FALSE(p) << "a corrupt packet was accepted";
    EXPECT_EQ(p.error().code, k.expected) << p.error().message();
    EXPECT_EQ(vmbus::family_of(p.error().code), vmbus::ErrorFamily::corruption);
    EXPECT_FALSE(p.error().message().empty());
    // The same error again, not a crash or a different reading of garbage.
    vmbus::Result<vmbus::IncomingPacket> again = ch().receive(buffer_);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, k.expected);
    open();  // a fresh open gives fresh rings
  }
}

TEST_F(FaultTest, ARescindedDeviceReofferedOpensAgain) {
  ASSERT_TRUE(ch().send_inband(payload_, 1));
  ASSERT_TRUE(receive_within(std::chrono::seconds(5)));
  sim_.ctl({"rescind", "echo"});
  vmbus::Result<std::uint32_t> w = dev_->wait(std::chrono::seconds(5));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, vmbus::Errc::rescinded);
  dev_.reset();
  claim_.release();

  const nlohmann::json r = sim_.ctl({"reoffer", "echo"});
  EXPECT_EQ(r.at("device").at("instance"), echo_) << r.dump();
  const vmbus::Guid instance = vmbus::Guid::parse(echo_).value();
  const vmbus::DeviceInfo info = vmbus::describe_device(sim_.sysfs(), instance);
  EXPECT_EQ(info.relid, 40u);
  claim_ = vmbus::claim_device(sim_.sysfs(), instance);
  open();
  ASSERT_TRUE(ch().send_inband(payload_, 2));
  vmbus::Result<vmbus::IncomingPacket> p = receive_within(std::chrono::seconds(5));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->trans_id, 2u);
}

}  // namespace
}  // namespace vmbus_it
