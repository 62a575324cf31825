// Exchange: a control operation's requests and the guest's replies.
#include "kvp_exchange.h"

#include "kvp/protocol/host.h"
#include "kvp_names.h"

namespace hvsim::kvp_host {
namespace {

namespace host = ::kvp::host;
namespace ic = ::kvp::ic;
using nlohmann::json;

json value_json(const ::kvp::SetValue& v) {
  return {{"value", v.text}, {"type", value_type_name(v.type)}};
}

json ip_info_json(const ::kvp::IpInfo& info) {
  return {{"adapter_id", info.adapter_id}, {"family", family_name(info.addr_family)},
          {"family_code", info.addr_family}, {"dhcp", info.dhcp_enabled != 0},
          {"ip", info.ip_addr}, {"subnet", info.sub_net}, {"gateway", info.gate_way}, {"dns", info.dns_addr}};
}

}  // namespace

Exchange::Exchange(Operation op) : op_(std::move(op)), request_(op_.request) {}

std::string Exchange::what() const {
  if (const auto* e = std::get_if<::kvp::EnumerateRequest>(&request_)) {
    return op_.description + " (index " + std::to_string(e->index) + ")";
  }
  return op_.description;
}

Exchange::Step Exchange::done(std::uint32_t status, json fields) const {
  json r{{"request", op_.id},
         {"state", "done"},
         {"op", operation_name(::kvp::operation_of(op_.request))},
         {"pool", pool_name(::kvp::pool_of(op_.request))},
         {"description", op_.description},
         {"status", status_hex(status)},
         {"status_name", status_name(status)},
         {"status_code", status},
         {"transactions", transactions_}};
  r.update(fields);
  return Step{Step::Kind::done, std::move(r), {}};
}

Exchange::Step Exchange::malformed(const std::string& why) const {
  return Step{Step::Kind::malformed, nullptr, "the guest's reply to " + what() + " is malformed: " + why};
}

Exchange::Step Exchange::on_reply(std::span<const std::byte> payload) {
  struct Reply {
    Exchange& x;
    std::span<const std::byte> payload;

    Step operator()(const ::kvp::SetRequest& r) const {
      auto s = host::parse_status_reply(payload, ::kvp::Operation::set);
      if (!s) return x.malformed(s.error().message());
      json f = value_json(r.value);
      f["key"] = r.key;
      return x.done(s->status, std::move(f));
    }
    Step operator()(const ::kvp::DeleteRequest& r) const {
      auto s = host::parse_status_reply(payload, ::kvp::Operation::delete_key);
      if (!s) return x.malformed(s.error().message());
      return x.done(s->status, {{"key", r.key}});
    }
    Step operator()(const ::kvp::SetIpInfoRequest& r) const {
      auto s = host::parse_status_reply(payload, ::kvp::Operation::set_ip_info);
      if (!s) return x.malformed(s.error().message());
      return x.done(s->status, {{"adapter_id", r.info.adapter_id}, {"info", ip_info_json(r.info)}});
    }
    Step operator()(const ::kvp::GetRequest& r) const {
      auto g = host::parse_get_reply(payload);
      if (!g) return x.malformed(g.error().message());
      json f{{"key", r.key}};
      if (g->value) f.update(value_json(*g->value));
      return x.done(g->status, std::move(f));
    }
    Step operator()(const ::kvp::GetIpInfoRequest& r) const {
      auto g = host::parse_get_ip_info_reply(payload);
      if (!g) return x.malformed(g.error().message());
      json f{{"adapter_id", r.adapter_id}, {"family", family_name(r.addr_family)}};
      if (g->info) f["info"] = ip_info_json(*g->info);
      return x.done(g->status, std::move(f));
    }
    Step operator()(::kvp::EnumerateRequest& r) const {
      auto e = host::parse_enumerate_reply(payload);
      if (!e) return x.malformed(e.error().message());
      if (e->status != ic::kHvSOk || !e->entry) {
        // HV_S_CONT past the last entry; anything else ends the walk too.
        return x.done(e->status, {{"entries", x.entries_}, {"count", x.entries_.size()}});
      }
      json entry = value_json(e->entry->value);
      entry["key"] = e->entry->key;
      entry["index"] = r.index;
      x.entries_.push_back(std::move(entry));
      if (x.entries_.size() >= kMaxEnumerateEntries) {
        return Step{Step::Kind::failed, nullptr,
                    x.op_.description + ": the guest answered " + std::to_string(kMaxEnumerateEntries) +
                        " entries without ending the enumeration with HV_S_CONT; hvsim stops there"};
      }
      ++r.index;
      return Step{Step::Kind::next, nullptr, {}};
    }
  };
  return std::visit([&](auto& r) { return Reply{*this, payload}(r); }, request_);
}

}  // namespace hvsim::kvp_host
