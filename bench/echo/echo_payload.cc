// Stamping and checking echo payloads.
#include "echo/echo_payload.h"

#include <cstring>
#include <stdexcept>

namespace bench::echo {

EchoPayload::EchoPayload(std::uint32_t size, std::string who) : bytes_(size), who_(std::move(who)) {
  if (size < sizeof(std::uint64_t)) {
    throw std::invalid_argument(who_ + ": payload of " + std::to_string(size) +
                                " bytes cannot hold the 8-byte sequence number");
  }
  for (std::size_t i = 0; i < bytes_.size(); ++i) bytes_[i] = static_cast<std::byte>((i * 7 + 0x5a) & 0xff);
}

std::span<const std::byte> EchoPayload::stamp(std::uint64_t seq) noexcept {
  std::memcpy(bytes_.data(), &seq, sizeof seq);
  return bytes_;
}

void EchoPayload::check(std::span<const std::byte> echoed, std::uint64_t seq, std::size_t slack, bool all_bytes) const {
  const std::size_t size = bytes_.size();
  auto fail = [&](const std::string& what) {
    throw std::runtime_error(who_ + ", " + std::to_string(size) + " B: echo of packet " + std::to_string(seq) + ": " +
                             what);
  };
  if (echoed.size() < size || echoed.size() > size + slack) {
    fail(std::to_string(echoed.size()) + " bytes came back, expected " + std::to_string(size) +
         (slack != 0 ? " to " + std::to_string(size + slack) : std::string()));
  }
  std::uint64_t got = 0;
  std::memcpy(&got, echoed.data(), sizeof got);
  if (got != seq) fail("it carries sequence number " + std::to_string(got) + " (an echo lost or reordered)");
  if (all_bytes && std::memcmp(echoed.data(), bytes_.data(), size) != 0) {
    std::size_t i = 0;
    while (echoed[i] == bytes_[i]) ++i;
    fail("byte " + std::to_string(i) + " differs from what was sent");
  }
}

}  // namespace bench::echo
