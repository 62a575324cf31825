// File: sim/hosts/kvp/kvp_client.h
//
// One `kvp` control command run to its end, for `hvsim ctl kvp` and for
// tests: send {"command": "kvp", "args": [DEVICE, SUBCOMMAND, ...]}; if the
// host queued an operation ({"state": "pending", "request": ID}), ask for
// {"kvp", [DEVICE, "result", ID]} every few milliseconds (1 ms at first,
// then up to 20 ms) until it is done or failed. The host always finishes an
// operation (answer, timeout, malformed reply, close), so this ends too.
//
// `send` carries one request: hvsim::control_request over the socket, or
// Simulator::handle_control in-process (from any thread but hvsim's own
// control thread).
//
// Usage:
//   nlohmann::json r = hvsim::kvp_host::kvp_control(
//       [&](const nlohmann::json& q) { return hvsim::control_request(socket, q); },
//       {"kvp", "get", "Location"});
//   if (r["ok"]) use(r["result"]["value"]); else show(r["error"]);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hvsim::kvp_host {

using ControlSend = std::function<nlohmann::json(const nlohmann::json& request)>;

// Returns the last response: {"ok": true, "result": ...} or {"ok": false,
// "error": ...}. `still_waiting(id)` is called once if the operation is not
// finished after `patience` (for progress output).
nlohmann::json kvp_control(const ControlSend& send, const std::vector<std::string>& args,
                           const std::function<void(std::uint64_t id)>& still_waiting = {},
                           std::chrono::milliseconds patience = std::chrono::seconds(2));

}  // namespace hvsim::kvp_host
