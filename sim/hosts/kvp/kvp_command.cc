// The "kvp" control command: status, queueing operations, handing out results.
#include "kvp_command.h"

#include <span>

#include "kvp_host.h"
#include "kvp_outcomes.h"
#include "kvp_shared.h"

namespace hvsim::kvp_host {
namespace {

constexpr const char* kSubcommands = "status, set, get, delete, enumerate, ip-info, set-ip-info, result";

std::uint64_t parse_id(const std::string& text) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    throw KvpError("result: \"" + text + "\" is not a request id (the number `kvp ... set|get|...` returned)");
  }
  return std::stoull(text);
}

nlohmann::json result_of(std::uint64_t id) {
  Outcome o = take_outcome(id);
  switch (o.state) {
    case Outcome::State::pending: return {{"request", id}, {"state", "pending"}};
    case Outcome::State::done: return std::move(o.result);
    case Outcome::State::failed: throw KvpError(o.error);
    case Outcome::State::unknown: break;
  }
  throw KvpError("result: no KVP request " + std::to_string(id) +
                 " is waiting to be collected (its result was collected already, or it never existed)");
}

// The device, checked to be served by the KVP host.
const DeviceSpec& kvp_device(const FindDevice& find, const std::string& name) {
  const DeviceSpec& spec = find(name);
  if (spec.host != "kvp") {
    throw KvpError("device \"" + spec.name + "\" (" + spec.instance.str() + ") is served by host \"" + spec.host +
                   "\", not the KVP host (host \"kvp\", the default for class kvp)");
  }
  return spec;
}

std::shared_ptr<KvpShared> running_host(const DeviceSpec& spec) {
  auto shared = find_kvp(spec.instance);
  if (!shared) {
    throw KvpError("device \"" + spec.name + "\" (" + spec.instance.str() +
                   ") has no KVP host running: the guest must have it open (bound to uio_hv_generic and opened)");
  }
  return shared;
}

}  // namespace

nlohmann::json run_kvp_command(const std::vector<std::string>& args, const FindDevice& find) {
  // Keeps kvp_host.cc, which registers the "kvp" device host, in the program.
  if (args.empty()) throw KvpError("missing the device (a name or instance GUID)");
  if (args.size() < 2) throw KvpError(std::string("missing the subcommand (") + kSubcommands + ")");
  const std::string& device = args[0];
  const std::string& subcommand = args[1];
  const std::span<const std::string> rest = std::span(args).subspan(2);

  if (subcommand == "result") {
    if (rest.size() != 1) throw KvpError("result: expected one request id");
    return result_of(parse_id(rest[0]));
  }
  if (subcommand == "status") {
    if (!rest.empty()) throw KvpError("status: takes no arguments");
    const DeviceSpec& spec = kvp_device(find, device);
    if (auto shared = find_kvp(spec.instance)) return shared->to_json();
    nlohmann::json j{{"device", spec.name}, {"open", false}};
    j["offered"] = {{"framework_versions", nlohmann::json::array()}, {"kvp_versions", nlohmann::json::array()}};
    for (IcVersion v : spec.kvp.framework_versions) j["offered"]["framework_versions"].push_back(ic_version_text(v));
    for (IcVersion v : spec.kvp.kvp_versions) j["offered"]["kvp_versions"].push_back(ic_version_text(v));
    j["timeout_ms"] = spec.kvp.timeout_ms;
    return j;
  }
  if (!is_operation(subcommand)) {
    throw KvpError("unknown subcommand \"" + subcommand + "\" (" + kSubcommands + ")");
  }
  const DeviceSpec& spec = kvp_device(find, device);
  auto shared = running_host(spec);
  Operation op = parse_operation(subcommand, rest, shared->config().timeout_ms);
  const std::string description = op.description;
  const std::uint64_t id = shared->submit(std::move(op));
  return {{"device", spec.name}, {"request", id}, {"state", "pending"}, {"description", description}};
}

}  // namespace hvsim::kvp_host
