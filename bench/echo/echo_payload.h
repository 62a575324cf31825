// File: bench/echo/echo_payload.h
//
// The packet both echo paths send and how an echo is checked. The payload is
// `size` bytes of a fixed pattern whose first 8 bytes are the packet's
// sequence number (so sizes start at 8). An echo must be at least `size`
// bytes and at most `size + slack` (VMBus pads a payload to 8 bytes; a
// SEQPACKET socket returns it exactly), carry that sequence number, and, for
// a full check, equal the sent bytes.
//
// Usage:
//   EchoPayload p(1500, "vmbus echo");
//   send(p.stamp(seq));
//   p.check(reply_bytes, seq, /*slack=*/8, /*all_bytes=*/false);  // throws std::runtime_error
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace bench::echo {

class EchoPayload {
 public:
  // `who` starts every error message ("vmbus echo", "socket echo").
  EchoPayload(std::uint32_t size, std::string who);

  // Writes `seq` into the first 8 bytes; returns the whole payload.
  std::span<const std::byte> stamp(std::uint64_t seq) noexcept;
  std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(bytes_.size()); }

  // Throws std::runtime_error naming the packet and what differs.
  void check(std::span<const std::byte> echoed, std::uint64_t seq, std::size_t slack, bool all_bytes) const;

 private:
  std::vector<std::byte> bytes_;
  std::string who_;
};

}  // namespace bench::echo
