// File: kvp/protocol/requests.h
//
// The host's KVP requests in decoded form, with their strings as UTF-8: what
// the guest's parser returns (guest.h) and what the host's builder takes
// (host.h), so a request round-trips through the wire unchanged.
//
// Usage:
//   kvp::Request r = kvp::SetRequest{kvp::Pool::external, "Location", kvp::SetValue::string("Rack 12")};
//   auto n = kvp::host::write_request(out, r, versions);
//   ...
//   auto parsed = kvp::guest::parse_request(message.body);
//   if (auto* set = std::get_if<kvp::SetRequest>(&*parsed)) store(set->key, set->value.text);
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "kvp/protocol/kvp_msg.h"

namespace kvp {

// A SET value. `text` is what hv_kvp_daemon stores: the string itself for
// REG_SZ, the decimal form of `number` for REG_U32 and REG_U64.
struct SetValue {
  std::uint32_t type = kRegSz;
  std::string text;
  std::uint64_t number = 0;

  static SetValue string(std::string s) { return {kRegSz, std::move(s), 0}; }
  static SetValue u32(std::uint32_t v) { return {kRegU32, std::to_string(v), v}; }
  static SetValue u64(std::uint64_t v) { return {kRegU64, std::to_string(v), v}; }
  friend bool operator==(const SetValue&, const SetValue&) = default;
};

// hv_kvp_ipaddr_value with its strings decoded: ';'-separated address lists
// as the daemon reads and writes them.
struct IpInfo {
  std::string adapter_id;
  std::uint8_t addr_family = kAddrFamilyNone;
  std::uint8_t dhcp_enabled = 0;
  std::string ip_addr;
  std::string sub_net;
  std::string gate_way;
  std::string dns_addr;
  friend bool operator==(const IpInfo&, const IpInfo&) = default;
};

struct GetRequest {
  Pool pool = Pool::external;
  std::string key;
  friend bool operator==(const GetRequest&, const GetRequest&) = default;
};

struct SetRequest {
  Pool pool = Pool::external;
  std::string key;
  SetValue value;
  friend bool operator==(const SetRequest&, const SetRequest&) = default;
};

struct DeleteRequest {
  Pool pool = Pool::external;
  std::string key;
  friend bool operator==(const DeleteRequest&, const DeleteRequest&) = default;
};

struct EnumerateRequest {
  Pool pool = Pool::external;
  std::uint32_t index = 0;
  friend bool operator==(const EnumerateRequest&, const EnumerateRequest&) = default;
};

// GET_IP_INFO carries only the adapter and the family (Linux's
// process_ib_ipinfo reads nothing else of it).
struct GetIpInfoRequest {
  Pool pool = Pool::guest;
  std::string adapter_id;
  std::uint8_t addr_family = kAddrFamilyNone;
  friend bool operator==(const GetIpInfoRequest&, const GetIpInfoRequest&) = default;
};

struct SetIpInfoRequest {
  Pool pool = Pool::guest;
  IpInfo info;
  friend bool operator==(const SetIpInfoRequest&, const SetIpInfoRequest&) = default;
};

using Request = std::variant<GetRequest, SetRequest, DeleteRequest, EnumerateRequest, GetIpInfoRequest,
                             SetIpInfoRequest>;

// The operation and pool of any request.
Operation operation_of(const Request& request) noexcept;
Pool pool_of(const Request& request) noexcept;

}  // namespace kvp
