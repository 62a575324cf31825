// File: sim/hosts/kvp/kvp_operation.h
//
// One thing the control plane asks of the KVP host (`hvsim ctl kvp DEVICE
// set|get|delete|enumerate|ip-info|set-ip-info ...`), parsed from the
// command's arguments and checked before it is queued: the pool exists, the
// numbers are numbers, and every string fits its field on the wire as
// kvp::host::write_request encodes it (UTF-16LE with its NUL; a key of at
// most 255 characters, a value of at most 1023). The builder refuses what
// does not fit, and so does this: hvsim never truncates.
//
// An operation is one KVP request, except `enumerate`, which walks a whole
// pool as the host does: ENUMERATE index 0, 1, ... until the guest answers
// HV_S_CONT (OpenVMM kvp.rs: NO_MORE_ITEMS ends the walk).
//
// Usage:
//   hvsim::kvp_host::Operation op = hvsim::kvp_host::parse_operation(
//       "set", {"--pool", "guest", "--type", "u32", "Answer", "42"}, config.timeout_ms);  // throws KvpError
//   auto n = kvp::host::write_request(out, op.request, versions);
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "kvp/protocol/requests.h"

namespace hvsim::kvp_host {

// A KVP control request refused, or failed; the text says why.
class KvpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An enumeration stops after this many entries even if the guest never
// answers HV_S_CONT (a guest that loops must not keep the host busy forever).
inline constexpr std::uint32_t kMaxEnumerateEntries = 4096;

struct Operation {
  std::uint64_t id = 0;                  // the control plane's request id (kvp_outcomes.h)
  ::kvp::Request request;                // `enumerate`: index 0; the host walks on
  std::chrono::milliseconds timeout{5000};
  std::chrono::steady_clock::time_point submitted{};
  std::string description;               // `get external "Location"`, for messages
};

// True for the subcommands that become an Operation.
bool is_operation(std::string_view subcommand) noexcept;

// The subcommand's arguments, options anywhere ("--" ends them):
//   set KEY VALUE [--pool P] [--type sz|u32|u64]
//   get KEY [--pool P]          delete KEY [--pool P]          enumerate [--pool P]
//   ip-info MAC [--family ipv4|ipv6|any] [--pool P]
//   set-ip-info ADAPTER_ID [--ip A] [--subnet S] [--gateway G] [--dns D] [--dhcp] [--family F] [--pool P]
// and --timeout MS (1..600000) for any of them, else `default_timeout_ms`.
// The pool defaults to external, and to guest for the IP operations (OpenVMM
// kvp.rs sends GET/SET_IP_ADDRESS_INFO in KvpPool::GUEST). Throws KvpError
// naming the argument, or the field that does not fit on the wire.
Operation parse_operation(std::string_view subcommand, std::span<const std::string> args,
                          std::uint32_t default_timeout_ms);

// `set guest "Answer" = 42 (REG_U32)`, `enumerate auto`, `ip-info guest "00:15:5d:..."`.
std::string describe(const ::kvp::Request& request);

}  // namespace hvsim::kvp_host
