// File: daemon/src/daemon_log.h
//
// vmbusd's log: one line per event on stderr ("vmbusd: ..." / "vmbusd:
// warning: ..."), which systemd's journal or the test harness collects.
// Lines are rare (start, stop, claims, leases, errors); nothing logs per
// request on the read path.
//
// Usage:
//   vmbusd::log_info("claimed network device " + id);
#pragma once

#include <string_view>

namespace vmbusd {

void log_info(std::string_view message) noexcept;
void log_warn(std::string_view message) noexcept;

}  // namespace vmbusd
