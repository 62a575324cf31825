// File: sim/hosts/kvp/kvp_exchange.h
//
// One control-plane operation while the KVP host serves it: the request to
// send next, and what the guest's reply does to it. Replies are read with
// the protocol library's host-side parsers (kvp/protocol/host.h:
// parse_status_reply for SET, DELETE and SET_IP_INFO, parse_get_reply,
// parse_enumerate_reply, parse_get_ip_info_reply), which check the reply
// against what was sent (KVPEXCHANGE, RESPONSE, the same operation, a
// message long enough for its struct) and decode a successful reply's
// strings strictly. The HRESULT is data: HV_S_OK, HV_S_CONT ("no such key",
// "end of enumeration"), HV_E_FAIL... all finish the operation.
//
// An enumeration walks the pool: ENUMERATE index 0, 1, ... and each
// HV_S_OK adds an entry; HV_S_CONT ends it (hv_kvp_daemon answers it past
// the last record; OpenVMM kvp.rs maps NO_MORE_ITEMS to "no more"); any
// other status ends it with the entries so far.
//
// Usage:
//   hvsim::kvp_host::Exchange x(std::move(op));
//   send(x.request()); x.sent();
//   auto step = x.on_reply(packet.payload);
//   if (step.kind == Exchange::Step::Kind::next) send(x.request()); ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "kvp_operation.h"

namespace hvsim::kvp_host {

class Exchange {
 public:
  struct Step {
    enum class Kind {
      next,       // send request() again (the enumeration's next index)
      done,       // `result` is the operation's result
      malformed,  // the reply broke the protocol: `error` names the field
      failed,     // `error` says why (an enumeration without end)
    };
    Kind kind = Kind::done;
    nlohmann::json result;
    std::string error;
  };

  explicit Exchange(Operation op);

  const Operation& operation() const noexcept { return op_; }
  // The request to send now.
  const ::kvp::Request& request() const noexcept { return request_; }
  // `enumerate auto (index 3)`, for messages.
  std::string what() const;
  void sent() noexcept { ++transactions_; }

  // The guest's reply (the whole inband payload) to request().
  Step on_reply(std::span<const std::byte> payload);

 private:
  Step done(std::uint32_t status, nlohmann::json fields) const;
  Step malformed(const std::string& why) const;

  Operation op_;
  ::kvp::Request request_;
  nlohmann::json entries_ = nlohmann::json::array();
  std::uint32_t transactions_ = 0;
};

}  // namespace hvsim::kvp_host
