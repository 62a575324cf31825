// Subchannels: the host offers them when a device host asks
// (DeviceHost::offer_subchannels; the echo host asks on open), each with its
// own relid, monitor id, channels/<relid>/ directory and, a little later,
// its 4 MiB ring file; the primary's ring file aliases uio map 0; the
// guest's last close, an unbind and a rescind take them back; the config
// that governs them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "hvsim/device_host.h"
#include "hvsim/echo_host.h"
#include "hvsim/host_channel.h"
#include "sim_fixture.h"

namespace hvsim::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint64_t kEchoRingSize = 0x12000;   // VMBUS_RING_SIZE(0x11000)
constexpr std::uint64_t kSubchannelFile = 4u << 20;  // 2 * SZ_2M
// Generous: a loaded 2-core machine under a sanitizer is slow, never wrong.
constexpr milliseconds kPatience{20'000};

// A subchannel as the guest uses it: its ring file mapped whole, TX then RX.
class RingFileClient {
 public:
  explicit RingFileClient(const stdfs::path& ring) {
    fd_ = UniqueFd(::open(ring.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd_) throw std::runtime_error("open " + ring.string());
    struct stat st {};
    ::fstat(fd_.get(), &st);
    size_ = static_cast<std::size_t>(st.st_size);
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap " + ring.string());
    data_ = static_cast<std::byte*>(p);
    const std::span<std::byte> all(data_, size_);
    tx_memory_.emplace(*vmbus::RingMemory::from(all.first(size_ / 2)));
    rx_memory_.emplace(*vmbus::RingMemory::from(all.subspan(size_ / 2)));
    tx_.emplace(*vmbus::OutgoingRing::attach(*tx_memory_));
    rx_.emplace(*vmbus::IncomingRing::attach(*rx_memory_));
  }
  ~RingFileClient() { ::munmap(data_, size_); }
  RingFileClient(const RingFileClient&) = delete;
  RingFileClient& operator=(const RingFileClient&) = delete;

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  vmbus::RingMemory& tx_memory() { return *tx_memory_; }
  vmbus::RingMemory& rx_memory() { return *rx_memory_; }

  // Writes, commits and signals through `device` if the ring says so.
  void send(EndpointClient& device, const vmbus::OutgoingPacket& p, std::uint32_t relid,
            std::optional<std::uint8_t> monitor_id) {
    ASSERT_TRUE(tx_->write(p).ok());
    if (tx_->commit()) device.signal(relid, monitor_id);
  }
  std::optional<vmbus::IncomingPacket> read_packet(std::span<std::byte> buffer) {
    std::optional<vmbus::IncomingPacket> got;
    wait_for([&] {
      auto p = rx_->read(buffer);
      if (p) got = *p;
      return got.has_value();
    }, kPatience);
    if (got) (void)rx_->commit();
    return got;
  }

 private:
  UniqueFd fd_;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::optional<vmbus::RingMemory> tx_memory_, rx_memory_;
  std::optional<vmbus::OutgoingRing> tx_;
  std::optional<vmbus::IncomingRing> rx_;
};

struct FileInfo {
  std::uint64_t size = 0;
  unsigned mode = 0;
  bool regular = false;
};
FileInfo file_info(const stdfs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return {};
  return {static_cast<std::uint64_t>(st.st_size), st.st_mode & 07777u, S_ISREG(st.st_mode)};
}

class SubchannelTest : public SimFixture {
 protected:
  void start_with_delay(std::uint32_t delay_ms) {
    SimConfig config = default_config();
    config.subchannel_ring_delay_ms = delay_ms;
    start(std::move(config));
  }

  stdfs::path channel_dir(std::string_view device, std::uint32_t relid) {
    return device_dir(device) / "channels" / std::to_string(relid);
  }
  stdfs::path ring_file(std::string_view device, std::uint32_t relid) { return channel_dir(device, relid) / "ring"; }

  bool channels_become(std::string_view device, std::size_t n) {
    return wait_for([&] { return sim().device(device).channels.size() == n; }, kPatience);
  }
  // Waits for every subchannel's ring file; the status's channels, primary first.
  std::vector<ChannelStatus> wait_for_rings(std::string_view device, std::size_t subchannels) {
    EXPECT_TRUE(channels_become(device, subchannels + 1)) << log_.all();
    const std::vector<ChannelStatus> channels = sim().device(device).channels;
    for (const ChannelStatus& c : channels) {
      EXPECT_TRUE(wait_for([&] { return present(ring_file(device, c.spec.relid)); }, kPatience))
          << "relid " << c.spec.relid << "\n" << log_.all();
    }
    return channels;
  }
};

TEST_F(SubchannelTest, OpeningEchoOffersItsSubchannelsEachWithItsOwnIds) {
  const unsigned uio = bind_uio("echo");
  auto client = open_client(uio);
  ASSERT_TRUE(client);
  ASSERT_TRUE(channels_become("echo", 4)) << log_.all();
  const DeviceStatus d = sim().device("echo");
  EXPECT_EQ(d.spec.subchannels, 3u);
  // Relids above every channel offered (the echo's 40 is the highest);
  // monitor ids the lowest free (eth0 holds 3, echo 40).
  const std::uint32_t relids[] = {40, 41, 42, 43};
  const std::uint8_t monitors[] = {40, 0, 1, 2};
  for (std::uint32_t k = 0; k < 4; ++k) {
    const ChannelSpec& s = d.channels[k].spec;
    EXPECT_EQ(s.subchannel_id, k);
    EXPECT_EQ(s.relid, relids[k]);
    EXPECT_EQ(s.monitor_id, std::optional<std::uint8_t>(monitors[k]));
  }
  // vmbus_add_channel_kobj: the channel directories, with the primary's attributes.
  for (std::uint32_t k = 1; k < 4; ++k) {
    const stdfs::path dir = channel_dir("echo", relids[k]);
    ASSERT_TRUE(present(dir));
    EXPECT_EQ(read_text(dir / "subchannel_id"), std::to_string(k) + "\n");
    EXPECT_EQ(read_text(dir / "monitor_id"), std::to_string(monitors[k]) + "\n");
    EXPECT_EQ(read_text(dir / "cpu"), std::to_string(k) + "\n");
    EXPECT_EQ(read_text(dir / "latency"), "500\n");  // monitor_latency_us 50, in 100 ns
    for (const char* f : {"in_mask", "out_mask", "read_avail", "write_avail", "interrupts", "events", "pending",
                          "intr_in_full", "intr_out_empty", "out_full_first", "out_full_total"}) {
      EXPECT_TRUE(present(dir / f)) << f;
    }
    const stdfs::path stats = paths().stats_dir(d.spec.instance) / "channels" / std::to_string(relids[k]);
    EXPECT_EQ(read_text(stats / "subchannel_id"), std::to_string(k) + "\n");
    EXPECT_TRUE(present(stats / "packets_in"));
  }
  EXPECT_TRUE(wait_for([&] {
    return read_text(device_dir("echo") / "channel_vp_mapping") == "40:0\n41:1\n42:2\n43:3\n";
  }, kPatience)) << read_text(device_dir("echo") / "channel_vp_mapping");
  // ctl stats shows every channel with its subchannel id.
  const nlohmann::json stats = sim().handle_control({{"command", "stats"}, {"args", {"echo"}}});
  ASSERT_TRUE(stats.at("ok").get<bool>()) << stats.dump();
  const nlohmann::json& channels = stats.at("result").at("devices").at(0).at("channels");
  ASSERT_EQ(channels.size(), 4u);
  for (std::uint32_t k = 0; k < 4; ++k) {
    EXPECT_EQ(channels[k].at("relid").get<std::uint32_t>(), relids[k]);
    EXPECT_EQ(channels[k].at("subchannel_id").get<std::uint32_t>(), k);
    EXPECT_TRUE(channels[k].at("counters").contains("packets_in"));
  }
}

TEST_F(SubchannelTest, RingFilesAppearAfterTheDelayWhole) {
  constexpr milliseconds kDelay{300};
  start_with_delay(static_cast<std::uint32_t>(kDelay.count()));
  const unsigned uio = bind_uio("echo");
  const Clock::time_point opened = Clock::now();
  auto client = open_client(uio);
  ASSERT_TRUE(client);
  ASSERT_TRUE(channels_become("echo", 4)) << log_.all();
  const stdfs::path ring = ring_file("echo", 41);
  // The directory comes first; the ring cannot exist before the delay ran out.
  if (Clock::now() < opened + kDelay) {
    EXPECT_FALSE(present(ring));
  }
  ASSERT_TRUE(wait_for([&] { return present(ring); }, kPatience)) << log_.all();
  EXPECT_GE(Clock::now() - opened, kDelay);
  for (std::uint32_t relid : {41u, 42u, 43u}) {
    ASSERT_TRUE(wait_for([&] { return present(ring_file("echo", relid)); }, kPatience));
    const FileInfo f = file_info(ring_file("echo", relid));
    EXPECT_TRUE(f.regular);
    EXPECT_EQ(f.size, kSubchannelFile);  // the old fixed size and the exact one agree
    EXPECT_EQ(f.mode, 0600u);
    // hv_ringbuffer_init: fresh headers, feature_bits = 1 (pending_send_sz).
    RingFileClient r(ring_file("echo", relid));
    for (vmbus::RingMemory* m : {&r.tx_memory(), &r.rx_memory()}) {
      EXPECT_EQ(m->load_feature_bits(), 1u);
      EXPECT_EQ(m->load_write_index(), 0u);
      EXPECT_EQ(m->load_read_index(), 0u);
      EXPECT_EQ(m->data_size(), (2u << 20) - 4096u);
    }
  }
  // Nothing half-made was left in the staging directory.
  for (const auto& e : stdfs::directory_iterator(paths().staging)) {
    EXPECT_EQ(e.path().filename().string().rfind("ring", 0), std::string::npos) << e.path();
  }
  EXPECT_TRUE(wait_for([&] { return sim().device("echo").channels[1].state == ChannelState::open; }, kPatience));
}

TEST_F(SubchannelTest, EachSubchannelEchoesOnItsOwnRingsAndCounters) {
  const unsigned uio = bind_uio("echo");
  auto client = open_client(uio);
  ASSERT_TRUE(client);
  const std::vector<ChannelStatus> channels = wait_for_rings("echo", 3);
  ASSERT_EQ(channels.size(), 4u);
  alignas(8) std::byte buffer[4096];
  for (std::uint32_t k = 1; k < 4; ++k) {
    const ChannelSpec& s = channels[k].spec;
    RingFileClient sub(ring_file("echo", s.relid));
    const std::string text = "over subchannel " + std::to_string(k);
    // The first packet takes the ring empty -> non-empty: a signal by its monitor bit.
    sub.send(*client, vmbus::packet::inband(bytes_of(text), 100 + k), s.relid, s.monitor_id);
    const auto p = sub.read_packet(buffer);
    ASSERT_TRUE(p) << "subchannel " << k << "\n" << log_.all();
    EXPECT_EQ(p->trans_id, 100u + k);
    EXPECT_EQ(text_of(p->payload, text.size()), text);
    // uio delivers every channel's interrupt on the device's one fd.
    EXPECT_GE(client->wait_interrupts(static_cast<int>(kPatience.count())), 1u);
  }
  ASSERT_TRUE(wait_for([&] {
    const DeviceStatus d = sim().device("echo");
    for (std::uint32_t k = 1; k < 4; ++k) {
      if (d.channels[k].counters[Counter::interrupts] < 1) return false;
    }
    return true;
  }, kPatience));
  const DeviceStatus d = sim().device("echo");
  EXPECT_EQ(d.channels[0].counters[Counter::packets_in], 0u);  // nothing crossed the primary
  for (std::uint32_t k = 1; k < 4; ++k) {
    const CountersSnapshot& n = d.channels[k].counters;
    EXPECT_EQ(n[Counter::packets_in], 1u) << k;
    EXPECT_EQ(n[Counter::packets_out], 1u) << k;
    EXPECT_EQ(n[Counter::signals], 1u) << k;
    EXPECT_EQ(n[Counter::signals_unnecessary], 0u) << k;
    EXPECT_EQ(n[Counter::interrupts], 1u) << k;
    EXPECT_EQ(d.channels[k].state, ChannelState::open);
  }
}

TEST_F(SubchannelTest, ThePrimaryRingFileIsMap0) {
  EXPECT_FALSE(present(ring_file("echo", kEchoRelid)));  // no uio binding, no ring attribute
  const unsigned uio = bind_uio("echo");
  // hv_uio_probe -> hv_create_ring_sysfs: there before the client opens.
  const stdfs::path ring = ring_file("echo", kEchoRelid);
  ASSERT_TRUE(present(ring));
  const FileInfo f = file_info(ring);
  EXPECT_TRUE(f.regular);
  EXPECT_EQ(f.size, 2 * kEchoRingSize);
  EXPECT_EQ(f.mode, 0600u);

  auto client = open_client(uio);
  ASSERT_TRUE(client);
  ASSERT_EQ(client->maps().at(0).size, f.size);
  RingFileClient file(ring);
  std::byte* map0 = client->maps().at(0).data;
  // Bytes 2048.. of each header page are reserved: neither side reads them.
  for (std::size_t at : {std::size_t{2048}, std::size_t{kEchoRingSize + 2048}}) {
    map0[at] = std::byte{0x5a};
    EXPECT_EQ(file.data()[at], std::byte{0x5a}) << at;
    file.data()[at + 1] = std::byte{0xa5};
    EXPECT_EQ(map0[at + 1], std::byte{0xa5}) << at;
  }
  // And traffic over map 0 is what the ring file shows.
  ASSERT_TRUE(client->send(vmbus::packet::inband(bytes_of("aliased"), 9), kEchoRelid, kEchoMonitor));
  alignas(8) std::byte buffer[4096];
  ASSERT_TRUE(client->read_packet(buffer)) << log_.all();
  EXPECT_EQ(file.tx_memory().load_write_index(), client->tx_memory().load_write_index());
  EXPECT_NE(file.rx_memory().load_write_index(), 0u);

  // hv_uio_remove -> hv_remove_ring_sysfs; the channel directory stays.
  sim().unbind("echo");
  EXPECT_FALSE(present(ring));
  EXPECT_TRUE(present(channel_dir("echo", kEchoRelid)));
}

TEST_F(SubchannelTest, TheLastCloseRescindsThemAndTheNextOpenGetsTheSameIds) {
  const unsigned uio = bind_uio("echo");
  auto client = open_client(uio);
  ASSERT_TRUE(client);
  std::vector<ChannelStatus> first = wait_for_rings("echo", 3);
  const Guid instance = sim().device("echo").spec.instance;
  client.reset();  // the last close: vmbus_disconnect_ring closes the subchannels
  ASSERT_TRUE(channels_become("echo", 1)) << log_.all();
  for (std::uint32_t relid : {41u, 42u, 43u}) {
    EXPECT_FALSE(present(channel_dir("echo", relid))) << relid;
    EXPECT_FALSE(present(paths().stats_dir(instance) / "channels" / std::to_string(relid))) << relid;
  }
  EXPECT_EQ(read_text(device_dir("echo") / "channel_vp_mapping"), "40:0\n");
  EXPECT_TRUE(present(ring_file("echo", kEchoRelid)));  // still bound: the primary's stays

  // The next open starts with the primary; the host asks again and gets the
  // relids and monitor ids that were freed.
  client = open_client(uio);
  ASSERT_TRUE(client);
  std::vector<ChannelStatus> second = wait_for_rings("echo", 3);
  ASSERT_EQ(second.size(), first.size());
  for (std::size_t k = 0; k < first.size(); ++k) {
    EXPECT_EQ(second[k].spec.relid, first[k].spec.relid);
    EXPECT_EQ(second[k].spec.monitor_id, first[k].spec.monitor_id);
    EXPECT_EQ(second[k].spec.subchannel_id, first[k].spec.subchannel_id);
  }
  // Fresh rings: nothing of the first open's counters or indices.
  RingFileClient sub(ring_file("echo", 41));
  EXPECT_EQ(sub.tx_memory().load_write_index(), 0u);
  EXPECT_EQ(second[1].counters[Counter::packets_in], 0u);
}

TEST_F(SubchannelTest, UnbindAndRescindTakeEverythingAndFreeTheIds) {
  unsigned uio = bind_uio("echo");
  auto client = open_client(uio);
  ASSERT_TRUE(client);
  wait_for_rings("echo", 3);
  sim().unbind("echo");
  EXPECT_EQ(sim().device("echo").channels.size(), 1u);
  EXPECT_FALSE(present(channel_dir("echo", 41)));
  EXPECT_FALSE(present(ring_file("echo", kEchoRelid)));
  client.reset();

  uio = bind_uio("echo");
  client = open_client(uio);
  ASSERT_TRUE(client);
  wait_for_rings("echo", 3);
  const stdfs::path dir = device_dir("echo");
  sim().rescind("echo");
  EXPECT_FALSE(present(dir));
  // Their relids and monitor ids are free again.
  const DeviceStatus d = sim().offer(parse_device(
      nlohmann::json{{"name", "e2"}, {"class", "echo"}, {"relid", 41}, {"monitor_id", 0}}, "test"));
  EXPECT_EQ(d.spec.relid, 41u);
}

TEST_F(SubchannelTest, NewDevicesStayClearOfTheSubchannelsIds) {
  auto client = open_client(bind_uio("echo"));
  ASSERT_TRUE(client);
  wait_for_rings("echo", 3);
  // The next relid above every channel, the lowest monitor id nobody holds.
  const DeviceStatus added =
      sim().offer(parse_device(nlohmann::json{{"class", "echo"}, {"name", "e2"}, {"monitor_id", "auto"}}, "test"));
  EXPECT_EQ(added.spec.relid, 44u);
  EXPECT_EQ(added.spec.monitor_id, std::optional<std::uint8_t>(4));
  try {
    sim().offer(parse_device(nlohmann::json{{"class", "echo"}, {"name", "e3"}, {"relid", 42}}, "test"));
    ADD_FAILURE() << "relid 42 was taken twice";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("relid 42 is held by subchannel 2 of \"echo\""), std::string::npos) << e.what();
  }
  try {
    sim().offer(parse_device(nlohmann::json{{"class", "echo"}, {"name", "e4"}, {"monitor_id", 1}}, "test"));
    ADD_FAILURE() << "monitor id 1 was taken twice";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("monitor_id 1 is held by subchannel 2 of \"echo\""), std::string::npos)
        << e.what();
  }
  // ctl offer resolves the same way.
  const nlohmann::json r = sim().handle_control({{"command", "offer"}, {"args", {"echo"}}});
  ASSERT_TRUE(r.at("ok").get<bool>()) << r.dump();
  EXPECT_EQ(r.at("result").at("device").at("relid").get<std::uint32_t>(), 45u);
}

TEST_F(SubchannelTest, AnUnmonitoredDevicesSubchannelsAreSignalledByIrqcontrol) {
  SimConfig config = default_config();
  config.devices.pop_back();  // the default echo
  config.devices.push_back(parse_device(nlohmann::json{{"name", "slow"}, {"class", "echo"}, {"relid", 50},
                                                       {"monitor_id", nullptr}, {"subchannels", 2},
                                                       {"driver", "uio_hv_generic"}},
                                        "test"));
  start(std::move(config));
  auto client = open_client(*sim().device("slow").uio);
  ASSERT_TRUE(client);
  const std::vector<ChannelStatus> channels = wait_for_rings("slow", 2);
  ASSERT_EQ(channels.size(), 3u);
  alignas(8) std::byte buffer[4096];
  for (std::uint32_t k = 1; k < 3; ++k) {
    const ChannelSpec& s = channels[k].spec;
    EXPECT_EQ(s.relid, 50u + k);
    EXPECT_FALSE(s.monitor_id);
    // vmbus_chan_attr_is_visible: no monitor attributes.
    EXPECT_FALSE(present(channel_dir("slow", s.relid) / "monitor_id"));
    EXPECT_FALSE(present(channel_dir("slow", s.relid) / "latency"));
    RingFileClient sub(ring_file("slow", s.relid));
    sub.send(*client, vmbus::packet::inband(bytes_of("slow"), k), s.relid, std::nullopt);  // irqcontrol(1)
    const auto p = sub.read_packet(buffer);
    ASSERT_TRUE(p) << log_.all();
    EXPECT_EQ(p->trans_id, k);
  }
}

// A device host that asks for more subchannels than granted, twice, and
// records what it was told and which channels it saw open.
std::atomic<std::uint32_t> g_first_answer{999}, g_second_answer{999}, g_offered{999}, g_opened_subchannels{0};

class GreedyHost final : public DeviceHost {
 public:
  void on_open(HostChannel& channel) override {
    if (channel.spec().subchannel_id != 0) {
      g_opened_subchannels.fetch_add(1);
      return;
    }
    g_first_answer = offer_subchannels(5);
    g_second_answer = offer_subchannels(5);
    g_offered = subchannels_offered();
  }
  PacketResult on_packet(HostChannel&, const vmbus::IncomingPacket&) override { return PacketResult::done(); }
};

TEST_F(SubchannelTest, TheHookGrantsAtMostTheConfiguredNumberPerOpen) {
  register_device_host("greedy", [](const DeviceSpec&) { return std::make_unique<GreedyHost>(); });
  SimConfig config = default_config();
  config.devices.push_back(parse_device(nlohmann::json{{"name", "greedy"}, {"class", "echo"}, {"host", "greedy"},
                                                       {"subchannels", 2}, {"driver", "uio_hv_generic"}},
                                        "test"));
  config.devices.push_back(parse_device(nlohmann::json{{"name", "none"}, {"class", "echo"}, {"host", "greedy"},
                                                       {"subchannels", 0}, {"driver", "uio_hv_generic"}},
                                        "test"));
  start(std::move(config));
  {
    g_opened_subchannels = 0;
    auto client = open_client(*sim().device("greedy").uio);
    ASSERT_TRUE(client);
    wait_for_rings("greedy", 2);
    EXPECT_EQ(g_first_answer.load(), 2u);
    EXPECT_EQ(g_second_answer.load(), 0u);
    EXPECT_EQ(g_offered.load(), 2u);
    EXPECT_TRUE(wait_for([] { return g_opened_subchannels.load() == 2; }, kPatience));
  }
  // Every open starts over.
  ASSERT_TRUE(channels_become("greedy", 1));
  {
    g_first_answer = 999;
    auto client = open_client(*sim().device("greedy").uio);
    ASSERT_TRUE(client);
    wait_for_rings("greedy", 2);
    EXPECT_EQ(g_first_answer.load(), 2u);
  }
  {
    g_first_answer = 999;
    auto client = open_client(*sim().device("none").uio);
    ASSERT_TRUE(client);
    ASSERT_TRUE(wait_for([] { return g_first_answer.load() != 999; }, kPatience));
    EXPECT_EQ(g_first_answer.load(), 0u);
    EXPECT_EQ(sim().device("none").channels.size(), 1u);
  }
}

TEST(SubchannelConfig, DefaultsFollowTheClass) {
  const std::vector<DeviceSpec> specs = resolve_all(default_config());
  for (const DeviceSpec& s : specs) {
    const std::uint32_t expected = s.name == "eth0" ? 7u : s.name == "echo" ? 3u : 0u;
    EXPECT_EQ(s.subchannels, expected) << s.name;
  }
  EXPECT_EQ(default_config().subchannel_ring_delay_ms, 20u);
  const DeviceSpec nic = resolve(device_from_class("network"), {});
  EXPECT_EQ(nic.subchannels, 7u);
}

TEST(SubchannelConfig, ParsesValidatesAndRoundTrips) {
  const DeviceConfig d = parse_device(nlohmann::json{{"class", "echo"}, {"subchannels", 63}}, "test");
  EXPECT_EQ(d.subchannels, std::optional<std::uint32_t>(63));
  EXPECT_EQ(to_json(d).at("subchannels").get<std::uint32_t>(), 63u);
  const SimConfig c = parse_config(nlohmann::json{{"subchannel_ring_delay_ms", 500}, {"devices", nlohmann::json::array()}}, "test");
  EXPECT_EQ(c.subchannel_ring_delay_ms, 500u);
  EXPECT_EQ(parse_config(to_json(c), "again").subchannel_ring_delay_ms, 500u);

  auto error_of = [](auto&& fn) -> std::string {
    try {
      fn();
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string too_many = error_of([] { parse_device(nlohmann::json{{"class", "echo"}, {"subchannels", 64}}, "cfg"); });
  EXPECT_NE(too_many.find("subchannels: 64 is above the maximum 63"), std::string::npos) << too_many;
  const std::string negative = error_of([] { parse_device(nlohmann::json{{"class", "echo"}, {"subchannels", -1}}, "cfg"); });
  EXPECT_NE(negative.find("subchannels: expected a non-negative integer"), std::string::npos) << negative;
  const std::string text = error_of([] { parse_device(nlohmann::json{{"class", "echo"}, {"subchannels", "3"}}, "cfg"); });
  EXPECT_NE(text.find("subchannels"), std::string::npos) << text;
  const std::string delay = error_of([] {
    parse_config(nlohmann::json{{"subchannel_ring_delay_ms", 60001}, {"devices", nlohmann::json::array()}}, "cfg");
  });
  EXPECT_NE(delay.find("subchannel_ring_delay_ms: 60001 is above the maximum 60000"), std::string::npos) << delay;
}

TEST(SubchannelConfig, ResolveKeepsClearOfOfferedSubchannels) {
  const std::vector<DeviceSpec> offered = resolve_all(default_config());
  const std::vector<OfferedSubchannel> subchannels{{"echo", 1, 41, std::uint8_t{0}}, {"echo", 2, 42, std::uint8_t{1}}};
  DeviceConfig monitored = device_from_class("echo");
  monitored.monitored = true;
  const DeviceSpec s = resolve(monitored, offered, subchannels);
  EXPECT_EQ(s.relid, 43u);
  EXPECT_EQ(s.monitor_id, std::optional<std::uint8_t>(2));
  DeviceConfig taken = device_from_class("echo");
  taken.relid = 42;
  EXPECT_THROW(resolve(taken, offered, subchannels), ConfigError);
}

}  // namespace
}  // namespace hvsim::test
