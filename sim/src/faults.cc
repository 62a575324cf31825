// Fault names, the ctl argument parser, and the per-channel fault counts.
#include "hvsim/faults.h"

#include <charconv>

namespace hvsim {
namespace {

constexpr std::array<std::string_view, kFaultKinds> kNames = {
    "delay-reply", "drop-signal", "drop-interrupt", "corrupt-rx-index",
    "corrupt-tx-index", "corrupt-length", "corrupt-offset", "corrupt-type",
    "corrupt-pageset-id", "corrupt-range-count", "corrupt-range-bounds", "corrupt-rndis-length",
    "corrupt-rndis-packet", "corrupt-completion-id",
};
static_assert(!kNames.back().empty(), "a FaultKind without a name");

std::uint32_t parse_number(std::string_view text, std::string_view what, std::uint32_t min, std::uint32_t max) {
  std::uint32_t v = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (error != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    throw FaultError("fault: " + std::string(what) + " \"" + std::string(text) + "\" must be a number from " +
                     std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

}  // namespace

std::string_view fault_name(FaultKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < kNames.size() ? kNames[i] : "?";
}

std::optional<FaultKind> find_fault(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<FaultKind>(i);
  }
  return std::nullopt;
}

std::string known_fault_names() {
  std::string s;
  for (std::string_view n : kNames) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

FaultRequest parse_fault(std::span<const std::string> args) {
  if (args.empty()) throw FaultError("fault: missing the fault kind (" + known_fault_names() + ")");
  const std::optional<FaultKind> kind = find_fault(args[0]);
  if (!kind) throw FaultError("fault: unknown kind \"" + args[0] + "\" (" + known_fault_names() + ")");
  FaultRequest f;
  f.kind = *kind;
  std::size_t i = 1;
  if (f.kind == FaultKind::delay_reply) {
    if (args.size() < 2) throw FaultError("fault: delay-reply needs the delay in milliseconds");
    f.delay_ms = parse_number(args[1], "delay", 1, kMaxFaultDelayMs);
    i = 2;
  }
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--count" || a == "--relid") && i + 1 < args.size()) {
      if (a == "--count") {
        f.count = parse_number(args[++i], "--count", 1, kMaxFaultCount);
      } else {
        f.relid = parse_number(args[++i], "--relid", 1, UINT32_MAX);
      }
    } else {
      throw FaultError("fault: unexpected argument \"" + a + "\" (KIND [MS] [--count N] [--relid R])");
    }
  }
  return f;
}

void ChannelFaults::arm(const FaultRequest& request) noexcept {
  if (request.kind == FaultKind::delay_reply) delay_ms_.store(request.delay_ms, std::memory_order_relaxed);
  // The count first: the host thread that sees armed_ finds it.
  remaining_[static_cast<std::size_t>(request.kind)].fetch_add(request.count, std::memory_order_relaxed);
  armed_.fetch_add(request.count, std::memory_order_release);
}

bool ChannelFaults::take(FaultKind kind) noexcept {
  if (!armed()) return false;
  auto& left = remaining_[static_cast<std::size_t>(kind)];
  std::uint32_t n = left.load(std::memory_order_acquire);
  while (n != 0) {
    if (left.compare_exchange_weak(n, n - 1, std::memory_order_acq_rel)) {
      armed_.fetch_sub(1, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

std::optional<FaultKind> ChannelFaults::take_descriptor_corruption() noexcept {
  if (!armed()) return std::nullopt;
  for (FaultKind k : {FaultKind::corrupt_length, FaultKind::corrupt_offset, FaultKind::corrupt_type}) {
    if (take(k)) return k;
  }
  return std::nullopt;
}

std::optional<FaultKind> ChannelFaults::take_first(std::span<const FaultKind> kinds) noexcept {
  if (!armed()) return std::nullopt;
  for (FaultKind k : kinds) {
    if (take(k)) return k;
  }
  return std::nullopt;
}

}  // namespace hvsim
