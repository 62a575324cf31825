// The two ways hv_kvp_daemon strings addresses together, with its length
// rules, so every list here is cut where the daemon's would be, and never
// longer than the kernel can carry to the host.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kvp::sysinfo::detail {

// INET_ADDRSTRLEN and INET6_ADDRSTRLEN (<netinet/in.h>): the room the daemon
// keeps free for the next address.
inline constexpr std::size_t kInetAddrStrLen = 16;
inline constexpr std::size_t kInet6AddrStrLen = 46;

// kvp_process_ip_address: "a;b;c". Before each address it wants
// `reserve` + 2 bytes free of `capacity`, the used part counted as each
// address's length + 1; the first refusal ends the list (the daemon jumps
// out of its loop). `max_chars` is the wire's limit on top (the daemon's
// 2048 bytes are more than the kernel's UTF-16 arrays hold): an address
// that would pass it also ends the list, so the list holds whole addresses.
class JoinedList {
 public:
  JoinedList(std::size_t capacity, std::size_t max_chars) : capacity_(capacity), max_chars_(max_chars) {}
  bool add(std::string_view item, std::size_t reserve);
  const std::string& text() const noexcept { return text_; }
  std::size_t dropped() const noexcept { return dropped_; }

 private:
  std::size_t capacity_;
  std::size_t max_chars_;
  std::size_t used_ = 0;
  std::string text_;
  bool full_ = false;
  std::size_t dropped_ = 0;
};

// kvp_process_ipconfig_file: "a;b;" (each line the command prints, then
// ";"). Before each it wants strlen(buffer) + `reserve` + 1 <= `capacity`;
// and here the result stays within `max_chars`.
class TerminatedList {
 public:
  TerminatedList(std::size_t capacity, std::size_t max_chars) : capacity_(capacity), max_chars_(max_chars) {}
  bool add(std::string_view item, std::size_t reserve);
  const std::string& text() const noexcept { return text_; }
  std::size_t dropped() const noexcept { return dropped_; }

 private:
  std::size_t capacity_;
  std::size_t max_chars_;
  std::string text_;
  std::size_t dropped_ = 0;
};

}  // namespace kvp::sysinfo::detail
