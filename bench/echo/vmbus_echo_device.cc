// The echo device through the SDK: claim, open, ping-pong and windowed echo.
#include "echo/vmbus_echo_device.h"

#include <algorithm>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>

#include "echo/echo_payload.h"
#include "common/stop_signal.h"
#include "vmbus/packet/builders.h"
#include "vmbus/packet/descriptor.h"

namespace bench::echo {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kEchoTimeout = std::chrono::seconds(5);
constexpr std::size_t kVmbusPadding = 8;  // the echo comes back padded to 8 bytes

std::runtime_error channel_error(const char* call, std::uint32_t payload, std::uint64_t id, const vmbus::Error& e) {
  return std::runtime_error("vmbus echo, " + std::to_string(payload) + " B: " + call + " (packet " +
                            std::to_string(id) + "): " + e.message());
}

std::runtime_error unexpected(std::uint32_t payload, std::uint64_t id, const vmbus::IncomingPacket& p) {
  return std::runtime_error("vmbus echo, " + std::to_string(payload) + " B: expected the echo of packet " +
                            std::to_string(id) + ", got type " + std::to_string(static_cast<int>(p.type)) +
                            " trans_id " + std::to_string(p.trans_id));
}

std::runtime_error no_echo(std::uint32_t payload, std::uint64_t id, std::uint64_t in_flight) {
  return std::runtime_error("vmbus echo, " + std::to_string(payload) + " B: no echo of packet " + std::to_string(id) +
                            " within 5 s (" + std::to_string(in_flight) + " in flight)");
}

// Counts empty polls: yields the CPU now and then, and says when to give up.
class EmptyPolls {
 public:
  void reset(Clock::time_point now) noexcept {
    count_ = 0;
    since_ = now;
  }
  // True once nothing came for kEchoTimeout.
  bool wait(Clock::time_point now) noexcept {
    if (++count_ % 64 == 0) std::this_thread::yield();
    return now - since_ > kEchoTimeout;
  }

 private:
  std::uint64_t count_ = 0;
  Clock::time_point since_{};
};

}  // namespace

VmbusEchoDevice::VmbusEchoDevice(const vmbus::SysfsRoot& root, const vmbus::Guid& instance)
    : claim_(vmbus::claim_device(root, instance)) {
  const auto& maps = claim_.device().maps;
  if (maps.empty() || maps[0].size % 2 != 0 || maps[0].size / 2 <= 4096 || maps[0].size / 2 > (1u << 30)) {
    throw std::runtime_error("echo device " + instance.str() + ": map 0 (txrx_rings) has an unexpected size");
  }
  ring_bytes_ = static_cast<std::uint32_t>(maps[0].size / 2);
  rx_buffer_.resize(ring_bytes_ / sizeof(std::uint64_t));
}

VmbusEchoDevice::~VmbusEchoDevice() {
  close();  // unmaps; ~Claim then gives the device back (and reports a failure on stderr)
}

void VmbusEchoDevice::open() {
  if (device_) return;
  device_ = vmbus::Device::open(claim_.device(), {.map_shared_buffers = false});
  channel_ = &device_->channel(0);
  backing_ = device_->describe();
}

void VmbusEchoDevice::close() noexcept {
  channel_ = nullptr;
  device_.reset();
}

void VmbusEchoDevice::release() {
  close();
  claim_.release();
}

void VmbusEchoDevice::abandon() noexcept {
  close();
  claim_.keep();
}

std::optional<std::uint32_t> VmbusEchoDevice::monitor_latency_100ns() const {
  const vmbus::DeviceInfo& d = claim_.device();
  return vmbus::sysfs::read_optional_decimal(d.sysfs_dir / "channels" / std::to_string(d.relid) / "latency");
}

bool VmbusEchoDevice::fits(std::uint32_t payload) const noexcept {
  // descriptor + payload padded to 8 + the 8-byte trailer; a ring never fills up completely.
  const std::uint64_t packet = vmbus::kPacketDescriptorSize + vmbus::align8(payload) + 8;
  return packet < ring_data_bytes();
}

vmbus::ChannelCountersSnapshot VmbusEchoDevice::counters() const noexcept {
  return channel_ != nullptr ? channel_->counters().snapshot() : vmbus::ChannelCountersSnapshot{};
}

LatencyRun VmbusEchoDevice::latency(std::uint32_t payload, std::uint32_t round_trips) {
  if (channel_ == nullptr) throw std::logic_error("VmbusEchoDevice::latency: the device is not open");
  vmbus::Channel& ch = *channel_;
  EchoPayload sent(payload, "vmbus echo");
  const std::span<std::byte> buffer(reinterpret_cast<std::byte*>(rx_buffer_.data()),
                                    rx_buffer_.size() * sizeof(std::uint64_t));
  LatencyRun run;
  run.rtt_us.reserve(round_trips);
  EmptyPolls polls;
  for (std::uint32_t i = 0; i < round_trips; ++i) {
    throw_if_stopped();
    const std::uint64_t id = next_id_++;
    const std::span<const std::byte> bytes = sent.stamp(id);
    const Clock::time_point t0 = Clock::now();
    if (const vmbus::Status s = ch.send_inband(bytes, id); !s)
      throw channel_error("send_inband", payload, id, s.error());
    polls.reset(t0);
    for (;;) {
      vmbus::Result<vmbus::IncomingPacket> p = ch.receive(buffer);
      if (p) {
        const Clock::time_point t1 = Clock::now();
        run.rtt_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        if (p->type != vmbus::PacketType::data_inband || p->trans_id != id) throw unexpected(payload, id, *p);
        sent.check(p->payload, id, kVmbusPadding, /*all_bytes=*/true);
        break;
      }
      if (p.error().code != vmbus::Errc::empty) throw channel_error("receive", payload, id, p.error());
      if (polls.wait(Clock::now())) throw no_echo(payload, id, 1);
      throw_if_stopped();
    }
    if (const vmbus::Status s = ch.finish_receive(); !s) throw channel_error("finish_receive", payload, id, s.error());
  }
  return run;
}

ThroughputRun VmbusEchoDevice::throughput(std::uint32_t payload, std::uint32_t window,
                                          std::chrono::milliseconds duration) {
  if (channel_ == nullptr) throw std::logic_error("VmbusEchoDevice::throughput: the device is not open");
  vmbus::Channel& ch = *channel_;
  EchoPayload sent(payload, "vmbus echo");
  const std::span<std::byte> buffer(reinterpret_cast<std::byte*>(rx_buffer_.data()),
                                    rx_buffer_.size() * sizeof(std::uint64_t));
  const std::uint64_t first = next_id_;
  std::uint64_t expected = first;  // the next echo
  std::uint32_t in_flight = 0;
  ThroughputRun run;
  EmptyPolls polls;

  const Clock::time_point start = Clock::now();
  const Clock::time_point end_of_sending = start + duration;
  Clock::time_point now = start;
  bool sending = true;
  polls.reset(start);
  for (;;) {
    throw_if_stopped();
    if (sending && now >= end_of_sending) sending = false;
    if (!sending && in_flight == 0) break;

    // Top the window up once half of it came back: one batch, one flush.
    if (sending && in_flight <= window / 2) {
      std::uint32_t written = 0;
      while (in_flight < window) {
        const vmbus::Status w = ch.write(vmbus::packet::inband(sent.stamp(next_id_), next_id_));
        if (!w) {
          if (w.error().code == vmbus::Errc::full) break;  // the ring caps the window: send what fits
          throw channel_error("write", payload, next_id_, w.error());
        }
        ++next_id_;
        ++in_flight;
        ++written;
      }
      if (written != 0) {
        if (const vmbus::Status f = ch.flush(); !f) throw channel_error("flush", payload, next_id_ - 1, f.error());
        ++run.batches;
        run.max_in_flight = std::max(run.max_in_flight, in_flight);
      }
    }

    // Every echo there is, then one commit of the reads.
    std::uint32_t got = 0;
    for (;;) {
      vmbus::Result<vmbus::IncomingPacket> p = ch.receive(buffer);
      if (!p) {
        if (p.error().code != vmbus::Errc::empty) throw channel_error("receive", payload, expected, p.error());
        break;
      }
      if (p->type != vmbus::PacketType::data_inband || p->trans_id != expected || in_flight == 0) {
        throw unexpected(payload, expected, *p);
      }
      sent.check(p->payload, expected, kVmbusPadding, /*all_bytes=*/false);
      ++expected;
      --in_flight;
      ++got;
    }
    now = Clock::now();
    if (got != 0) {
      if (const vmbus::Status s = ch.finish_receive(); !s)
        throw channel_error("finish_receive", payload, expected, s.error());
      polls.reset(now);
    } else if (polls.wait(now)) {
      throw no_echo(payload, expected, in_flight);
    }
  }
  run.seconds = std::chrono::duration<double>(now - start).count();
  run.packets = expected - first;
  run.payload_bytes = run.packets * payload;
  return run;
}

}  // namespace bench::echo
