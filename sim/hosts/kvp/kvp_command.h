// File: sim/hosts/kvp/kvp_command.h
//
// The "kvp" control command (`hvsim ctl kvp DEVICE SUBCOMMAND ...`), as the
// Simulator's control thread runs it (sim/src/control_commands.cc):
//   status                  the negotiation, what the host is busy with, counters
//   set|get|delete|enumerate|ip-info|set-ip-info ...
//                           queues an operation (kvp_operation.h) and returns
//                           at once {"request": ID, "state": "pending"}
//   result ID               {"request": ID, "state": "pending"} while the host
//                           works on it, then the result once (a failed
//                           operation throws, so the reply says ok: false)
// The control thread must not wait for the guest (kvp_outcomes.h says why):
// kvp_client.h runs the submit-then-poll loop for `hvsim ctl` and tests.
//
// Usage (control thread, mutex held):
//   nlohmann::json r = hvsim::kvp_host::run_kvp_command(args, [&](std::string_view d) -> const DeviceSpec& {
//     return get(d).spec;   // throws if there is no such device
//   });
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "hvsim/config.h"

namespace hvsim::kvp_host {

using FindDevice = std::function<const DeviceSpec&(std::string_view name_or_instance)>;

// args = {DEVICE, SUBCOMMAND, ...}. Throws KvpError (std::runtime_error)
// with a message for the user: unknown subcommand or pool, a value too long
// for the wire, no KVP host running ("the guest must have it open").
nlohmann::json run_kvp_command(const std::vector<std::string>& args, const FindDevice& find);

}  // namespace hvsim::kvp_host
