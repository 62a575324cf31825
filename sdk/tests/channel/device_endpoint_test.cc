// Device over an endpoint served by a thread in the test (FakeHost), with a
// sysfs directory in a temporary folder: everything real except the host.
// Checks what a driver sees: packets crossing both rings, the signal each
// kind of channel uses, interrupts, the shared buffers, subchannels whose
// ring file appears late, and rescinds of every kind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "device_test_support.h"
#include "vmbus/channel/counters_table.h"
#include "vmbus/device/device.h"
#include "vmbus/hv_monitor_page.h"
#include "vmbus/ring/incoming_ring.h"
#include "vmbus/ring/outgoing_ring.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using vmbus::DeviceError;
using vmbus::Errc;
using vmbus::test::FakeHost;
using vmbus::test::HasError;
using vmbus::test::IsOk;
using vmbus::test::pattern_bytes;
using vmbus::test::small_maps;
using vmbus::test::uio_device_info;
using ::testing::HasSubstr;

constexpr std::size_t kRingSize = 4096 + 16384;

// The host's ends of the primary channel's rings, over its view of map 0.
struct HostRings {
  explicit HostRings(std::byte* map0) {
    auto tx_memory = vmbus::RingMemory::from({map0, kRingSize});
    auto rx_memory = vmbus::RingMemory::from({map0 + kRingSize, kRingSize});
    reader.emplace(*vmbus::IncomingRing::attach(*tx_memory));  // reads the guest's TX ring
    writer.emplace(*vmbus::OutgoingRing::attach(*rx_memory));  // writes the guest's RX ring
    rx_ring = *rx_memory;
  }
  std::optional<vmbus::IncomingRing> reader;
  std::optional<vmbus::OutgoingRing> writer;
  std::optional<vmbus::RingMemory> rx_ring;
};

struct Fixture : ::testing::Test {
  vmbus::test::TempDir root;
  fs::path sysfs_dir = root.path() / "sys/bus/vmbus/devices" / vmbus::test::kDeviceGuid;
  void SetUp() override { fs::create_directories(sysfs_dir / "channels"); }

  // channels/<relid>/ring of `size` bytes with both rings initialized, and
  // monitor_id if given: what hv_uio_new_channel + hv_create_ring_sysfs make.
  void make_ring_file(std::uint32_t relid, std::size_t size, std::optional<int> monitor_id) {
    const fs::path dir = sysfs_dir / "channels" / std::to_string(relid);
    fs::create_directories(dir);
    if (monitor_id) std::ofstream(dir / "monitor_id") << *monitor_id << "\n";
    const fs::path tmp = dir / ".ring.tmp";
    {
      std::ofstream f(tmp, std::ios::binary);
      std::vector<char> zeros(size, 0);
      f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    }
    fs::rename(tmp, dir / "ring");  // appears whole, as a kernel attribute does
  }
};

using DeviceEndpoint = Fixture;

TEST_F(DeviceEndpoint, MonitoredPrimaryChannelRoundTrip) {
  FakeHost host(small_maps());
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps(), /*monitor_id=*/5, /*relid=*/14));
  EXPECT_THAT(dev->describe(), HasSubstr("endpoint "));
  ASSERT_EQ(dev->channel_count(), 1u);
  vmbus::Channel& ch = dev->channel(0);
  EXPECT_EQ(ch.relid(), 14u);
  EXPECT_TRUE(ch.monitored());
  EXPECT_EQ(dev->find_channel(14), &ch);
  EXPECT_EQ(dev->find_channel(15), nullptr);
  EXPECT_THROW((void)dev->channel(1), std::out_of_range);

  HostRings h(host.host_map(0));
  // Guest -> host: a monitored channel signals with the two bits, no syscall.
  const auto request = pattern_bytes(100, 1);
  ASSERT_TRUE(IsOk(ch.send_inband(request, 42, true)));
  EXPECT_TRUE(vmbus::take_int_page_bit(host.host_map(1) + 0, 14)) << "relid 14's bit in the int page's +2048 half";
  EXPECT_TRUE(vmbus::take_monitor_bit(host.host_map(2), 5));
  EXPECT_TRUE(host.irqcontrol_values().empty()) << "monitored channels never use irqcontrol";
  alignas(8) std::byte buffer[512];
  auto p = h.reader->read(buffer);
  ASSERT_TRUE(IsOk(p));
  EXPECT_EQ(p->trans_id, 42u);

  // Host -> guest: the guest polls (mask set), so the host does not interrupt.
  ASSERT_TRUE(IsOk(h.writer->write(vmbus::packet::completion(42, request))));
  EXPECT_FALSE(h.writer->commit()) << "the channel starts in poll mode";
  auto c = ch.receive(buffer);
  ASSERT_TRUE(IsOk(c));
  EXPECT_EQ(c->type, vmbus::PacketType::completion);
  EXPECT_EQ(c->trans_id, 42u);
  ASSERT_TRUE(IsOk(ch.finish_receive()));
}

TEST_F(DeviceEndpoint, WaitReturnsInterruptsOrTimesOut) {
  FakeHost host(small_maps());
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps()));
  auto n = dev->wait(30ms);
  ASSERT_TRUE(IsOk(n));
  EXPECT_EQ(*n, 0u);
  host.interrupt(2);
  n = dev->wait(5s);
  ASSERT_TRUE(IsOk(n));
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(dev->channel(0).counters().interrupts_seen.load(), 2u);
}

TEST_F(DeviceEndpoint, UnmonitoredChannelSignalsWithIrqcontrolAndStaysInPollMode) {
  FakeHost host(small_maps());
  // The host's side of hv_uio_irqcontrol(1): every RX interrupt_mask = 0.
  std::byte* map0 = nullptr;
  host.on_irqcontrol = [&](std::int32_t value) {
    if (value != 0 && map0 != nullptr) vmbus::RingMemory::from({map0 + kRingSize, kRingSize})->store_interrupt_mask(0);
  };
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps(), /*monitor_id=*/std::nullopt));
  map0 = host.host_map(0);
  vmbus::Channel& ch = dev->channel(0);
  EXPECT_FALSE(ch.monitored());
  HostRings h(map0);
  EXPECT_EQ(h.rx_ring->load_interrupt_mask(), 1u);

  ASSERT_TRUE(IsOk(ch.send_inband(pattern_bytes(10, 2), 1)));
  EXPECT_EQ(host.irqcontrol_values(), (std::vector<std::int32_t>{1}));
  EXPECT_EQ(ch.counters().signals_sent.load(), 1u);
  EXPECT_EQ(h.rx_ring->load_interrupt_mask(), 0u) << "irqcontrol(1) unmasked it (as the kernel does)";
  EXPECT_TRUE(ch.rx_empty());
  EXPECT_EQ(h.rx_ring->load_interrupt_mask(), 1u) << "the poll-mode channel took its mask back";
}

TEST_F(DeviceEndpoint, SharedBuffersCarryTheirGpadlHandles) {
  auto maps = small_maps();
  maps.push_back({"recv:7", 65536});
  maps.push_back({"send:8", 32768});
  FakeHost host(maps);
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), maps));
  auto recv = dev->recv_buffer();
  auto send = dev->send_buffer();
  ASSERT_TRUE(recv && send);
  EXPECT_EQ(recv->gpadl, 7u);
  EXPECT_EQ(recv->memory.size(), 65536u);
  EXPECT_EQ(send->gpadl, 8u);
  EXPECT_EQ(send->memory.size(), 32768u);
  host.host_map(3)[100] = std::byte{9};
  EXPECT_EQ(recv->memory[100], std::byte{9});

  FakeHost host2(maps);
  auto lean = vmbus::Device::open(uio_device_info(sysfs_dir, host2.path(), maps), {.map_shared_buffers = false});
  EXPECT_FALSE(lean->recv_buffer());
  EXPECT_FALSE(lean->send_buffer());
}

TEST_F(DeviceEndpoint, RescindMessageIsReportedEverywhere) {
  FakeHost host(small_maps());
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps()));
  host.rescind();
  EXPECT_TRUE(HasError(dev->wait(5s), Errc::rescinded));
  EXPECT_TRUE(dev->rescinded());
  EXPECT_TRUE(dev->channel(0).rescinded());
  EXPECT_TRUE(HasError(dev->channel(0).send_inband(pattern_bytes(8, 3), 1), Errc::rescinded));
  alignas(8) std::byte buffer[128];
  EXPECT_TRUE(HasError(dev->channel(0).receive(buffer), Errc::rescinded));
  EXPECT_TRUE(HasError(dev->wait(5s), Errc::rescinded)) << "returns at once, again";
  EXPECT_THROW((void)dev->open_subchannel(20, 10ms), DeviceError);
}

TEST_F(DeviceEndpoint, DeviceDirectoryGoneIsARescind) {
  FakeHost host(small_maps());
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps()));
  fs::remove_all(sysfs_dir);
  EXPECT_TRUE(HasError(dev->wait(20ms), Errc::rescinded));
  EXPECT_TRUE(dev->channel(0).rescinded());
}

TEST_F(DeviceEndpoint, ClosingTheDeviceReleasesEverything) {
  const std::size_t before = vmbus::test::open_fd_count();
  {
    FakeHost host(small_maps());
    auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps()));
    make_ring_file(20, 2 * (4096 + 8192), 7);
    (void)dev->open_subchannel(20, 1s);
  }
  EXPECT_EQ(vmbus::test::open_fd_count(), before);
}

// ---- Subchannels -------------------------------------------------------------

TEST_F(DeviceEndpoint, SubchannelRingFileAppearingLateIsWaitedFor) {
  FakeHost host(small_maps());
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps()));
  constexpr std::size_t kSubRing = 4096 + 8192;
  // The file appears 150 ms after the call starts: success means it waited.
  std::thread offer([&] {
    std::this_thread::sleep_for(150ms);
    make_ring_file(20, 2 * kSubRing, /*monitor_id=*/7);
  });
  vmbus::Channel& sub = dev->open_subchannel(20, 10s);
  offer.join();
  EXPECT_EQ(dev->channel_count(), 2u);
  EXPECT_EQ(&dev->channel(1), &sub);
  EXPECT_EQ(sub.relid(), 20u);
  ASSERT_TRUE(sub.monitor_id());
  EXPECT_EQ(*sub.monitor_id(), 7);
  EXPECT_EQ(&dev->open_subchannel(20, 0ms), &sub) << "opening twice gives the same channel";

  // The subchannel's TX ring is the file's first half.
  ASSERT_TRUE(IsOk(sub.send_inband(pattern_bytes(30, 4), 77)));
  EXPECT_TRUE(vmbus::take_int_page_bit(host.host_map(1), 20));
  EXPECT_TRUE(vmbus::take_monitor_bit(host.host_map(2), 7));
  vmbus::test::UniqueFd fd(::open((sysfs_dir / "channels/20/ring").c_str(), O_RDWR | O_CLOEXEC));
  void* file = ::mmap(nullptr, 2 * kSubRing, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  ASSERT_NE(file, MAP_FAILED);
  auto tx = vmbus::RingMemory::from({static_cast<std::byte*>(file), kSubRing});
  auto reader = vmbus::IncomingRing::attach(*tx);
  alignas(8) std::byte buffer[256];
  auto p = reader->read(buffer);
  ASSERT_TRUE(IsOk(p));
  EXPECT_EQ(p->trans_id, 77u);
  ::munmap(file, 2 * kSubRing);
}

TEST_F(DeviceEndpoint, SubchannelThatNeverAppearsTimesOutNamingTheFile) {
  FakeHost host(small_maps());
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps()));
  try {
    (void)dev->open_subchannel(99, 200ms);
    ADD_FAILURE() << "no error";
  } catch (const DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr((sysfs_dir / "channels/99/ring").string() + ": did not appear within 200 ms"));
  }
  EXPECT_EQ(dev->channel_count(), 1u);
}

TEST_F(DeviceEndpoint, SubchannelRingFileOfABadSizeIsRefused) {
  FakeHost host(small_maps());
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps()));
  make_ring_file(21, 3 * 4096, std::nullopt);
  try {
    (void)dev->open_subchannel(21, 1s);
    ADD_FAILURE() << "no error";
  } catch (const DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr((sysfs_dir / "channels/21/ring").string() + ": size 12288 bytes, expected two "
                                                                                "equal rings"));
  }
  make_ring_file(22, 0, std::nullopt);
  EXPECT_THROW((void)dev->open_subchannel(22, 1s), DeviceError);
}

TEST_F(DeviceEndpoint, SubchannelDirectoryGoneRescindsOnlyThatChannel) {
  FakeHost host(small_maps());
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps()));
  make_ring_file(20, 2 * (4096 + 8192), std::nullopt);
  vmbus::Channel& sub = dev->open_subchannel(20, 1s);
  EXPECT_FALSE(sub.monitored());
  fs::remove_all(sysfs_dir / "channels/20");
  EXPECT_FALSE(dev->check_rescinded());
  EXPECT_TRUE(sub.rescinded());
  EXPECT_FALSE(dev->channel(0).rescinded());
  EXPECT_TRUE(HasError(sub.send_inband(pattern_bytes(8, 5), 1), Errc::rescinded));
}

}  // namespace

namespace {

// A vmbusd lease of a kernel device passes the kernel's one /dev/uioN file
// for every map, each at its own mmap offset: the device must map each map
// at its offset (here one memfd laid out the same way).
TEST_F(DeviceEndpoint, MapsInOneFileAreMappedAtTheirOffsets) {
  FakeHost host(small_maps(), {}, /*initialize_rings=*/true, /*one_file=*/true);
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps(), /*monitor_id=*/5, /*relid=*/14));
  vmbus::Channel& ch = dev->channel(0);
  HostRings h(host.host_map(0));
  const auto request = pattern_bytes(64, 3);
  ASSERT_TRUE(IsOk(ch.send_inband(request, 7, false)));
  // Map 1 (int page) and map 2 (monitor page) are the file's later pages.
  EXPECT_TRUE(vmbus::take_int_page_bit(host.host_map(1) + 0, 14));
  EXPECT_TRUE(vmbus::take_monitor_bit(host.host_map(2), 5));
  alignas(8) std::byte buffer[256];
  auto p = h.reader->read(buffer);
  ASSERT_TRUE(IsOk(p));
  EXPECT_EQ(p->trans_id, 7u);
}

// The counters a driver keeps are readable by the endpoint's server from
// the memfd the device shares, as vmbusd reads them for GetChannel.
TEST_F(DeviceEndpoint, CountersAreSharedWithTheEndpointServer) {
  FakeHost host(small_maps());
  auto dev = vmbus::Device::open(uio_device_info(sysfs_dir, host.path(), small_maps(), /*monitor_id=*/5, /*relid=*/14));
  vmbus::Channel& ch = dev->channel(0);
  for (int i = 0; i < 200 && host.shared_counters().empty(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_FALSE(host.shared_counters().empty()) << "no ShareCounters";
  EXPECT_EQ(host.shared_counter_slots(), vmbus::Device::kMaxChannels);

  const auto request = pattern_bytes(100, 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(IsOk(ch.send_inband(request, static_cast<std::uint64_t>(1 + i), false)));
  auto seen = vmbus::read_shared_counters(host.shared_counters(), 14);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->packets_sent, 3u);
  EXPECT_EQ(seen->bytes_sent, ch.counters().snapshot().bytes_sent);
  EXPECT_EQ(seen->packets_received, 0u);
  EXPECT_FALSE(vmbus::read_shared_counters(host.shared_counters(), 15).has_value()) << "no channel 15";
}

}  // namespace
