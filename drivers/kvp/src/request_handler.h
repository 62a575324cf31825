// File: drivers/kvp/src/request_handler.h (internal)
//
// What the KVP service does with one packet from the host, apart from the
// channel: the IC message is answered in place, as Linux's hv_kvp.c answers
// in its receive buffer and hv_kvp_daemon fills the reply
// (tools/hv/hv_kvp_daemon.c, main loop):
//   NEGOTIATE     vmbus_prep_negotiate_resp (kvp::ic::respond_to_negotiate)
//   SET           kvp_key_add_or_modify: failure -> HV_S_CONT
//   GET           kvp_get_value: not found -> HV_S_CONT
//   DELETE        kvp_key_delete: not found -> HV_S_CONT
//   ENUMERATE     pool AUTO: the intrinsic values by index (index past the
//                 last -> HV_S_CONT); other pools: kvp_pool_enumerate
//                 (index past the end -> HV_S_CONT)
//   GET_IP_INFO   the adapter by MAC (kvp_mac_to_if_name), unknown -> HV_E_FAIL
//   SET_IP_INFO   the adapter by GUID (kvp_get_if_name), unknown ->
//                 HV_GUID_NOTFOUND; then the appliance's hook, HV_E_FAIL
//                 without one (the daemon's answer when its script cannot
//                 apply the configuration)
// A request that does not parse is answered HV_E_FAIL (hv_kvp.c answers
// what it cannot hand to the daemon with HV_E_FAIL); a packet too short to
// be an IC message gets no answer, as in hv_kvp_onchannelcallback.
//
// Pools are hv_kvp_daemon's files (kvp/pool/pool_store.h), read and written
// under their lock for each request, so this service and the daemon (or the
// appliance's own API calls) see each other's changes.
//
// Usage:
//   RequestHandler handler(pools, system, hooks);
//   std::size_t n = handler.answer(buffer.first(payload_size));  // rewrites the buffer
//   if (n > 0) channel.send_inband(buffer.first(n), packet.trans_id);
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "kvp/pool/pool_store.h"
#include "kvp/protocol/negotiate.h"
#include "kvp/protocol/requests.h"
#include "kvp/service.h"

namespace kvp {

// Where the values the daemon computes come from (the running system in the
// service; fixtures in tests).
class SystemSource {
 public:
  virtual ~SystemSource() = default;
  // The AUTO pool's index-th key and value, nullopt past the last.
  virtual std::optional<pool::Entry> auto_entry(std::uint32_t index) = 0;
  // GET_IP_INFO for the adapter with this MAC ("00:15:5D:...", any case):
  // nullopt if no interface has it.
  virtual std::optional<IpInfo> ip_info(const std::string& mac, std::uint8_t addr_family) = 0;
  // SET_IP_INFO's adapter: the interface whose VMBus device id is this
  // GUID, nullopt if none.
  virtual std::optional<std::string> interface_of(const std::string& adapter_guid) = 0;
};

class RequestHandler {
 public:
  RequestHandler(const pool::PoolStore& pools, SystemSource& system, ServiceHooks hooks,
                 std::span<const ic::Version> framework_versions, std::span<const ic::Version> kvp_versions);

  // Rewrites the IC message in `payload` into its reply; returns the bytes to
  // send back (the request's length), 0 to send nothing.
  std::size_t answer(std::span<std::byte> payload);

  // A packet the channel loop dropped before it reached answer().
  void dropped(const std::string& why);

  std::optional<ic::NegotiatedVersions> versions() const noexcept { return versions_; }
  const ServiceStats& stats() const noexcept { return stats_; }

 private:
  // A KVPEXCHANGE message: the reply is filled in `payload`; returns its status.
  std::uint32_t exchange(std::span<std::byte> payload, std::span<const std::byte> message);
  void report(const std::string& what);

  const pool::PoolStore& pools_;
  SystemSource& system_;
  ServiceHooks hooks_;
  std::span<const ic::Version> framework_versions_;
  std::span<const ic::Version> kvp_versions_;
  std::optional<ic::NegotiatedVersions> versions_;
  ServiceStats stats_;
};

}  // namespace kvp
