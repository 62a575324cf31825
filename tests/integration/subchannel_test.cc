// Subchannels end to end, hvsim in its own process: the echo host asks for
// its subchannels when the device is opened; the guest learns their relids
// by re-reading channels/ (vmbus::describe_device), maps each with
// Device::open_subchannel (inotify on channels/<relid>/ring), and echoes over
// the primary and every subchannel at once, one thread per channel. A long
// subchannel_ring_delay_ms shows open_subchannel waiting for a late ring
// file, and a short timeout the error that names it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hvsim/config.h"
#include "echo_payload.h"
#include "hvsim_process.h"
#include "open_echo.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"
#include "vmbus/device/discovery.h"

namespace vmbus_it {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::uint64_t kPacketsPerChannel = 5'000;
#else
constexpr std::uint64_t kPacketsPerChannel = 50'000;
#endif
// Waits that only end early: a loaded 2-core machine is slow, never wrong.
constexpr milliseconds kPatience{30'000};

// The subchannels' relids, as a guest learns them: the channels/<relid>/
// directories next to the primary's.
std::vector<vmbus::ChannelInfo> subchannels_now(const HvsimProcess& sim, const vmbus::Guid& instance) {
  std::vector<vmbus::ChannelInfo> subchannels;
  for (const vmbus::ChannelInfo& c : vmbus::describe_device(sim.sysfs(), instance).channels) {
    if (c.subchannel_id != 0) subchannels.push_back(c);
  }
  return subchannels;
}

// Re-reads channels/ until there are `count` subchannels (or kPatience ran out).
std::vector<vmbus::ChannelInfo> wait_for_subchannels(const HvsimProcess& sim, const vmbus::Guid& instance,
                                                     std::size_t count) {
  const Clock::time_point deadline = Clock::now() + kPatience;
  for (;;) {
    std::vector<vmbus::ChannelInfo> subchannels = subchannels_now(sim, instance);
    if (subchannels.size() == count || Clock::now() > deadline) return subchannels;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

// Lock-step echo on one channel: batches of mixed sizes, every reply checked
// byte for byte. Returns "" or what went wrong (gtest asserts only from the
// test's own thread).
std::string echo_on(vmbus::Channel& ch, std::uint64_t first_id, std::uint64_t packets, std::uint64_t seed) {
  constexpr std::size_t kBatchBytes = 32 * 1024;
  std::uint64_t rng = seed;
  auto next = [&rng] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return static_cast<std::uint32_t>(rng >> 32);
  };
  std::vector<std::byte> payload;
  std::vector<std::size_t> sizes;
  alignas(8) std::byte buffer[8192];
  std::uint64_t sent = 0;
  while (sent < packets) {
    const std::uint64_t batch_first = first_id + sent;
    sizes.clear();
    std::size_t bytes = 0;
    while (sent + sizes.size() < packets && sizes.size() < 32) {
      const std::size_t size = next() % 3001;
      if (bytes + packet_bytes(size) > kBatchBytes) break;
      const std::uint64_t id = batch_first + sizes.size();
      const std::span<const std::byte> want = pattern_bytes(id, size);
      payload.assign(want.begin(), want.end());
      const vmbus::Status w = ch.write(vmbus::packet::inband(payload, id));
      if (!w) {
        if (w.error().code == vmbus::Errc::full && !sizes.empty()) break;  // send what we have
        if (w.error().code == vmbus::Errc::full) {
          std::this_thread::yield();  // the host has not published its reads yet
          continue;
        }
        return "relid " + std::to_string(ch.relid()) + ": write: " + w.error().message();
      }
      bytes += packet_bytes(size);
      sizes.push_back(size);
    }
    if (const vmbus::Status f = ch.flush(); !f) return "relid " + std::to_string(ch.relid()) + ": flush: " + f.error().message();
    std::size_t got = 0;
    std::uint64_t empty_polls = 0;
    const Clock::time_point deadline = Clock::now() + kPatience;
    while (got < sizes.size()) {
      vmbus::Result<vmbus::IncomingPacket> p = ch.receive(buffer);
      if (!p) {
        if (p.error().code != vmbus::Errc::empty) return "relid " + std::to_string(ch.relid()) + ": " + p.error().message();
        if (Clock::now() > deadline) {
          return "relid " + std::to_string(ch.relid()) + ": no reply to packet " + std::to_string(batch_first + got);
        }
        if (++empty_polls % 64 == 0) std::this_thread::yield();  // two CPUs may be all there is
        continue;
      }
      const std::uint64_t id = batch_first + got;
      const std::size_t size = sizes[got];
      const std::string where = "relid " + std::to_string(ch.relid()) + " packet " + std::to_string(id);
      if (p->type != vmbus::PacketType::data_inband || p->trans_id != id) {
        return where + ": got type " + std::to_string(static_cast<int>(p->type)) + " trans_id " + std::to_string(p->trans_id);
      }
      if (p->payload.size() < size || p->payload.size() >= size + 8) return where + ": payload of the wrong size";
      const std::span<const std::byte> want = pattern_bytes(id, size);
      if (std::memcmp(p->payload.data(), want.data(), size) != 0) {
        const auto diff = std::mismatch(want.begin(), want.end(), p->payload.begin());
        return where + ": byte " + std::to_string(diff.first - want.begin()) + " differs";
      }
      ++got;
    }
    if (const vmbus::Status fr = ch.finish_receive(); !fr) return "relid " + std::to_string(ch.relid()) + ": " + fr.error().message();
    sent += got;
  }
  return "";
}

const nlohmann::json& channel_stats(const nlohmann::json& stats, std::uint32_t relid) {
  for (const nlohmann::json& c : stats.at("devices").at(0).at("channels")) {
    if (c.at("relid").get<std::uint32_t>() == relid) return c;
  }
  throw std::runtime_error("no channel " + std::to_string(relid) + " in " + stats.dump());
}

TEST(Subchannel, EchoOverThePrimaryAndEverySubchannelAtOnce) {
  HvsimProcess sim({.monitor_latency_us = 10});
  OpenEcho e = open_echo(sim);
  vmbus::Device& dev = *e.device;

  // The echo host asked for its 3 subchannels when the device was opened.
  const std::vector<vmbus::ChannelInfo> offered = wait_for_subchannels(sim, e.instance, 3);
  ASSERT_EQ(offered.size(), 3u) << sim.log();
  for (const vmbus::ChannelInfo& info : offered) {
    vmbus::Channel& sub = dev.open_subchannel(info.relid, kPatience);
    EXPECT_EQ(sub.relid(), info.relid);
    EXPECT_TRUE(sub.monitored());  // the echo device is monitored: so are its subchannels
  }
  ASSERT_EQ(dev.channel_count(), 4u);

  std::vector<std::string> errors(dev.channel_count());
  std::vector<std::thread> threads;
  for (std::uint32_t i = 0; i < dev.channel_count(); ++i) {
    vmbus::Channel& ch = dev.channel(i);
    threads.emplace_back([&ch, &errors, i] {
      errors[i] = echo_on(ch, (std::uint64_t{i} << 40) + 1, kPacketsPerChannel, 0x9e3779b97f4a7c15ull + i);
    });
  }
  for (std::thread& t : threads) t.join();
  for (std::uint32_t i = 0; i < errors.size(); ++i) {
    EXPECT_EQ(errors[i], "") << "channel " << i << "; hvsim log:\n" << sim.log();
  }

  // hvsim's counters for every relid: everything came back, nothing dropped,
  // and the guest never signalled without a reason.
  const nlohmann::json stats = sim.ctl({"stats", "echo"});
  ASSERT_EQ(stats.at("devices").at(0).at("channels").size(), 4u) << stats.dump();
  for (std::uint32_t i = 0; i < dev.channel_count(); ++i) {
    const nlohmann::json& c = channel_stats(stats, dev.channel(i).relid());
    EXPECT_EQ(c.at("subchannel_id").get<std::uint32_t>(), i == 0 ? 0u : offered[i - 1].subchannel_id);
    const nlohmann::json& n = c.at("counters");
    EXPECT_EQ(n.at("packets_in").get<std::uint64_t>(), kPacketsPerChannel) << c.dump();
    EXPECT_EQ(n.at("packets_out").get<std::uint64_t>(), kPacketsPerChannel) << c.dump();
    EXPECT_EQ(n.at("packets_dropped").get<std::uint64_t>(), 0u) << c.dump();
    EXPECT_EQ(n.at("signals_unnecessary").get<std::uint64_t>(), 0u) << c.dump();
    EXPECT_GT(n.at("signals").get<std::uint64_t>(), 0u) << c.dump();
  }
}

TEST(Subchannel, LateRingFileIsPickedUpWhenItAppears) {
  // Long enough that nothing below races it on a loaded machine; the
  // checks only use it as a lower bound.
  constexpr milliseconds kDelay{3000};
  nlohmann::json config = hvsim::to_json(hvsim::default_config());
  config["subchannel_ring_delay_ms"] = kDelay.count();
  HvsimProcess sim({.config = config});
  const Clock::time_point opened = Clock::now();
  OpenEcho e = open_echo(sim);
  vmbus::Device& dev = *e.device;

  // The channel directories come at once; the ring files kDelay after the offer.
  const std::vector<vmbus::ChannelInfo> offered = wait_for_subchannels(sim, e.instance, 3);
  ASSERT_EQ(offered.size(), 3u) << sim.log();
  const std::uint32_t relid = offered.front().relid;
  const std::filesystem::path ring = e.claim.device().sysfs_dir / "channels" / std::to_string(relid) / "ring";

  // Too short a wait: the error names the file.
  try {
    (void)dev.open_subchannel(relid, milliseconds(100));
    // Only possible once the file exists, which it cannot before kDelay.
    EXPECT_GE(Clock::now() - opened, kDelay);
  } catch (const vmbus::DeviceError& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find(ring.string()), std::string::npos) << text;
    EXPECT_NE(text.find("did not appear within 100 ms"), std::string::npos) << text;
  }
  // A relid the host never offered fails the same way, deterministically.
  try {
    (void)dev.open_subchannel(999, milliseconds(200));
    ADD_FAILURE() << "relid 999 was never offered";
  } catch (const vmbus::DeviceError& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find((e.claim.device().sysfs_dir / "channels" / "999" / "ring").string()), std::string::npos) << text;
    EXPECT_NE(text.find("did not appear within 200 ms"), std::string::npos) << text;
  }

  // A patient wait blocks until the file appears, then works.
  vmbus::Channel& sub = dev.open_subchannel(relid, kPatience);
  EXPECT_GE(Clock::now() - opened, kDelay);
  EXPECT_TRUE(std::filesystem::exists(ring));
  EXPECT_EQ(std::filesystem::file_size(ring), 4u << 20);
  EXPECT_EQ(echo_on(sub, 1, 100, 42), "") << sim.log();
  const nlohmann::json stats = sim.ctl({"stats", "echo"});
  const nlohmann::json& c = channel_stats(stats, relid);
  EXPECT_EQ(c.at("counters").at("packets_in").get<std::uint64_t>(), 100u) << c.dump();
  EXPECT_EQ(c.at("counters").at("signals_unnecessary").get<std::uint64_t>(), 0u) << c.dump();
}

TEST(Subchannel, AReopenedDeviceIsOfferedItsSubchannelsAgain) {
  HvsimProcess sim;
  OpenEcho e = open_echo(sim);
  const std::vector<vmbus::ChannelInfo> first = wait_for_subchannels(sim, e.instance, 3);
  ASSERT_EQ(first.size(), 3u) << sim.log();
  for (const vmbus::ChannelInfo& info : first) (void)e.device->open_subchannel(info.relid, kPatience);

  // The last close takes the subchannels back (vmbus_disconnect_ring)...
  e.device.reset();
  EXPECT_TRUE(wait_for_subchannels(sim, e.instance, 0).empty()) << sim.log();
  // ... and the next open gets them again, with the same relids.
  e.device = vmbus::Device::open(e.claim.device());
  const std::vector<vmbus::ChannelInfo> second = wait_for_subchannels(sim, e.instance, 3);
  ASSERT_EQ(second.size(), 3u) << sim.log();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(second[i].relid, first[i].relid);
    vmbus::Channel& sub = e.device->open_subchannel(second[i].relid, kPatience);
    EXPECT_EQ(echo_on(sub, 1, 50, i), "") << sim.log();
  }
}

}  // namespace
}  // namespace vmbus_it

namespace vmbus_it {
namespace {

TEST(Subchannel, OpensBySubchannelIdAndNamesTheDirectoryWhenAbsent) {
  HvsimProcess sim;
  OpenEcho e = open_echo(sim);
  // Queue-style: ask for subchannel 2 without knowing its relid.
  vmbus::Channel& sub = e.device->open_subchannel_by_id(2, kPatience);
  const std::vector<vmbus::ChannelInfo> offered = wait_for_subchannels(sim, e.instance, 3);
  ASSERT_EQ(offered.size(), 3u) << sim.log();
  const auto it = std::find_if(offered.begin(), offered.end(), [](const vmbus::ChannelInfo& c) { return c.subchannel_id == 2; });
  ASSERT_NE(it, offered.end());
  EXPECT_EQ(sub.relid(), it->relid);
  EXPECT_EQ(echo_on(sub, 1, 50, 2), "") << sim.log();
  EXPECT_EQ(&e.device->open_subchannel_by_id(0, kPatience), &e.device->channel(0));
  try {
    (void)e.device->open_subchannel_by_id(9, milliseconds(200));  // echo grants 3
    ADD_FAILURE() << "subchannel 9 opened";
  } catch (const vmbus::DeviceError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("/channels"), std::string::npos) << what;
    EXPECT_NE(what.find("no channel with subchannel_id 9"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace vmbus_it
