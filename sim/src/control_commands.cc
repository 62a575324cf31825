// Simulator: the control requests `hvsim ctl` sends (docs/hvsim.md).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "kvp_command.h"
#include "kvp_shared.h"
#include "nic_shared.h"
#include "simulator_impl.h"

namespace hvsim {

nlohmann::json Simulator::Impl::handle_control(const nlohmann::json& request) {
  using nlohmann::json;
  auto arg = [&](std::size_t i, const char* what) -> std::string {
    const json& args = request.contains("args") ? request["args"] : json::array();
    if (!args.is_array() || args.size() <= i || !args[i].is_string()) {
      throw SimError(request.value("command", std::string("?")) + ": missing " + what);
    }
    return args[i].get<std::string>();
  };
  try {
    if (!request.is_object() || !request.contains("command") || !request["command"].is_string()) {
      throw SimError("a request is {\"command\": \"...\", \"args\": [...]}");
    }
    const std::string command = request["command"];
    std::lock_guard lock(mutex);
    json result;
    if (command == "list" || command == "stats") {
      result["devices"] = json::array();
      const bool one = request.contains("args") && request["args"].is_array() && !request["args"].empty();
      const Device* only = one ? &get(arg(0, "device")) : nullptr;
      for (const auto& d : devices) {
        if (only != nullptr && d.get() != only) continue;
        json j = to_json(status_of(*d));
        // The NIC host's own counters while the device is open (sim/hosts/netvsc).
        if (command == "stats") {
          if (auto nic = netvsc::find_nic(d->spec.instance)) j["nic_counters"] = nic->to_json();
          // The KVP host's (sim/hosts/kvp), likewise.
          if (auto kvp = kvp_host::find_kvp(d->spec.instance)) j["kvp_counters"] = kvp->counters_json();
        }
        result["devices"].push_back(std::move(j));
      }
    } else if (command == "offer") {
      const std::string what = arg(0, "the device: a JSON object, or a class name or GUID [and an instance GUID]");
      DeviceConfig config;
      if (!what.empty() && what.front() == '{') {
        json j;
        try {
          j = json::parse(what);
        } catch (const json::exception& e) {
          throw SimError(std::string("offer: not valid JSON: ") + e.what());
        }
        config = parse_device(j, "offer");
      } else {
        const bool has_instance = request["args"].size() > 1;
        config = device_from_class(what, has_instance ? arg(1, "instance") : std::string());
      }
      Device& d = offer_config(config);  // clear of the subchannels offered too
      result["device"] = to_json(status_of(d));
    } else if (command == "rescind") {
      Device& d = get(arg(0, "the device (a name or instance GUID)"));
      result["rescinded"] = d.spec.instance.str();
      // A KVP request waiting for the guest fails saying why (sim/hosts/kvp).
      if (auto kvp = kvp_host::find_kvp(d.spec.instance)) kvp->note_closing("rescinded");
      rescind(d);
    } else if (command == "reoffer") {
      Device& d = reoffer(arg(0, "the device (a name or instance GUID) to offer again"));
      result["device"] = to_json(status_of(d));
    } else if (command == "fault") {
      Device& d = get(arg(0, "the device"));
      std::vector<std::string> args;
      for (std::size_t i = 1; i < request["args"].size(); ++i) args.push_back(arg(i, "fault arguments (strings)"));
      FaultRequest fault;
      try {
        fault = parse_fault(args);
      } catch (const FaultError& e) {
        throw SimError(e.what());
      }
      inject_fault(d, fault);
      result["device"] = d.spec.name;
      result["fault"] = std::string(fault_name(fault.kind));
      result["count"] = fault.count;
    } else if (command == "link") {
      // hvsim ctl link DEVICE up|down|speed MBPS: the NIC host indicates it
      // to the guest (RNDIS_STATUS_MEDIA_CONNECT/_DISCONNECT, LINK_SPEED_CHANGE).
      Device& d = get(arg(0, "the device"));
      const std::string what = arg(1, "up, down or speed MBPS");
      std::optional<bool> up;
      std::optional<std::uint64_t> speed;
      if (what == "up" || what == "down") {
        up = what == "up";
      } else if (what == "speed") {
        const std::string n = arg(2, "the speed in Mbps");
        if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos || std::stoull(n) == 0 ||
            std::stoull(n) > 400'000) {
          throw SimError("speed \"" + n + "\" must be 1..400000 (Mbps)");
        }
        speed = std::stoull(n);
      } else {
        throw SimError("\"" + what + "\" is not up, down or speed MBPS");
      }
      auto nic = netvsc::find_nic(d.spec.instance);
      if (!nic) {
        throw SimError(d.label() + " has no NIC host running (host \"" + d.spec.host +
                       "\"; the guest must have it open)");
      }
      nic->request_link(up, speed);
      const auto link = nic->link();
      result["device"] = d.spec.name;
      result["link"] = link.up ? "up" : "down";
      result["speed_mbps"] = link.speed_mbps;
    } else if (command == "kvp") {
      // hvsim ctl kvp DEVICE status|set|get|delete|enumerate|ip-info|set-ip-info|result ...:
      // the KVP host (sim/hosts/kvp) queues the operation; its result is
      // asked for with `result ID`, never waited for here (kvp_command.h).
      std::vector<std::string> args;
      const json& given = request.contains("args") ? request["args"] : json::array();
      for (std::size_t i = 0; i < given.size(); ++i) args.push_back(arg(i, "KVP arguments (strings)"));
      result = kvp_host::run_kvp_command(args, [&](std::string_view device) -> const DeviceSpec& { return get(device).spec; });
    } else if (command == "bind") {
      Device& d = get(arg(0, "the device"));
      const std::string driver = arg(1, "the driver (hv_netvsc, hv_utils, uio_hv_generic)");
      if (std::find(std::begin(kDrivers), std::end(kDrivers), driver) == std::end(kDrivers)) {
        throw SimError("no driver \"" + driver + "\" (hv_netvsc, hv_utils, uio_hv_generic)");
      }
      probe(d, driver);
      result["device"] = to_json(status_of(d));
    } else if (command == "unbind") {
      Device& d = get(arg(0, "the device"));
      auto kvp = kvp_host::find_kvp(d.spec.instance);
      if (kvp) kvp->note_closing("unbound");
      try {
        remove(d);
      } catch (...) {
        if (kvp) kvp->note_closing("");  // still bound: a later close has another reason
        throw;
      }
      result["device"] = to_json(status_of(d));
    } else {
      throw SimError("unknown command \"" + command + "\" (list, stats, offer, rescind, reoffer, bind, unbind, fault, link, kvp)");
    }
    return {{"ok", true}, {"result", std::move(result)}};
  } catch (const std::exception& e) {
    return {{"ok", false}, {"error", e.what()}};
  }
}

}  // namespace hvsim
