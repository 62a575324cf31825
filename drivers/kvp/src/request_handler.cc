// RequestHandler: one host packet in, its reply out (request_handler.h).
#include "request_handler.h"

#include <variant>

#include "kvp/protocol/guest.h"
#include "kvp/protocol/ic_message.h"

namespace kvp {
namespace {

constexpr std::uint32_t kOk = ic::kHvSOk;
constexpr std::uint32_t kCont = ic::kHvSCont;
constexpr std::uint32_t kFail = ic::kHvEFail;

std::string pool_name(Pool p) {
  switch (p) {
    case Pool::external: return "external (0)";
    case Pool::guest: return "guest (1)";
    case Pool::automatic: return "auto (2)";
    case Pool::auto_external: return "auto external (3)";
    case Pool::auto_internal: return "auto internal (4)";
  }
  return "pool " + std::to_string(raw(p));
}

}  // namespace

RequestHandler::RequestHandler(const pool::PoolStore& pools, SystemSource& system, ServiceHooks hooks,
                               std::span<const ic::Version> framework_versions,
                               std::span<const ic::Version> kvp_versions)
    : pools_(pools),
      system_(system),
      hooks_(std::move(hooks)),
      framework_versions_(framework_versions),
      kvp_versions_(kvp_versions) {}

void RequestHandler::report(const std::string& what) {
  if (hooks_.log) hooks_.log(what);
}

void RequestHandler::dropped(const std::string& why) {
  stats_.malformed.fetch_add(1, std::memory_order_relaxed);
  report("host packet dropped: " + why);
}

std::size_t RequestHandler::answer(std::span<std::byte> payload) {
  const auto message = ic::parse_ic_message(payload);
  if (!message) {
    // hv_kvp_onchannelcallback drops what is shorter than ICMSG_HDR; we also
    // drop an icmsgsize past the packet rather than read beyond it.
    stats_.malformed.fetch_add(1, std::memory_order_relaxed);
    report("host packet dropped: " + message.error().message());
    return 0;
  }
  switch (static_cast<ic::MessageType>(message->header.icmsgtype)) {
    case ic::MessageType::negotiate: {
      const auto reply = ic::respond_to_negotiate(payload, framework_versions_, kvp_versions_);
      if (!reply) return 0;  // shorter than ICMSG_HDR: checked above, kept for safety
      stats_.negotiations.fetch_add(1, std::memory_order_relaxed);
      if (!reply->offer) {
        stats_.malformed.fetch_add(1, std::memory_order_relaxed);
        report("the host's version offer is malformed: " + reply->offer.error().message());
      }
      if (reply->matched) {
        versions_ = reply->versions;
      } else {
        report("no common version with the host's offer: answered with none (0/0)");
      }
      return reply->reply_size;
    }
    case ic::MessageType::kvp_exchange: {
      const std::uint32_t status = exchange(payload, message->body);
      if (status != kOk && status != kCont) stats_.failed.fetch_add(1, std::memory_order_relaxed);
      (void)ic::make_response(payload, status);  // the flags and status; the rest is the reply or the request
      return payload.size();
    }
    default:
      // hv_kvp.c answers only these two types; anything else is not for KVP.
      stats_.malformed.fetch_add(1, std::memory_order_relaxed);
      report("host packet of IC message type " + std::to_string(message->header.icmsgtype) +
             " ignored (not NEGOTIATE or KVPEXCHANGE)");
      return 0;
  }
}

std::uint32_t RequestHandler::exchange(std::span<std::byte> payload, std::span<const std::byte> message) {
  const auto parsed = guest::parse_request(message);
  if (!parsed) {
    stats_.malformed.fetch_add(1, std::memory_order_relaxed);
    report("host request refused (HV_E_FAIL): " + parsed.error().message());
    return kFail;
  }
  stats_.requests[raw(operation_of(*parsed))].fetch_add(1, std::memory_order_relaxed);
  const auto note_problems = [&](const std::vector<pool::FileProblem>& problems) {
    for (const pool::FileProblem& p : problems) {
      stats_.pool_problems.fetch_add(1, std::memory_order_relaxed);
      report(p.message());
    }
  };
  const auto pool_failed = [&](const pool::PoolError& e, Pool p, std::uint32_t status) {
    report(pool_name(p) + ": " + e.message());
    return status;
  };

  return std::visit(
      [&](const auto& r) -> std::uint32_t {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, SetRequest>) {
          const auto u = pools_.set(raw(r.pool), r.key, r.value.text);
          if (!u) return pool_failed(u.error(), r.pool, kCont);  // kvp_key_add_or_modify failed
          note_problems(u->problems);
          if (hooks_.on_host_change) hooks_.on_host_change(HostChange{r.pool, r.key, r.value.text});
          return kOk;
        } else if constexpr (std::is_same_v<R, GetRequest>) {
          const auto l = pools_.get(raw(r.pool), r.key);
          if (!l) return pool_failed(l.error(), r.pool, kCont);
          note_problems(l->problems);
          if (!l->value) return kCont;
          if (auto f = guest::fill_get_reply(payload, *l->value); !f) {
            report("GET " + r.key + ": the value cannot be sent: " + f.error().message());
            return kFail;
          }
          return kOk;
        } else if constexpr (std::is_same_v<R, DeleteRequest>) {
          const auto u = pools_.remove(raw(r.pool), r.key);
          if (!u) return pool_failed(u.error(), r.pool, kCont);
          note_problems(u->problems);
          if (u->change == pool::Change::not_found) return kCont;
          if (hooks_.on_host_change) hooks_.on_host_change(HostChange{r.pool, r.key, std::nullopt});
          return kOk;
        } else if constexpr (std::is_same_v<R, EnumerateRequest>) {
          std::optional<pool::Entry> entry;
          if (r.pool == Pool::automatic) {
            entry = system_.auto_entry(r.index);  // hv_kvp_daemon: computed, never from the file
          } else {
            const auto e = pools_.enumerate(raw(r.pool), r.index);
            if (!e) return pool_failed(e.error(), r.pool, kCont);
            note_problems(e->problems);
            entry = e->entry;
          }
          if (!entry) return kCont;
          if (auto f = guest::fill_enumerate_reply(payload, entry->key, entry->value); !f) {
            report("ENUMERATE " + pool_name(r.pool) + " index " + std::to_string(r.index) +
                   ": the entry cannot be sent: " + f.error().message());
            return kFail;
          }
          return kOk;
        } else if constexpr (std::is_same_v<R, GetIpInfoRequest>) {
          const auto info = system_.ip_info(r.adapter_id, r.addr_family);
          if (!info) {
            report("GET_IP_INFO: no interface has MAC " + r.adapter_id);
            return kFail;  // kvp_mac_to_if_name found none
          }
          if (auto f = guest::fill_get_ip_info_reply(payload, *info); !f) {
            report("GET_IP_INFO " + r.adapter_id + ": " + f.error().message());
            return kFail;
          }
          return kOk;
        } else {
          static_assert(std::is_same_v<R, SetIpInfoRequest>);
          const auto interface = system_.interface_of(r.info.adapter_id);
          if (!interface) {
            report("SET_IP_INFO: no interface has adapter id " + r.info.adapter_id);
            return ic::kHvGuidNotFound;  // kvp_get_if_name found none
          }
          if (!hooks_.set_ip_info) {
            report("SET_IP_INFO for " + *interface + " refused: the appliance registered no set_ip_info hook");
            return kFail;
          }
          return hooks_.set_ip_info(*interface, r.info);
        }
      },
      *parsed);
}

}  // namespace kvp
