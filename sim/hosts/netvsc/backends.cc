// The in-process backends: loopback, sink and source (tap: tap_backend.cc).
#include <chrono>
#include <cstring>
#include <vector>

#include "frame_backend.h"

namespace hvsim::netvsc {
namespace {

class LoopbackBackend final : public FrameBackend {
 public:
  std::string_view name() const noexcept override { return "loopback"; }
  bool transmit(std::span<const std::byte> frame, const FrameMeta& meta, FrameSink& sink) noexcept override {
    return sink.receive(frame, meta, /*may_wait=*/true);
  }
};

class SinkBackend final : public FrameBackend {
 public:
  std::string_view name() const noexcept override { return "sink"; }
  bool transmit(std::span<const std::byte>, const FrameMeta&, FrameSink&) noexcept override { return true; }
};

// IPv4 TCP frames to the NIC's MAC from 10.0.0.1 to 10.0.0.2, source port
// changing with every frame so that the guest's RSS spreads them.
class SourceBackend final : public FrameBackend {
 public:
  explicit SourceBackend(const NicConfig& c) : rate_(c.source_rate_pps), frame_(c.source_frame_size) {
    const std::array<std::uint8_t, 6> dst = c.mac.value_or(std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 2});
    const std::uint8_t header[54] = {
        dst[0], dst[1], dst[2], dst[3], dst[4], dst[5], 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,  // Ethernet
        0x45, 0x00, 0, 0, 0, 0, 0x40, 0x00, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,                     // IPv4
        0, 0, 0x13, 0x88, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0};                  // TCP
    for (std::size_t i = 0; i < frame_.size(); ++i) frame_[i] = std::byte(i < sizeof header ? header[i] : i & 0xff);
    if (frame_.size() >= 34) {
      const std::size_t ip_len = frame_.size() - 14;
      frame_[16] = std::byte(ip_len >> 8);
      frame_[17] = std::byte(ip_len & 0xff);
      std::uint32_t sum = 0;  // RFC 1071 over the 20-byte IPv4 header
      for (std::size_t i = 14; i < 34; i += 2) sum += static_cast<std::uint32_t>(frame_[i]) << 8 | static_cast<std::uint32_t>(frame_[i + 1]);
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      frame_[24] = std::byte((~sum >> 8) & 0xff);
      frame_[25] = std::byte(~sum & 0xff);
    }
    last_ = std::chrono::steady_clock::now();
  }
  std::string_view name() const noexcept override { return "source"; }
  bool transmit(std::span<const std::byte>, const FrameMeta&, FrameSink&) noexcept override { return true; }
  std::uint32_t poll_interval_us() const noexcept override { return 100; }
  void poll(FrameSink& sink) noexcept override {
    const auto now = std::chrono::steady_clock::now();
    const auto ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_).count());
    // Frames owed since last_; ns is bounded first so ns * rate cannot overflow.
    std::uint64_t owed = std::min<std::uint64_t>(ns, 1'000'000'000u) * rate_ / 1'000'000'000u;
    if (owed == 0) return;
    if (owed > kMaxBurst) {
      owed = kMaxBurst;  // a stalled host does not burst forever: what it missed is gone
      last_ = now;
    } else {
      // Only the time these frames account for: the remainder carries over, so
      // the rate is exact rather than rounded down on every poll.
      last_ += std::chrono::nanoseconds(owed * 1'000'000'000u / rate_);
    }
    for (; owed > 0; --owed) {
      if (frame_.size() >= 36) {  // the TCP source port: a new flow per frame
        const std::uint16_t port = static_cast<std::uint16_t>(1024 + (sequence_++ % 4096));
        frame_[34] = std::byte(port >> 8);
        frame_[35] = std::byte(port & 0xff);
      }
      (void)sink.receive(frame_, FrameMeta{}, /*may_wait=*/false);
    }
  }

 private:
  std::uint64_t rate_;
  std::vector<std::byte> frame_;
  static constexpr std::uint64_t kMaxBurst = 1024;
  std::chrono::steady_clock::time_point last_;
  std::uint32_t sequence_ = 0;
};

}  // namespace

std::unique_ptr<FrameBackend> make_frame_backend(const NicConfig& config, const Logger& log) {
  if (config.backend == "sink") return std::make_unique<SinkBackend>();
  if (config.backend == "source") return std::make_unique<SourceBackend>(config);
  if (config.backend == "tap") return make_tap_backend(config, log);
  return std::make_unique<LoopbackBackend>();
}

}  // namespace hvsim::netvsc
