// Simulator: the control requests `hvsim ctl` sends (docs/hvsim.md).
#include <algorithm>
#include <nlohmann/json.hpp>

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
        if (only == nullptr || d.get() == only) result["devices"].push_back(to_json(status_of(*d)));
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
      remove(d);
      result["device"] = to_json(status_of(d));
    } else {
      throw SimError("unknown command \"" + command + "\" (list, stats, offer, rescind, reoffer, bind, unbind, fault)");
    }
    return {{"ok", true}, {"result", std::move(result)}};
  } catch (const std::exception& e) {
    return {{"ok", false}, {"error", e.what()}};
  }
}

}  // namespace hvsim
