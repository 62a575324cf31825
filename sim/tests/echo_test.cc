// The host side of the data path, through the echo device: what comes back,
// when the guest is interrupted, how signals are accounted, flow control in
// both directions, guest memory by GPA, and a corrupt guest ring.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <nlohmann/json.hpp>

#include "sim_fixture.h"
#include "vmbus/hv_page.h"
#include "vmbus/packet/gpa_direct.h"

namespace hvsim::test {
namespace {

constexpr std::uint32_t kSlowRelid = 50;  // hot-added, no monitor id: signals by irqcontrol
// The echo ring: VMBUS_RING_SIZE(0x11000) per direction, 0x11000 bytes of data.
constexpr std::uint32_t kRingData = 0x11000;

class EchoTest : public SimFixture {
 protected:
  // The monitored echo device of the default config, open.
  std::unique_ptr<EndpointClient> open_echo() { return open_client(bind_uio("echo")); }

  // A second echo device without a monitor id, hot-added bound to uio.
  std::unique_ptr<EndpointClient> open_slow_echo() {
    sim().offer(parse_device(nlohmann::json{{"name", "slow"}, {"class", "echo"}, {"relid", kSlowRelid},
                                            {"monitor_id", nullptr}, {"driver", "uio_hv_generic"}},
                             "test"));
    return open_client(*sim().device("slow").uio);
  }

  bool counter_reaches(std::string_view device, Counter c, std::uint64_t value) {
    return wait_for([&] { return counters(device)[c] >= value; });
  }
};

std::vector<std::byte> pattern(std::size_t n, std::uint32_t seed) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 7 + seed * 13) & 0xff);
  return v;
}

TEST_F(EchoTest, MonitoredEchoReturnsInbandAndCompletions) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  const auto payload = bytes_of("hello, host");
  // The first packet takes the TX ring empty -> non-empty with the host's mask clear.
  EXPECT_TRUE(c->send(vmbus::packet::inband(payload, 7), kEchoRelid, kEchoMonitor));
  EXPECT_GE(c->wait_interrupts(), 1u);
  alignas(8) std::byte buffer[4096];
  auto p = c->read_packet(buffer);
  ASSERT_TRUE(p) << log_.all();
  EXPECT_EQ(p->type, vmbus::PacketType::data_inband);
  EXPECT_EQ(p->trans_id, 7u);
  EXPECT_EQ(p->flags, 0u);
  EXPECT_EQ(text_of(p->payload, payload.size()), "hello, host");
  (void)c->rx().commit();

  ASSERT_TRUE(c->wait_host_idle());
  EXPECT_TRUE(c->send(vmbus::packet::inband(payload, 8, /*completion_requested=*/true), kEchoRelid, kEchoMonitor));
  p = c->read_packet(buffer);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, vmbus::PacketType::completion);
  EXPECT_EQ(p->trans_id, 8u);
  EXPECT_EQ(text_of(p->payload, payload.size()), "hello, host");
  (void)c->rx().commit();

  ASSERT_TRUE(counter_reaches("echo", Counter::interrupts, 2));
  const auto n = counters("echo");
  EXPECT_EQ(n[Counter::packets_in], 2u);
  EXPECT_EQ(n[Counter::packets_out], 2u);
  EXPECT_EQ(n[Counter::signals], 2u);
  EXPECT_EQ(n[Counter::signals_for_data], 2u);
  EXPECT_EQ(n[Counter::signals_unnecessary], 0u);
  EXPECT_EQ(n[Counter::interrupts], 2u);
  EXPECT_EQ(n[Counter::interrupts_for_data], 2u);
  // The sysfs counters follow within a refresh period.
  const stdfs::path ch = device_dir("echo") / "channels" / "40";
  EXPECT_TRUE(wait_for([&] {
    return read_text(ch / "interrupts") == "2\n" && read_text(ch / "events") == "2\n" &&
           read_text(ch / "intr_out_empty") == "2\n";
  }));
  EXPECT_TRUE(wait_for([&] { return read_text(device_dir("echo") / "uio" / "uio0" / "event") == "2\n"; }));
}

TEST_F(EchoTest, UnmonitoredEchoIsSignalledByIrqcontrol) {
  auto c = open_slow_echo();
  ASSERT_TRUE(c);
  const auto payload = pattern(300, 1);
  EXPECT_TRUE(c->send(vmbus::packet::inband(payload, 42), kSlowRelid, std::nullopt));
  alignas(8) std::byte buffer[4096];
  auto p = c->read_packet(buffer);
  ASSERT_TRUE(p) << log_.all();
  EXPECT_EQ(p->trans_id, 42u);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), p->payload.begin()));
  ASSERT_TRUE(counter_reaches("slow", Counter::signals, 1));
  EXPECT_EQ(counters("slow")[Counter::signals_unnecessary], 0u);
}

TEST_F(EchoTest, InterruptsOnlyOnEmptyToNonEmptyWithTheMaskClear) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  alignas(8) std::byte buffer[4096];
  const auto payload = pattern(64, 2);
  // Masked: the echo arrives without an interrupt.
  c->rx().mask_interrupts();
  c->send(vmbus::packet::inband(payload, 1), kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(wait_for([&] { return !c->rx().empty(); }));
  EXPECT_EQ(c->wait_interrupts(20), 0u);
  EXPECT_EQ(counters("echo")[Counter::interrupts], 0u);
  EXPECT_TRUE(c->rx().unmask_interrupts());  // data is waiting: poll, do not sleep
  ASSERT_TRUE(c->read_packet(buffer));
  (void)c->rx().commit();

  // Two packets in one batch: one signal, one drain, one interrupt.
  ASSERT_TRUE(c->wait_host_idle());
  ASSERT_TRUE(c->tx().write(vmbus::packet::inband(payload, 2)).ok());
  ASSERT_TRUE(c->tx().write(vmbus::packet::inband(payload, 3)).ok());
  ASSERT_TRUE(c->tx().commit());
  c->signal(kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(counter_reaches("echo", Counter::packets_out, 3));
  EXPECT_EQ(c->wait_interrupts(), 1u);
  EXPECT_EQ(counters("echo")[Counter::interrupts], 1u);

  // The RX ring is not empty (2 and 3 unread): the next echo adds no interrupt.
  c->send(vmbus::packet::inband(payload, 4), kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(counter_reaches("echo", Counter::packets_out, 4));
  EXPECT_EQ(c->wait_interrupts(20), 0u);
  EXPECT_EQ(counters("echo")[Counter::interrupts], 1u);
  for (std::uint64_t id : {2u, 3u, 4u}) {
    auto p = c->read_packet(buffer);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->trans_id, id);
  }
}

TEST_F(EchoTest, UnnecessarySignalsAreCounted) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  // Nothing written, nothing asked for: the monitor bit alone is unnecessary.
  c->signal(kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(counter_reaches("echo", Counter::signals, 1));
  EXPECT_EQ(counters("echo")[Counter::signals_unnecessary], 1u);
  // The host takes the bits with an atomic exchange: they read clear again.
  EXPECT_TRUE(wait_for([&] { return vmbus::take_monitor_bit(c->monitor_page(), kEchoMonitor) == false; }));

  // Without a monitor id every irqcontrol(1) is a signal (hv_uio_irqcontrol
  // calls vmbus_setevent), needed or not.
  auto slow = open_slow_echo();
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->irqcontrol(1), 0);
  ASSERT_TRUE(counter_reaches("slow", Counter::signals, 1));
  EXPECT_EQ(counters("slow")[Counter::signals_unnecessary], 1u);
  // A packet and two signals for it: one of them is unnecessary.
  ASSERT_TRUE(slow->wait_host_idle());
  ASSERT_TRUE(slow->tx().write(vmbus::packet::inband(pattern(8, 3), 1)).ok());
  ASSERT_TRUE(slow->tx().commit());
  EXPECT_EQ(slow->irqcontrol(1), 0);
  EXPECT_EQ(slow->irqcontrol(1), 0);
  ASSERT_TRUE(counter_reaches("slow", Counter::signals, 3));
  EXPECT_EQ(counters("slow")[Counter::signals_unnecessary], 2u);
  EXPECT_EQ(counters("slow")[Counter::signals_for_data], 1u);
  // irqcontrol(0) masks and does not signal.
  EXPECT_EQ(slow->irqcontrol(0), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(counters("slow")[Counter::signals], 3u);
}

// 17 packets of 4000 bytes (4024 in the ring each) fill a 0x11000-byte ring.
constexpr std::size_t kBig = 4000;
constexpr std::uint32_t kFits = kRingData / vmbus::align8(16 + kBig + 8);

TEST_F(EchoTest, HostBlocksOnAFullRxRingAndResumesOnTheGuestsSignal) {
  ASSERT_EQ(kFits, 17u);
  auto c = open_echo();
  ASSERT_TRUE(c);
  const auto payload = pattern(kBig, 4);
  for (std::uint32_t i = 0; i < kFits; ++i) ASSERT_TRUE(c->tx().write(vmbus::packet::inband(payload, i)).ok());
  ASSERT_TRUE(c->tx().commit());
  c->signal(kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(counter_reaches("echo", Counter::packets_out, kFits));
  ASSERT_TRUE(c->wait_host_idle());
  // One more: its echo does not fit. The host sets pending_send_sz on the RX
  // ring and waits.
  EXPECT_TRUE(c->send(vmbus::packet::inband(payload, kFits), kEchoRelid, kEchoMonitor));
  ASSERT_TRUE(counter_reaches("echo", Counter::host_blocked, 1));
  EXPECT_TRUE(wait_for([&] { return sim().device("echo").channels[0].state == ChannelState::blocked; }));
  EXPECT_EQ(c->rx_memory().load_pending_send_size(), vmbus::align8(16 + kBig) + 8);
  EXPECT_TRUE(wait_for([&] { return read_text(paths().stats_dir(sim().device("echo").spec.instance) / "channels" / "40" / "state") == "blocked\n"; }));

  alignas(8) static std::byte buffer[8192];
  for (std::uint32_t i = 0; i < kFits; ++i) {
    auto p = c->rx().read(buffer);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->trans_id, i);
  }
  // Reading made the room the host asked for: hv_pkt_iter_close says signal.
  ASSERT_TRUE(c->rx().commit());
  c->signal(kEchoRelid, kEchoMonitor);
  auto p = c->read_packet(buffer);
  ASSERT_TRUE(p) << log_.all();
  EXPECT_EQ(p->trans_id, kFits);
  (void)c->rx().commit();
  const auto n = counters("echo");
  EXPECT_EQ(n[Counter::signals_for_space], 1u);
  EXPECT_EQ(n[Counter::signals_unnecessary], 0u);
  EXPECT_EQ(n[Counter::host_blocked], 1u);
  EXPECT_EQ(c->rx_memory().load_pending_send_size(), 0u);
  EXPECT_EQ(sim().device("echo").channels[0].state, ChannelState::open);
}

TEST_F(EchoTest, HostInterruptsWhenTheGuestsPendingSendSizeIsMet) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  const auto payload = pattern(kBig, 5);
  const std::uint32_t need = vmbus::align8(16 + kBig) + 8;
  // Fill the RX ring, then block the host with one more.
  for (std::uint32_t i = 0; i < kFits; ++i) ASSERT_TRUE(c->tx().write(vmbus::packet::inband(payload, i)).ok());
  ASSERT_TRUE(c->tx().commit());
  c->signal(kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(counter_reaches("echo", Counter::packets_out, kFits));
  ASSERT_TRUE(c->wait_host_idle());
  EXPECT_TRUE(c->send(vmbus::packet::inband(payload, kFits), kEchoRelid, kEchoMonitor));
  ASSERT_TRUE(counter_reaches("echo", Counter::host_blocked, 1));
  // The host is blocked with its TX mask set: fill the TX ring without signalling.
  for (std::uint32_t i = 0; i < kFits; ++i) ASSERT_TRUE(c->tx().write(vmbus::packet::inband(payload, 100 + i)).ok());
  EXPECT_FALSE(c->tx().commit());  // the host's mask is set: no signal
  ASSERT_FALSE(c->tx().write(vmbus::packet::inband(payload, 200)).ok());
  EXPECT_FALSE(c->tx().request_space_signal(need));  // pending_send_sz on the TX ring
  // Free the RX ring: the host resumes, drains TX, and on committing its reads
  // interrupts the guest because the room it asked for is free.
  alignas(8) static std::byte buffer[8192];
  while (c->rx().read(buffer)) {
  }
  ASSERT_TRUE(c->rx().commit());
  c->signal(kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(counter_reaches("echo", Counter::interrupts_for_space, 1)) << log_.all();
  EXPECT_GE(c->wait_interrupts(), 1u);
  EXPECT_EQ(counters("echo")[Counter::signals_unnecessary], 0u);
}

// A guest that follows every rule: batches, signals only when a commit says
// so, sets pending_send_sz when its TX ring is full, sleeps on the eventfd.
void run_traffic(EndpointClient& c, std::uint32_t relid, std::optional<std::uint8_t> monitor, std::uint32_t count) {
  std::vector<std::byte> rx_buffer(kRingData);
  std::uint32_t sent = 0, received = 0;
  bool tx_waiting = false;
  while (received < count) {
    bool progress = false;
    while (sent < count) {
      const auto payload = pattern(1 + (sent * 997) % 3000, sent);
      vmbus::Status s = c.tx().write(vmbus::packet::inband(payload, sent, sent % 3 == 0));
      if (!s) {
        ASSERT_EQ(s.error().code, vmbus::Errc::full);
        if (c.tx().request_space_signal(static_cast<std::uint32_t>(s.error().detail))) continue;  // room appeared
        tx_waiting = true;
        break;
      }
      if (tx_waiting) c.tx().cancel_space_signal(), tx_waiting = false;
      ++sent;
      progress = true;
    }
    if (c.tx().commit()) c.signal(relid, monitor);
    for (;;) {
      auto p = c.rx().read(rx_buffer);
      if (!p) {
        ASSERT_EQ(p.error().code, vmbus::Errc::empty) << p.error().message();
        break;
      }
      const auto expected = pattern(1 + (received * 997) % 3000, received);
      ASSERT_EQ(p->trans_id, received);
      ASSERT_EQ(p->type, received % 3 == 0 ? vmbus::PacketType::completion : vmbus::PacketType::data_inband);
      ASSERT_TRUE(std::equal(expected.begin(), expected.end(), p->payload.begin()));
      ++received;
      progress = true;
    }
    if (c.rx().commit()) c.signal(relid, monitor);
    if (!progress && received < count) {
      ASSERT_GE(c.wait_interrupts(5000), 1u) << "stalled at sent " << sent << " received " << received;
    }
  }
}

TEST_F(EchoTest, SustainedTrafficFlowsBothWaysMonitored) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  run_traffic(*c, kEchoRelid, kEchoMonitor, 400);
  const auto n = counters("echo");
  EXPECT_EQ(n[Counter::packets_out], 400u);
  EXPECT_EQ(n[Counter::packets_dropped], 0u);
  EXPECT_EQ(n[Counter::signals], n[Counter::signals_for_data] + n[Counter::signals_for_space] + n[Counter::signals_unnecessary]);
}

TEST_F(EchoTest, SustainedTrafficFlowsBothWaysUnmonitored) {
  auto c = open_slow_echo();
  ASSERT_TRUE(c);
  run_traffic(*c, kSlowRelid, std::nullopt, 400);
  EXPECT_EQ(counters("slow")[Counter::packets_out], 400u);
}

TEST_F(EchoTest, GpaDirectReadsTheClientsMemoryByAddress) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  // IOVA = VA: the GPA is this process's address (DPDK --no-huge).
  alignas(4096) static std::byte memory[3 * 4096];
  const auto data = pattern(sizeof memory, 6);
  std::memcpy(memory, data.data(), sizeof memory);
  vmbus::GpaDirectHeader ranges;
  ASSERT_TRUE(ranges.add_buffer(reinterpret_cast<std::uintptr_t>(memory) + 100, 5000).ok());
  const auto payload = bytes_of("rndis-packet");
  c->send(vmbus::packet::gpa_direct(ranges, payload, 77), kEchoRelid, kEchoMonitor);
  alignas(8) static std::byte buffer[16384];
  auto p = c->read_packet(buffer);
  ASSERT_TRUE(p) << log_.all();
  EXPECT_EQ(p->type, vmbus::PacketType::data_inband);
  EXPECT_EQ(p->trans_id, 77u);
  ASSERT_GE(p->payload.size(), 5000u);
  EXPECT_TRUE(std::equal(data.begin() + 100, data.begin() + 5100, p->payload.begin()));
  auto done = c->read_packet({buffer + 8192, 8192});
  ASSERT_TRUE(done);
  EXPECT_EQ(done->type, vmbus::PacketType::completion);
  EXPECT_EQ(done->trans_id, 77u);
  EXPECT_EQ(text_of(done->payload, payload.size()), "rndis-packet");
}

TEST_F(EchoTest, GpaDirectReadsRegisteredMemory) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  constexpr std::size_t kSize = 1 << 16;
  constexpr std::uint64_t kBase = 0x40000000000;  // a GPA that is no address here
  UniqueFd memfd(::memfd_create("guest-memory", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  ASSERT_EQ(::ftruncate(memfd.get(), kSize), 0);
  auto* mem = static_cast<std::byte*>(::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, memfd.get(), 0));
  ASSERT_NE(mem, MAP_FAILED);
  const auto data = pattern(kSize, 7);
  std::memcpy(mem, data.data(), kSize);
  ASSERT_EQ(c->register_memory(kBase, kSize, memfd.get()), 0);
  // One MPB range over two frames, as vmbus_sendpacket_mpb_desc builds it.
  vmbus::GpaDirectHeader ranges;
  const std::uint64_t gpa = kBase + 0x1800;
  const std::uint64_t pfns[2] = {vmbus::hv_pfn(gpa), vmbus::hv_pfn(gpa) + 1};
  ASSERT_TRUE(ranges.add_range(5000, vmbus::hv_page_offset(gpa), pfns).ok());
  c->send(vmbus::packet::gpa_direct(ranges, {}, 5), kEchoRelid, kEchoMonitor);
  alignas(8) static std::byte buffer[8192];
  auto p = c->read_packet(buffer);
  ASSERT_TRUE(p) << log_.all();
  EXPECT_TRUE(std::equal(data.begin() + 0x1800, data.begin() + 0x1800 + 5000, p->payload.begin()));
  ::munmap(mem, kSize);
}

TEST_F(EchoTest, BadGpaDirectPacketsAreDroppedWithALogLine) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  // rangecount 0: GpaDirectPacket::parse refuses it.
  const std::uint32_t empty_ranges[2] = {0, 0};
  vmbus::OutgoingPacket bad;
  bad.type = vmbus::PacketType::data_using_gpa_direct;
  bad.flags = vmbus::kPacketFlagCompletionRequested;
  bad.header = std::as_bytes(std::span(empty_ranges));
  c->send(bad, kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(counter_reaches("echo", Counter::packets_dropped, 1));
  EXPECT_TRUE(wait_for([&] { return log_.contains("malformed GPA-direct header"); }));
  // A frame nobody maps: process_vm_readv fails, the packet is dropped.
  vmbus::GpaDirectHeader ranges;
  ASSERT_TRUE(ranges.add_page(16, 0, 1).ok());
  c->send(vmbus::packet::gpa_direct(ranges, {}, 3), kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(counter_reaches("echo", Counter::packets_dropped, 2));
  EXPECT_TRUE(wait_for([&] { return log_.contains("cannot read the guest memory"); }));
  // The channel still works.
  c->send(vmbus::packet::inband(bytes_of("still here"), 4), kEchoRelid, kEchoMonitor);
  alignas(8) std::byte buffer[256];
  auto p = c->read_packet(buffer);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->trans_id, 4u);
}

TEST_F(EchoTest, ACorruptGuestRingClosesTheChannelNotHvsim) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  c->tx_memory().store_write_index(12);  // misaligned: corrupt_index
  c->signal(kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(counter_reaches("echo", Counter::corrupt_closes, 1));
  EXPECT_EQ(sim().device("echo").channels[0].state, ChannelState::corrupt);
  EXPECT_TRUE(wait_for([&] { return log_.contains("ring is corrupt"); })) << log_.all();
  // Signals to a closed channel are ignored (and counted as unnecessary).
  c->signal(kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(counter_reaches("echo", Counter::signals, 2));
  // Reopening the device starts over with fresh rings.
  c.reset();
  ASSERT_TRUE(wait_for([&] { return !sim().device("echo").client_pid; }));
  c = open_client(*sim().device("echo").uio);
  ASSERT_TRUE(c);
  EXPECT_EQ(sim().device("echo").channels[0].state, ChannelState::open);
  c->send(vmbus::packet::inband(bytes_of("again"), 1), kEchoRelid, kEchoMonitor);
  alignas(8) std::byte buffer[256];
  EXPECT_TRUE(c->read_packet(buffer));
}

TEST_F(EchoTest, ACorruptDescriptorClosesTheChannel) {
  auto c = open_echo();
  ASSERT_TRUE(c);
  // A descriptor with offset8 = 1 (below the 16-byte descriptor itself).
  const vmbus::PacketDescriptor d{.type = 6, .offset8 = 1, .len8 = 4, .flags = 0, .trans_id = 1};
  std::memcpy(c->tx_memory().data(), &d, sizeof d);
  c->tx_memory().store_write_index(40);
  c->signal(kEchoRelid, kEchoMonitor);
  ASSERT_TRUE(counter_reaches("echo", Counter::corrupt_closes, 1));
  EXPECT_TRUE(wait_for([&] { return log_.contains("corrupt packet length"); })) << log_.all();
  EXPECT_NO_THROW((void)sim().devices());
}

}  // namespace
}  // namespace hvsim::test
