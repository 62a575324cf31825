// File: vmbus/result.h
//
// The SDK's data-path error model: `Error` (a code plus one number of detail)
// and `Result<T>`, a [[nodiscard]] value-or-error. No exceptions and no
// allocation on the data path; `Error::message()` builds text for logs and
// tools only.
//
// Codes fall into three families, and callers treat them differently:
//   - flow control (`empty`, `full`, `buffer_too_small`): normal; retry later
//     or with a bigger buffer. `full` and `buffer_too_small` carry the bytes
//     needed in `detail`.
//   - corruption (`corrupt_*`, `unknown_packet_*`, `malformed_packet`): the
//     peer broke the protocol; the channel should be torn down.
//   - caller mistakes (`invalid_argument`, `too_many_pages`, `packet_too_large`).
//   - the device (`rescinded`, `io_error`): it is gone or its system calls fail.
//
// Usage:
//   vmbus::Result<vmbus::IncomingPacket> r = rx.read(buffer);
//   if (!r) {
//     if (r.error().code == vmbus::Errc::empty) return;         // nothing yet
//     if (r.error().is_corruption()) log(r.error().message());  // tear down
//   }
//   handle(*r);
#pragma once

#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace vmbus {

enum class Errc : std::uint8_t {
  // Flow control.
  empty = 1,         // nothing to read
  full,              // no room; detail = bytes the packet needs
  buffer_too_small,  // caller's buffer; detail = bytes needed
  // The peer broke the protocol.
  corrupt_index,         // a ring index out of range or misaligned; detail = value
  corrupt_length,        // a descriptor's offset8/len8 impossible; detail = ring offset
  unknown_packet_type,   // detail = the type
  unknown_packet_flags,  // detail = the flags
  malformed_packet,      // a typed header inconsistent with its length; detail = byte offset
  // The caller's mistake.
  invalid_argument,  // detail = a hint, see the function's comment
  too_many_pages,    // more than 32 page buffers; detail = pages asked for
  packet_too_large,  // can never fit the ring or a u16 len8; detail = bytes
  // The device.
  rescinded,  // the host took the device away (uio: EIO); detail = 0
  io_error,   // a system call on the device failed; detail = errno
};

// The family an error belongs to; see the file comment.
enum class ErrorFamily : std::uint8_t { flow_control, corruption, caller, device };

constexpr ErrorFamily family_of(Errc code) noexcept {
  switch (code) {
    case Errc::empty:
    case Errc::full:
    case Errc::buffer_too_small:
      return ErrorFamily::flow_control;
    case Errc::corrupt_index:
    case Errc::corrupt_length:
    case Errc::unknown_packet_type:
    case Errc::unknown_packet_flags:
    case Errc::malformed_packet:
      return ErrorFamily::corruption;
    case Errc::rescinded:
    case Errc::io_error:
      return ErrorFamily::device;
    default:
      return ErrorFamily::caller;
  }
}

// The "vmbus" std::error_category, so codes print and compare like errno values.
const std::error_category& vmbus_category() noexcept;
inline std::error_code make_error_code(Errc code) noexcept {
  return {static_cast<int>(code), vmbus_category()};
}

struct Error {
  Errc code;
  std::uint64_t detail = 0;

  bool is_flow_control() const noexcept { return family_of(code) == ErrorFamily::flow_control; }
  bool is_corruption() const noexcept { return family_of(code) == ErrorFamily::corruption; }
  // "ring full: packet needs 4120 bytes" and the like. Allocates: not for the data path.
  std::string message() const;
  friend bool operator==(const Error&, const Error&) = default;
};

// A value or an error of type E. Converting from either is implicit, so
// functions `return Error{Errc::full, needed};` or `return packet;`. Result<T>
// (E = Error) is the SDK's; a layer with richer errors (netvsc's ParseError)
// uses the same shape with its own E.
template <typename T, typename E>
class [[nodiscard]] BasicResult {
 public:
  BasicResult(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  BasicResult(E error) : state_(std::in_place_index<1>, error) {}            // NOLINT(implicit)

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

template <typename T>
using Result = BasicResult<T, Error>;

// Success or an error of type E, with no value.
template <typename E>
class [[nodiscard]] BasicStatus {
 public:
  BasicStatus() = default;
  BasicStatus(E error) : error_(error), ok_(false) {}  // NOLINT(implicit)

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  E error() const noexcept { return error_; }  // meaningful only when !ok()

 private:
  E error_{};
  bool ok_ = true;
};

using Status = BasicStatus<Error>;

}  // namespace vmbus

template <>
struct std::is_error_code_enum<vmbus::Errc> : std::true_type {};
