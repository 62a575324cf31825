// Traffic over the echo device's primary channel, polled and interrupt-driven,
// checked byte for byte, and hvsim's signal accounting afterwards.
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "echo_payload.h"
#include "hvsim_process.h"
#include "open_echo.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"
#include "vmbus/device/discovery.h"

namespace vmbus_it {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::uint64_t kEchoPackets = 100'000;
#else
constexpr std::uint64_t kEchoPackets = 1'000'000;
#endif

// Deterministic sizes 0..3000 and contents derived from the trans_id.
struct Rng {
  std::uint64_t s;
  std::uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<std::uint32_t>(s >> 32);
  }
};
void fill(std::vector<std::byte>& buf, std::uint64_t id, std::size_t size) {
  const std::span<const std::byte> want = pattern_bytes(id, size);
  buf.assign(want.begin(), want.end());
}
// The echo's payload is padded to 8 bytes; the first `size` must match.
::testing::AssertionResult check_reply(const vmbus::IncomingPacket& p, std::uint64_t id, std::size_t size) {
  if (p.type != vmbus::PacketType::data_inband) return ::testing::AssertionFailure() << "packet " << id << ": type " << static_cast<int>(p.type);
  if (p.trans_id != id) return ::testing::AssertionFailure() << "expected trans_id " << id << ", got " << p.trans_id;
  if (p.payload.size() < size || p.payload.size() >= size + 8)
    return ::testing::AssertionFailure() << "packet " << id << ": payload " << p.payload.size() << " bytes, sent " << size;
  const std::span<const std::byte> want = pattern_bytes(id, size);
  if (std::memcmp(p.payload.data(), want.data(), size) != 0) {
    const auto diff = std::mismatch(want.begin(), want.end(), p.payload.begin());
    return ::testing::AssertionFailure() << "packet " << id << ": byte " << (diff.first - want.begin()) << " differs";
  }
  return ::testing::AssertionSuccess();
}

TEST(Echo, MillionMixedPacketsInBatches) {
  HvsimProcess sim({.monitor_latency_us = 10});
  OpenEcho e = open_echo(sim);
  vmbus::Channel& ch = e.device->channel(0);
  ASSERT_TRUE(ch.monitored());

  // Lock step: write a batch that fits both rings, flush once, read every reply.
  constexpr std::size_t kBatchBytes = 48 * 1024;
  Rng rng{0x9e3779b97f4a7c15ull};
  std::vector<std::byte> payload;
  std::vector<std::size_t> sizes;
  alignas(8) static std::byte buffer[8192];
  std::uint64_t next_id = 1;
  std::uint64_t received = 0;
  std::uint64_t batches = 0;
  std::uint64_t full_events = 0;
  // The size of packet next_id, drawn when the packet before it was written:
  // a packet that does not fit one batch starts the next with that size.
  std::size_t next_size = rng.next() % 3001;
  const auto start = std::chrono::steady_clock::now();
  while (received < kEchoPackets) {
    const std::uint64_t first = next_id;
    sizes.clear();
    std::size_t bytes = 0;
    while (next_id - 1 < kEchoPackets && sizes.size() < 64) {
      const std::size_t size = next_size;
      if (bytes + packet_bytes(size) > kBatchBytes) break;
      fill(payload, next_id, size);
      const vmbus::Status w = ch.write(vmbus::packet::inband(payload, next_id));
      if (!w && w.error().code == vmbus::Errc::full) {
        // The host answers a packet before it publishes that it read it, so
        // the previous batch may still hold TX room: send what we have, or wait.
        ++full_events;
        if (!sizes.empty()) break;
        ASSERT_LT(std::chrono::steady_clock::now(), start + std::chrono::seconds(120)) << "TX ring stays full";
        std::this_thread::yield();
        continue;
      }
      ASSERT_TRUE(w) << w.error().message();
      bytes += packet_bytes(size);
      sizes.push_back(size);
      next_size = rng.next() % 3001;
      ++next_id;
    }
    const vmbus::Status f = ch.flush();
    ASSERT_TRUE(f) << f.error().message();
    ++batches;
    std::size_t got = 0;
    std::uint64_t empty_polls = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (got < sizes.size()) {
      vmbus::Result<vmbus::IncomingPacket> p = ch.receive(buffer);
      if (!p) {
        ASSERT_EQ(p.error().code, vmbus::Errc::empty) << p.error().message();
        ASSERT_LT(std::chrono::steady_clock::now(), deadline)
            << "no reply to packet " << first + got << " within 5 s; hvsim log:\n" << sim.log();
        // Two CPUs may be all there is: leave the host thread room to run.
        if (++empty_polls % 64 == 0) std::this_thread::yield();
        continue;
      }
      ASSERT_TRUE(check_reply(*p, first + got, sizes[got]));
      ++got;
    }
    const vmbus::Status fr = ch.finish_receive();
    ASSERT_TRUE(fr) << fr.error().message();
    received += got;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%llu packets in %llu batches, %.2f s, TX ring full %llu times\n",
              static_cast<unsigned long long>(received), static_cast<unsigned long long>(batches), seconds,
              static_cast<unsigned long long>(full_events));

  const nlohmann::json stats = sim.ctl({"stats", "echo"});
  const nlohmann::json& c = stats.at("devices").at(0).at("channels").at(0).at("counters");
  EXPECT_EQ(c.at("packets_in").get<std::uint64_t>(), kEchoPackets) << c.dump();
  EXPECT_EQ(c.at("packets_out").get<std::uint64_t>(), kEchoPackets) << c.dump();
  EXPECT_EQ(c.at("packets_dropped").get<std::uint64_t>(), 0u) << c.dump();
  EXPECT_EQ(c.at("signals_unnecessary").get<std::uint64_t>(), 0u) << c.dump();
  EXPECT_GT(c.at("signals").get<std::uint64_t>(), 0u) << c.dump();
}

TEST(Echo, InterruptModeNoLostWakeup) {
  HvsimProcess sim;
  OpenEcho e = open_echo(sim);
  vmbus::Device& dev = *e.device;
  vmbus::Channel& ch = dev.channel(0);

  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  ASSERT_GE(ep, 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ASSERT_EQ(::epoll_ctl(ep, EPOLL_CTL_ADD, dev.event_fd(), &ev), 0);

  constexpr std::uint64_t kPackets = 10'000;
  Rng rng{12345};
  std::vector<std::byte> payload;
  std::vector<std::size_t> sizes;
  alignas(8) static std::byte buffer[8192];
  std::uint64_t next_id = 1;
  std::uint64_t received = 0;
  std::uint64_t sleeps = 0;
  while (received < kPackets) {
    const std::uint64_t first = next_id;
    sizes.clear();
    const std::size_t burst = 1 + rng.next() % 16;
    for (std::size_t k = 0; k < burst && next_id <= kPackets; ++k) {
      const std::size_t size = rng.next() % 2000;
      fill(payload, next_id, size);
      const vmbus::Status w = ch.write(vmbus::packet::inband(payload, next_id));
      ASSERT_TRUE(w) << w.error().message();
      sizes.push_back(size);
      ++next_id;
    }
    const vmbus::Status f = ch.flush();
    ASSERT_TRUE(f) << f.error().message();

    std::size_t got = 0;
    for (;;) {
      for (;;) {
        vmbus::Result<vmbus::IncomingPacket> p = ch.receive(buffer);
        if (!p) {
          ASSERT_EQ(p.error().code, vmbus::Errc::empty) << p.error().message();
          break;
        }
        ASSERT_LT(got, sizes.size()) << "more replies than packets sent";
        ASSERT_TRUE(check_reply(*p, first + got, sizes[got]));
        ++got;
      }
      if (got == sizes.size()) break;
      if (ch.arm_interrupts()) continue;  // data raced in: poll again
      epoll_event out{};
      const int n = ::epoll_wait(ep, &out, 1, 2000);
      ASSERT_EQ(n, 1) << "lost wakeup: no interrupt within 2 s, " << got << " of " << sizes.size()
                      << " replies of the burst from " << first << " received; hvsim log:\n" << sim.log();
      ++sleeps;
      vmbus::Result<std::uint32_t> t = dev.take_interrupts();
      ASSERT_TRUE(t) << t.error().message();
      ch.set_poll_mode();
    }
    const vmbus::Status fr = ch.finish_receive();
    ASSERT_TRUE(fr) << fr.error().message();
    received += got;
  }
  ::close(ep);
  EXPECT_GT(sleeps, 0u) << "the test never slept on the event fd";
  EXPECT_GT(ch.counters().interrupts_seen.load(), 0u);
}

}  // namespace
}  // namespace vmbus_it
