// Test support for the channel tests: a channel over two rings in plain
// memory with the host's ends attached to the same memory, and a Signaller
// that counts instead of signalling (the only test double; rings, packets
// and Channel are the real ones).
//
// Usage:
//   vmbus::test::ChannelRig rig;                  // 16 KiB of data per ring
//   ASSERT_TRUE(rig.ch().send_inband(bytes, 7));
//   EXPECT_EQ(rig.signaller.count(), 1);
//   auto p = rig.host_reads();                    // what the host sees
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "../ring_test_support.h"
#include "vmbus/channel/channel.h"

namespace vmbus::test {

class CountingSignaller final : public Signaller {
 public:
  Status signal() noexcept override {
    calls_.fetch_add(1, std::memory_order_relaxed);
    if (fail_with_) return *fail_with_;
    if (on_signal_) on_signal_();
    return {};
  }
  int count() const noexcept { return calls_.load(std::memory_order_relaxed); }
  void fail_with(Error e) { fail_with_ = e; }
  // What irqcontrol(1) does besides signalling: run by the test.
  void on_signal(void (*f)()) { on_signal_ = f; }

 private:
  std::atomic<int> calls_{0};
  std::optional<Error> fail_with_;
  void (*on_signal_)() = nullptr;
};

// Guest TX = `to_host` (host reads it with to_host.rx()), guest RX =
// `to_guest` (host writes it with to_guest.tx()).
struct ChannelRig {
  explicit ChannelRig(std::uint32_t data_size = 16384, ChannelConfig config = {})
      : to_host(data_size), to_guest(data_size) {
    EXPECT_TRUE(to_host.attach());
    EXPECT_TRUE(to_guest.attach());
    auto c = Channel::attach(to_host.whole(), to_guest.whole(), signaller, config);
    EXPECT_TRUE(IsOk(c));
    if (c) channel = std::move(*c);
  }

  Channel& ch() { return *channel; }

  // The host reads one packet the guest sent (and commits).
  std::optional<std::vector<std::byte>> host_reads(IncomingPacket* out = nullptr) {
    auto p = to_host.rx().read(host_buffer);
    if (!p) return std::nullopt;
    if (out != nullptr) *out = *p;
    (void)to_host.rx().commit();
    return std::vector<std::byte>(p->payload.begin(), p->payload.end());
  }
  // The host sends one packet to the guest; returns whether it would signal.
  bool host_sends(const OutgoingPacket& p) {
    EXPECT_TRUE(IsOk(to_guest.tx().write(p)));
    return to_guest.tx().commit();
  }

  TestRing to_host;
  TestRing to_guest;
  CountingSignaller signaller;
  std::unique_ptr<Channel> channel;
  alignas(8) std::byte host_buffer[8192]{};
};

inline std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

}  // namespace vmbus::test
