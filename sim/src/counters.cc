// Counter names, as ctl and the DIR/hvsim/ files print them.
#include "hvsim/counters.h"

namespace hvsim {
namespace {

constexpr std::array<Counter, kCounterCount> kAll = [] {
  std::array<Counter, kCounterCount> a{};
  for (std::size_t i = 0; i < kCounterCount; ++i) a[i] = static_cast<Counter>(i);
  return a;
}();

}  // namespace

std::string_view counter_name(Counter c) {
  switch (c) {
    case Counter::interrupts: return "interrupts";
    case Counter::interrupts_for_data: return "interrupts_for_data";
    case Counter::interrupts_for_space: return "interrupts_for_space";
    case Counter::signals: return "signals";
    case Counter::signals_unnecessary: return "signals_unnecessary";
    case Counter::signals_for_data: return "signals_for_data";
    case Counter::signals_for_space: return "signals_for_space";
    case Counter::packets_in: return "packets_in";
    case Counter::bytes_in: return "bytes_in";
    case Counter::packets_out: return "packets_out";
    case Counter::bytes_out: return "bytes_out";
    case Counter::host_blocked: return "host_blocked";
    case Counter::packets_dropped: return "packets_dropped";
    case Counter::drains: return "drains";
    case Counter::corrupt_closes: return "corrupt_closes";
    case Counter::faults_injected: return "faults_injected";
    case Counter::count_: break;
  }
  return "?";
}

std::span<const Counter> all_counters() { return kAll; }

std::string_view state_name(ChannelState s) {
  switch (s) {
    case ChannelState::closed: return "closed";
    case ChannelState::open: return "open";
    case ChannelState::blocked: return "blocked";
    case ChannelState::corrupt: return "corrupt";
    case ChannelState::broken: return "broken";
  }
  return "?";
}

}  // namespace hvsim
