// Signallers: the monitored one sets exactly the relid's int-page bit (in
// the +2048 half) and the monitor id's pending bit, nothing else; the
// irqcontrol one writes 1 and bumps the unmask epoch only on success.
#include <gtest/gtest.h>

#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "channel_test_support.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/hv_monitor_page.h"

namespace {

using vmbus::Errc;
using vmbus::test::HasError;
using vmbus::test::IsOk;

struct Pages {
  alignas(4096) std::byte int_page[4096]{};
  alignas(4096) std::byte monitor_page[4096]{};
};

std::uint32_t word_at(const std::byte* page, std::size_t offset) {
  std::uint32_t v;
  std::memcpy(&v, page + offset, sizeof v);
  return v;
}

// Every 32-bit word of `page` is zero except `offset`, which holds `value`.
::testing::AssertionResult OnlyWord(const std::byte* page, std::size_t offset, std::uint32_t value) {
  for (std::size_t at = 0; at < 4096; at += 4) {
    const std::uint32_t expected = at == offset ? value : 0;
    if (word_at(page, at) != expected) {
      return ::testing::AssertionFailure() << "word at +" << at << " is 0x" << std::hex << word_at(page, at)
                                           << ", expected 0x" << expected;
    }
  }
  return ::testing::AssertionSuccess();
}

struct Case {
  std::uint32_t relid;
  std::uint32_t monitor_id;
  std::size_t int_word;      // 2048 + 4 * (relid / 32)
  std::uint32_t int_bit;     // 1 << (relid % 32)
  std::size_t monitor_word;  // trigger_group[id / 32].pending: 8 + 8 * (id / 32)
  std::uint32_t monitor_bit;
};

// Deterministic test names and parameter text (ctest lists both).
void PrintTo(const Case& c, std::ostream* os) { *os << "relid " << c.relid << ", monitor id " << c.monitor_id; }

class MonitoredSignallerBits : public ::testing::TestWithParam<Case> {};

TEST_P(MonitoredSignallerBits, SetsExactlyTheRightBits) {
  const Case c = GetParam();
  Pages pages;
  auto s = vmbus::MonitoredSignaller::create(pages.int_page, pages.monitor_page, c.relid, c.monitor_id);
  ASSERT_TRUE(IsOk(s));
  ASSERT_TRUE(IsOk(s->signal()));
  EXPECT_TRUE(OnlyWord(pages.int_page, c.int_word, c.int_bit)) << "relid " << c.relid;
  EXPECT_TRUE(OnlyWord(pages.monitor_page, c.monitor_word, c.monitor_bit)) << "monitor id " << c.monitor_id;
  // A second signal before the host took the bits changes nothing.
  ASSERT_TRUE(IsOk(s->signal()));
  EXPECT_TRUE(OnlyWord(pages.int_page, c.int_word, c.int_bit));
  // The host takes them with the host-side helpers.
  EXPECT_TRUE(vmbus::take_int_page_bit(pages.int_page, c.relid));
  EXPECT_TRUE(vmbus::take_monitor_bit(pages.monitor_page, c.monitor_id));
  EXPECT_TRUE(OnlyWord(pages.int_page, 0, 0));
  EXPECT_TRUE(OnlyWord(pages.monitor_page, 0, 0));
}

INSTANTIATE_TEST_SUITE_P(
    RelidsAndMonitorIds, MonitoredSignallerBits,
    ::testing::Values(Case{0, 0, 2048, 1u << 0, 8, 1u << 0},            //
                      Case{31, 31, 2048, 1u << 31, 8, 1u << 31},        //
                      Case{32, 32, 2052, 1u << 0, 16, 1u << 0},         //
                      Case{1000, 127, 2048 + 4 * 31, 1u << 8, 32, 1u << 31}),
    [](const ::testing::TestParamInfo<Case>& param) {
      return "Relid" + std::to_string(param.param.relid) + "Monitor" + std::to_string(param.param.monitor_id);
    });

TEST(MonitoredSignaller, RejectsWhatDoesNotFitThePages) {
  Pages pages;
  EXPECT_TRUE(HasError(vmbus::MonitoredSignaller::create(pages.int_page, pages.monitor_page, 16384, 0),
                       Errc::invalid_argument, 16384));
  EXPECT_TRUE(HasError(vmbus::MonitoredSignaller::create(pages.int_page, pages.monitor_page, 1, 128),
                       Errc::invalid_argument, 128));
  EXPECT_TRUE(IsOk(vmbus::MonitoredSignaller::create(pages.int_page, pages.monitor_page, 16383, 127)));
}

TEST(MonitoredSignaller, ChannelSignalsThroughThePages) {
  Pages pages;
  auto s = vmbus::MonitoredSignaller::create(pages.int_page, pages.monitor_page, 15, 3);
  ASSERT_TRUE(IsOk(s));
  vmbus::test::TestRing to_host, to_guest;
  ASSERT_TRUE(to_host.attach());
  auto ch = vmbus::Channel::attach(to_host.whole(), to_guest.whole(), *s, {.relid = 15, .monitor_id = 3});
  ASSERT_TRUE(IsOk(ch));
  EXPECT_TRUE((*ch)->monitored());
  const auto payload = vmbus::test::pattern_bytes(16, 1);
  ASSERT_TRUE(IsOk((*ch)->send_inband(payload, 1)));
  EXPECT_TRUE(vmbus::take_int_page_bit(pages.int_page, 15));
  EXPECT_TRUE(vmbus::take_monitor_bit(pages.monitor_page, 3));
  EXPECT_EQ((*ch)->counters().signals_sent.load(), 1u);
}

// Only irqcontrol is exercised; the rest of the backing is not reached.
class RecordingBacking final : public vmbus::DeviceBacking {
 public:
  vmbus::MappedRegion map(std::uint32_t, std::size_t) override { return {}; }
  int event_fd() const noexcept override { return -1; }
  vmbus::Result<std::uint32_t> take_interrupts() noexcept override { return std::uint32_t{0}; }
  vmbus::Status irqcontrol(std::int32_t value) noexcept override {
    values.push_back(value);
    if (fail) return vmbus::Error{Errc::rescinded, 0};
    return {};
  }
  std::string describe() const override { return "recording"; }
  std::vector<std::int32_t> values;
  bool fail = false;
};

TEST(IrqControlSignaller, WritesOneAndBumpsTheEpochAfterwards) {
  RecordingBacking backing;
  std::atomic<std::uint64_t> epoch{0};
  vmbus::IrqControlSignaller s(backing, epoch);
  ASSERT_TRUE(IsOk(s.signal()));
  ASSERT_TRUE(IsOk(s.signal()));
  EXPECT_EQ(backing.values, (std::vector<std::int32_t>{1, 1}));
  EXPECT_EQ(epoch.load(), 2u);
  backing.fail = true;
  EXPECT_TRUE(HasError(s.signal(), Errc::rescinded));
  EXPECT_EQ(epoch.load(), 2u) << "a failed irqcontrol cleared no mask";
}

}  // namespace
