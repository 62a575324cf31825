// Injected faults through the echo device, seen by a raw endpoint client:
// each fires as many times as armed, on the channel it was armed on, is
// counted and logged, and leaves hvsim running. Also the ctl argument parser
// and re-offering a rescinded device.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim_fixture.h"

namespace hvsim::test {
namespace {

class FaultTest : public SimFixture {
 protected:
  std::unique_ptr<EndpointClient> open_echo() { return open_client(bind_uio("echo")); }

  void arm(std::vector<std::string> args) { sim().inject_fault("echo", parse_fault(args)); }

  std::uint64_t faults() { return counters("echo")[Counter::faults_injected]; }

  static vmbus::OutgoingPacket ping(std::uint64_t id) {
    static const auto payload = bytes_of("ping....");
    return vmbus::packet::inband(payload, id);
  }
};

TEST(FaultParse, ReadsKindDelayCountAndRelid) {
  const std::vector<std::string> args{"delay-reply", "250", "--count", "3", "--relid", "41"};
  const FaultRequest f = parse_fault(args);
  EXPECT_EQ(f.kind, FaultKind::delay_reply);
  EXPECT_EQ(f.delay_ms, 250u);
  EXPECT_EQ(f.count, 3u);
  EXPECT_EQ(f.relid, 41u);
  const std::vector<std::string> plain{"corrupt-type"};
  EXPECT_EQ(parse_fault(plain).count, 1u);
  EXPECT_FALSE(parse_fault(plain).relid);
}

TEST(FaultParse, NamesWhatIsWrong) {
  auto error_of = [](std::vector<std::string> args) {
    try {
      (void)parse_fault(args);
    } catch (const FaultError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of({}).find("missing the fault kind"), std::string::npos);
  EXPECT_NE(error_of({"explode"}).find("unknown kind \"explode\" (delay-reply, drop-signal"), std::string::npos);
  EXPECT_NE(error_of({"delay-reply"}).find("needs the delay"), std::string::npos);
  EXPECT_NE(error_of({"delay-reply", "0"}).find("delay \"0\" must be a number from 1 to 60000"), std::string::npos);
  EXPECT_NE(error_of({"drop-signal", "--count", "x"}).find("--count \"x\""), std::string::npos);
  EXPECT_NE(error_of({"drop-signal", "--count"}).find("unexpected argument \"--count\""), std::string::npos);
  EXPECT_NE(error_of({"drop-signal", "7"}).find("unexpected argument \"7\""), std::string::npos);
}

constexpr const char* kNicPayloadKinds[] = {"corrupt-pageset-id",   "corrupt-range-count",  "corrupt-range-bounds",
                                            "corrupt-rndis-length", "corrupt-rndis-packet", "corrupt-completion-id"};

TEST(FaultParse, KnowsTheNicPayloadKinds) {
  for (const char* name : kNicPayloadKinds) {
    const FaultRequest f = parse_fault(std::vector<std::string>{name, "--count", "2", "--relid", "43"});
    EXPECT_EQ(fault_name(f.kind), name);
    EXPECT_TRUE(nic_payload_fault(f.kind)) << name;
    EXPECT_EQ(f.count, 2u);
    EXPECT_EQ(f.relid, 43u);
    EXPECT_NE(known_fault_names().find(name), std::string::npos) << known_fault_names();
  }
  for (const char* name : {"delay-reply", "drop-signal", "corrupt-type", "corrupt-rx-index"}) {
    EXPECT_FALSE(nic_payload_fault(*find_fault(name))) << name;
  }
}

// Only the NIC host builds NVSP/RNDIS: arming a payload fault anywhere else
// would arm something that never fires.
TEST_F(FaultTest, NicPayloadFaultsArmOnlyOnANicServedByTheNetvscHost) {
  for (const char* name : kNicPayloadKinds) {
    EXPECT_THROW(sim().inject_fault("echo", parse_fault(std::vector<std::string>{name})), SimError) << name;
    const nlohmann::json bad = sim().handle_control({{"command", "fault"}, {"args", {"echo", name}}});
    EXPECT_FALSE(bad.value("ok", true)) << bad.dump();
    const std::string error = bad.value("error", std::string());
    EXPECT_NE(error.find(std::string("fault ") + name), std::string::npos) << error;
    EXPECT_NE(error.find("is of class \"echo\" served by host \"echo\""), std::string::npos) << error;
    EXPECT_NE(error.find("\"network\" device served by host \"netvsc\""), std::string::npos) << error;
  }
  EXPECT_EQ(faults(), 0u);
  const nlohmann::json ok =
      sim().handle_control({{"command", "fault"}, {"args", {"eth0", "corrupt-completion-id", "--count", "3"}}});
  ASSERT_TRUE(ok.value("ok", false)) << ok.dump();
  EXPECT_EQ(ok["result"]["fault"], "corrupt-completion-id");
  EXPECT_EQ(ok["result"]["count"], 3);
}

TEST_F(FaultTest, DelayReplyHoldsTheNextReplyOnly) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  arm({"delay-reply", "400"});
  c->send(ping(1), kEchoRelid, kEchoMonitor);
  alignas(8) std::byte buffer[256];
  // Not there after 150 ms (the host sleeps 400 ms first; load only delays it more).
  EXPECT_FALSE(c->read_packet(buffer, 150));
  auto p = c->read_packet(buffer, 10'000);
  ASSERT_TRUE(p) << log_.all();
  EXPECT_EQ(p->trans_id, 1u);
  EXPECT_EQ(faults(), 1u);
  EXPECT_TRUE(log_.contains("injected fault delay-reply: 400 ms")) << log_.all();
  (void)c->rx().commit();
}

TEST_F(FaultTest, DropSignalLosesOneSignalAndTheNextOneDrains) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  arm({"drop-signal"});
  ASSERT_TRUE(c->send(ping(1), kEchoRelid, kEchoMonitor));
  ASSERT_TRUE(wait_for([&] { return faults() == 1; })) << log_.all();
  alignas(8) std::byte buffer[256];
  EXPECT_FALSE(c->read_packet(buffer, 200));  // lost: the host never drained
  EXPECT_EQ(counters("echo")[Counter::packets_in], 0u);
  c->signal(kEchoRelid, kEchoMonitor);  // the guest's retry
  auto p = c->read_packet(buffer);
  ASSERT_TRUE(p) << log_.all();
  EXPECT_EQ(p->trans_id, 1u);
}

TEST_F(FaultTest, DropInterruptLeavesTheReplyInTheRingWithoutAnInterrupt) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  arm({"drop-interrupt"});
  c->send(ping(1), kEchoRelid, kEchoMonitor);
  alignas(8) std::byte buffer[256];
  auto p = c->read_packet(buffer);  // polling finds it
  ASSERT_TRUE(p) << log_.all();
  EXPECT_EQ(c->wait_interrupts(100), 0u);
  EXPECT_EQ(faults(), 1u);
  EXPECT_EQ(counters("echo")[Counter::interrupts], 0u);
  // Armed once: the next empty -> non-empty transition interrupts again.
  (void)c->rx().commit();
  (void)c->rx().unmask_interrupts();
  ASSERT_TRUE(c->wait_host_idle());
  c->send(ping(2), kEchoRelid, kEchoMonitor);
  EXPECT_GE(c->wait_interrupts(), 1u);
}

TEST_F(FaultTest, CorruptDescriptorsReachTheGuestAsMalformedPackets) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  alignas(8) std::byte buffer[256];
  struct Case {
    const char* fault;
    vmbus::Errc expected;
  };
  for (const Case& k : {Case{"corrupt-length", vmbus::Errc::corrupt_length},
                        Case{"corrupt-offset", vmbus::Errc::corrupt_length},
                        Case{"corrupt-type", vmbus::Errc::unknown_packet_type}}) {
    SCOPED_TRACE(k.fault);
    arm({k.fault});
    c->send(ping(1), kEchoRelid, kEchoMonitor);
    ASSERT_TRUE(wait_for([&] { return !c->rx().empty(); })) << log_.all();
    auto p = c->rx().read(buffer);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, k.expected) << p.error().message();
    // Skip the bad packet the way a guest that gives up on it would: reopen.
    c.reset();
    ASSERT_TRUE(wait_for([&] { return !sim().device("echo").client_pid; }));
    c = open_client(*sim().device("echo").uio);
    ASSERT_TRUE(c);
  }
  EXPECT_EQ(faults(), 3u);
}

TEST_F(FaultTest, CorruptRxIndexBreaksTheChannelUntilReopened) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  arm({"corrupt-rx-index"});
  c->send(ping(1), kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(wait_for([&] { return sim().device("echo").channels[0].state == ChannelState::broken; })) << log_.all();
  alignas(8) std::byte buffer[256];
  auto p = c->rx().read(buffer);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, vmbus::Errc::corrupt_index);
  EXPECT_TRUE(log_.contains("corrupted the guest's RX ring write_index")) << log_.all();
  // A fresh open is served again.
  c.reset();
  ASSERT_TRUE(wait_for([&] { return !sim().device("echo").client_pid; }));
  c = open_client(*sim().device("echo").uio);
  ASSERT_TRUE(c);
  c->send(ping(2), kEchoRelid, kEchoMonitor);
  EXPECT_TRUE(c->read_packet(buffer));
}

TEST_F(FaultTest, CorruptTxIndexIsSeenByTheGuestWriter) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  arm({"corrupt-tx-index"});
  c->send(ping(1), kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(wait_for([&] { return sim().device("echo").channels[0].state == ChannelState::broken; })) << log_.all();
  EXPECT_NE(c->tx_memory().load_read_index() % 8, 0u);
  // The writer sees it when it next needs the reader's index: fill the ring.
  bool corrupt = false;
  for (int i = 0; i < 100'000 && !corrupt; ++i) {
    const vmbus::Status s = c->tx().write(ping(2));
    if (!s) corrupt = s.error().code == vmbus::Errc::corrupt_index;
  }
  EXPECT_TRUE(corrupt);
}

TEST_F(FaultTest, FaultsArmOnTheNamedChannelOnly) {
  EXPECT_THROW(sim().inject_fault("echo", parse_fault(std::vector<std::string>{"drop-signal", "--relid", "999"})), SimError);
  EXPECT_THROW(sim().inject_fault("nonesuch", parse_fault(std::vector<std::string>{"drop-signal"})), SimError);
  const nlohmann::json bad = sim().handle_control({{"command", "fault"}, {"args", {"echo", "explode"}}});
  EXPECT_FALSE(bad.value("ok", true));
  EXPECT_NE(bad.value("error", std::string()).find("unknown kind \"explode\""), std::string::npos) << bad.dump();
  const nlohmann::json ok = sim().handle_control({{"command", "fault"}, {"args", {"echo", "drop-interrupt", "--count", "2"}}});
  ASSERT_TRUE(ok.value("ok", false)) << ok.dump();
  EXPECT_EQ(ok["result"]["count"], 2);
}

TEST_F(FaultTest, ReofferBringsBackTheSameDevice) {
  const DeviceStatus before = sim().device("echo");
  EXPECT_THROW(sim().reoffer("echo"), SimError);  // still offered
  sim().rescind("echo");
  EXPECT_FALSE(stdfs::exists(paths().device_dir(before.spec.instance)));
  const DeviceStatus again = sim().reoffer("echo");
  EXPECT_EQ(again.spec.instance, before.spec.instance);
  EXPECT_EQ(again.spec.relid, before.spec.relid);
  EXPECT_EQ(again.spec.monitor_id, before.spec.monitor_id);
  EXPECT_EQ(again.driver, before.driver);
  EXPECT_TRUE(stdfs::exists(paths().device_dir(before.spec.instance) / "class_id"));
  EXPECT_THROW(sim().reoffer("echo"), SimError);
  // Bound to uio_hv_generic again, it opens and echoes.
  auto c = open_client(bind_uio("echo"));
  ASSERT_TRUE(c);
  c->send(ping(9), kEchoRelid, kEchoMonitor);
  alignas(8) std::byte buffer[256];
  auto p = c->read_packet(buffer);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->trans_id, 9u);
}

TEST_F(FaultTest, ReofferRefusesWhatIsTakenOrUnknown) {
  sim().rescind("echo");
  EXPECT_THROW(sim().reoffer("nonesuch"), SimError);
  // Another device took the relid meanwhile.
  sim().offer(parse_device(nlohmann::json{{"name", "squatter"}, {"class", "echo"}, {"relid", kEchoRelid}, {"monitor_id", nullptr}}, "test"));
  try {
    sim().reoffer("echo");
    ADD_FAILURE() << "re-offered over a taken relid";
  } catch (const SimError& e) {
    EXPECT_NE(std::string(e.what()).find("relid"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hvsim::test
