// `hvsim ctl`: one request to a running hvsim, printed as a table or JSON.
// GCC 12 reports a "potential null pointer dereference" inside Boost 1.74's
// typed_value<std::string>::notify() (as bench/ring/ring_options.cc explains):
// off for this file, which is command-line handling only.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <boost/program_options.hpp>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "hvsim/control_client.h"
#include "hvsim/tree_paths.h"
#include "kvp_client.h"

namespace {

namespace po = boost::program_options;
using nlohmann::json;

constexpr const char* kCtlUsage = R"(hvsim ctl: control a running hvsim

Usage: hvsim ctl --root DIR COMMAND [ARGS] [--json]

Commands:
  list [DEVICE]                 devices: binding, uio node, client, channels
  stats [DEVICE]                per-channel counters: interrupts to the guest,
                                guest signals (and how many were unnecessary),
                                packets, blocking, drops
  offer CLASS [INSTANCE]        hot-add a device of a class (name or GUID)
  offer '{"class": "echo", "relid": 50, "monitor_id": null, ...}'
                                hot-add a device described in JSON (the config's
                                device format; see hvsim --print-default-config)
  rescind DEVICE                the host takes the device away
  reoffer DEVICE                offer a rescinded device again, as it was
  bind DEVICE DRIVER            bind as the admin would (no id matching)
  unbind DEVICE                 release the device from its driver
  fault DEVICE KIND [MS] [--count N] [--relid R]
                                make the host misbehave on purpose, N times:
                                delay-reply MS, drop-signal, drop-interrupt,
                                corrupt-rx-index, corrupt-tx-index,
                                corrupt-length, corrupt-offset, corrupt-type;
                                a NIC (host netvsc) only, one NVSP/RNDIS field
                                of its next message wrong: corrupt-pageset-id,
                                corrupt-range-count, corrupt-range-bounds,
                                corrupt-rndis-length, corrupt-rndis-packet,
                                corrupt-completion-id
                                (docs/hvsim.md, "Fault injection")
  link DEVICE up|down|speed MBPS
                                the NIC's link changes: the guest gets a
                                media connect/disconnect or link speed
                                indication (the device must be open)
  kvp DEVICE SUBCOMMAND ...     the KVP host asks the guest (the device must
                                be open; one transaction at a time):
    status                      negotiated versions, busy/idle, counters
    set [--pool P] [--type sz|u32|u64] KEY VALUE
    get [--pool P] KEY
    delete [--pool P] KEY
    enumerate [--pool P]        every entry of a pool (index 0.. until HV_S_CONT)
    ip-info MAC [--family ipv4|ipv6|any]
    set-ip-info ADAPTER_ID [--ip A] [--subnet S] [--gateway G] [--dns D] [--dhcp]
                                P: external (default), guest, auto,
                                auto_external, auto_internal or 0..4 (the IP
                                operations default to guest); --timeout MS for
                                the guest's answer (default the device's
                                "timeout_ms", 5000). Exit status 1 if the guest
                                answered anything but HV_S_OK (HV_S_CONT ends
                                an enumeration), timed out or answered garbage.
DEVICE is a device's name or instance GUID.

Examples:
  hvsim ctl --root /dev/shm/vm1 list
  hvsim ctl --root /dev/shm/vm1 offer echo
  hvsim ctl --root /dev/shm/vm1 stats echo --json
  hvsim ctl --root /dev/shm/vm1 fault echo delay-reply 200 --count 3
  hvsim ctl --root /dev/shm/vm1 fault eth0 corrupt-rndis-packet --relid 43
  hvsim ctl --root /dev/shm/vm1 kvp kvp set --pool external Location "Rack 12"
  hvsim ctl --root /dev/shm/vm1 kvp kvp enumerate --pool auto --json

Options)";

std::string text_or(const json& v, const std::string& none = "-") {
  if (v.is_null()) return none;
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size());
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::cout << std::left << std::setw(static_cast<int>(i + 1 < row.size() ? width[i] + 2 : 0)) << row[i];
    }
    std::cout << "\n";
  }
}

void print_list(const json& result) {
  std::vector<std::vector<std::string>> rows{
      {"NAME", "INSTANCE", "CLASS", "RELID", "MONITOR", "DRIVER", "UIO", "STATE", "CLIENT", "HOST", "CHANNELS"}};
  for (const json& d : result["devices"]) {
    std::string channels;
    for (const json& c : d["channels"]) channels += (channels.empty() ? "" : " ") + std::to_string(c["relid"].get<unsigned>()) + ":" + c["state"].get<std::string>();
    rows.push_back({d["name"], d["instance"], d["class"], std::to_string(d["relid"].get<unsigned>()), text_or(d["monitor_id"]),
                    text_or(d["driver"]), text_or(d["uio"]), std::to_string(d["state"].get<int>()), text_or(d["client_pid"]),
                    d["host"], channels});
  }
  print_table(rows);
}

void print_stats(const json& result) {
  std::vector<std::vector<std::string>> rows{{"DEVICE", "RELID", "SUB", "STATE", "INTERRUPTS", "SIGNALS", "UNNECESSARY", "PKTS_IN",
                                              "PKTS_OUT", "BLOCKED", "DROPPED", "CORRUPT", "FAULTS"}};
  for (const json& d : result["devices"]) {
    for (const json& c : d["channels"]) {
      const json& n = c["counters"];
      auto v = [&](const char* k) { return std::to_string(n[k].get<std::uint64_t>()); };
      rows.push_back({d["name"], std::to_string(c["relid"].get<unsigned>()), text_or(c.value("subchannel_id", json())), c["state"], v("interrupts"), v("signals"),
                      v("signals_unnecessary"), v("packets_in"), v("packets_out"), v("host_blocked"), v("packets_dropped"),
                      v("corrupt_closes"), v("faults_injected")});
    }
  }
  print_table(rows);
  // The NIC hosts' own counters (hvsim/hosts/netvsc), one line per open NIC.
  std::vector<std::vector<std::string>> nics{{"NIC", "LINK", "TX_FRAMES", "TX_BYTES", "RX_FRAMES", "RX_BYTES", "RNDIS",
                                              "SLOTS", "DROPS"}};
  for (const json& d : result["devices"]) {
    if (!d.contains("nic_counters")) continue;
    const json& n = d["nic_counters"];
    auto v = [&](const char* k) { return std::to_string(n[k].get<std::uint64_t>()); };
    std::string drops;
    for (const auto& [k, value] : n.items()) {
      if (k.rfind("drop_", 0) == 0 && value.get<std::uint64_t>() != 0) drops += (drops.empty() ? "" : " ") + k.substr(5) + "=" + value.dump();
    }
    nics.push_back({d["name"], n["link"].get<std::string>() + " " + v("link_speed_mbps") + "M", v("tx_frames"), v("tx_bytes"),
                    v("rx_frames"), v("rx_bytes"), v("rndis_requests"), v("slots_in_use") + "/" + v("slots"),
                    drops.empty() ? "-" : drops});
  }
  if (nics.size() > 1) {
    std::cout << "\n";
    print_table(nics);
  }
  // The KVP hosts' counters (hvsim/hosts/kvp), one line per open KVP device.
  std::vector<std::vector<std::string>> kvps{{"KVP", "REQUESTS", "REPLIES", "FAILURES", "MALFORMED", "TIMEOUTS", "UNEXPECTED"}};
  for (const json& d : result["devices"]) {
    if (!d.contains("kvp_counters")) continue;
    const json& n = d["kvp_counters"];
    auto v = [&](const char* k) { return std::to_string(n[k].get<std::uint64_t>()); };
    kvps.push_back({d["name"], v("requests_sent"), v("replies"), v("failures"), v("malformed_replies"), v("timeouts"),
                    v("unexpected_replies")});
  }
  if (kvps.size() > 1) {
    std::cout << "\n";
    print_table(kvps);
  }
}

std::string joined(const json& versions) {
  std::string s;
  for (const json& v : versions) s += (s.empty() ? "" : " ") + v.get<std::string>();
  return s.empty() ? "none" : s;
}

void print_kvp_status(const json& r) {
  const json& offered = r["offered"];
  if (!r.value("open", false)) {
    std::cout << r["device"].get<std::string>() << ": not open by a guest (it will offer framework "
              << joined(offered["framework_versions"]) << "; KVP " << joined(offered["kvp_versions"]) << ")\n";
    return;
  }
  const json& n = r["negotiation"];
  const std::string state = n["state"];
  std::cout << r["device"].get<std::string>() << ": open; negotiation " << state;
  if (state == "done") std::cout << ": framework " << n["framework"].get<std::string>() << ", KVP " << n["kvp"].get<std::string>();
  if (state == "no_common_version") std::cout << " (the guest answered 0/0)";
  if (n.contains("detail")) std::cout << " (" << n["detail"].get<std::string>() << ")";
  std::cout << "\noffered: framework " << joined(offered["framework_versions"]) << "; KVP " << joined(offered["kvp_versions"])
            << "; timeout " << r["timeout_ms"].get<std::uint64_t>() << " ms\n";
  std::cout << (r["busy"].get<bool>() ? "busy: " + r["current"].get<std::string>() : std::string("idle")) << ", "
            << r["queued"].get<std::uint64_t>() << " queued\n";
  std::string counters;
  for (const auto& [k, v] : r["counters"].items()) counters += (counters.empty() ? "" : ", ") + k + " " + v.dump();
  std::cout << counters << "\n";
}

// One finished KVP operation; returns the exit status (1 unless HV_S_OK, or
// HV_S_CONT ending an enumeration).
int print_kvp_result(const json& r, bool as_json) {
  const std::string op = r.value("op", std::string());
  const std::string status_name = r.value("status_name", std::string());
  const bool ok = status_name == "HV_S_OK" || (op == "enumerate" && status_name == "HV_S_CONT");
  if (as_json) {
    std::cout << r.dump(2) << "\n";
    return ok ? 0 : 1;
  }
  const std::string status = status_name + " (" + r.value("status", std::string()) + ")";
  const bool missing = status_name == "HV_S_CONT";
  if (op == "enumerate") {
    std::vector<std::vector<std::string>> rows{{"INDEX", "KEY", "TYPE", "VALUE"}};
    for (const json& e : r["entries"]) rows.push_back({e["index"].dump(), e["key"], e["type"], e["value"]});
    if (rows.size() > 1) print_table(rows);
    std::cout << r["description"].get<std::string>() << ": " << r["entries"].size() << " entries, ended by " << status << "\n";
  } else if (op == "get" && r.contains("value")) {
    std::cout << r["description"].get<std::string>() << ": " << status << ": " << json(r["value"]).dump() << " ("
              << r["type"].get<std::string>() << ")\n";
  } else if (op == "ip-info" && r.contains("info")) {
    const json& i = r["info"];
    std::cout << r["description"].get<std::string>() << ": " << status << "\n";
    print_table({{"  adapter_id", i["adapter_id"]}, {"  family", i["family"]}, {"  dhcp", i["dhcp"].get<bool>() ? "yes" : "no"},
                 {"  ip", i["ip"]}, {"  subnet", i["subnet"]}, {"  gateway", i["gateway"]}, {"  dns", i["dns"]}});
  } else {
    std::cout << r["description"].get<std::string>() << ": " << status
              << (missing && (op == "get" || op == "delete") ? ": no such key" : "") << "\n";
  }
  return ok ? 0 : 1;
}

}  // namespace

int run_ctl(int argc, char** argv) {
  po::options_description options(kCtlUsage);
  options.add_options()
      ("help,h", "show this help")
      ("root", po::value<std::string>(), "the root hvsim runs under (its --root)")
      ("json", "print the result as JSON")
      ("count", po::value<unsigned>(), "fault: how many times it fires (default 1)")
      ("relid", po::value<unsigned>(), "fault: the channel (default the primary)");
  po::options_description kvp_options("kvp options");
  kvp_options.add_options()
      ("pool", po::value<std::string>(), "kvp: the pool (external, guest, auto, auto_external, auto_internal, 0..4)")
      ("type", po::value<std::string>(), "kvp set: the value's type: sz (default), u32, u64")
      ("family", po::value<std::string>(), "kvp ip-info/set-ip-info: ipv4, ipv6 or any (default)")
      ("ip", po::value<std::string>(), "kvp set-ip-info: addresses, ';'-separated")
      ("subnet", po::value<std::string>(), "kvp set-ip-info: subnets, ';'-separated")
      ("gateway", po::value<std::string>(), "kvp set-ip-info: gateways, ';'-separated")
      ("dns", po::value<std::string>(), "kvp set-ip-info: DNS servers, ';'-separated")
      ("dhcp", "kvp set-ip-info: DHCP enabled")
      ("timeout", po::value<unsigned>(), "kvp: ms to wait for the guest's answer");
  options.add(kvp_options);
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::string>())("args", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hvsim ctl: " << e.what() << " (hvsim ctl --help)\n";
    return 2;
  }
  if (vm.count("help") || !vm.count("command")) {
    std::cout << options << "\n";
    return vm.count("help") ? 0 : 2;
  }
  if (!vm.count("root")) {
    std::cerr << "hvsim ctl: --root DIR is required: the directory hvsim runs under\n";
    return 2;
  }
  const std::string command = vm["command"].as<std::string>();
  json request{{"command", command}, {"args", json::array()}};
  if (vm.count("args")) {
    for (const std::string& a : vm["args"].as<std::vector<std::string>>()) request["args"].push_back(a);
  }
  for (const char* option : {"count", "relid"}) {
    if (!vm.count(option)) continue;
    if (command != "fault") {
      std::cerr << "hvsim ctl: --" << option << " is for `fault` only\n";
      return 2;
    }
    request["args"].push_back(std::string("--") + option);
    request["args"].push_back(std::to_string(vm[option].as<unsigned>()));
  }
  for (const char* option : {"pool", "type", "family", "ip", "subnet", "gateway", "dns", "dhcp", "timeout"}) {
    if (!vm.count(option)) continue;
    if (command != "kvp") {
      std::cerr << "hvsim ctl: --" << option << " is for `kvp` only\n";
      return 2;
    }
    request["args"].push_back(std::string("--") + option);
    if (std::string_view(option) == "timeout") {
      request["args"].push_back(std::to_string(vm[option].as<unsigned>()));
    } else if (std::string_view(option) != "dhcp") {
      request["args"].push_back(vm[option].as<std::string>());
    }
  }
  const auto socket = hvsim::TreePaths(vm["root"].as<std::string>()).control_socket;
  json response;
  try {
    if (command == "kvp") {
      // The KVP host queues the operation; kvp_control asks for its result until the guest answered.
      response = hvsim::kvp_host::kvp_control([&](const json& r) { return hvsim::control_request(socket, r); },
                                              request["args"].get<std::vector<std::string>>(), [](std::uint64_t id) {
                                                std::cerr << "hvsim ctl: kvp: waiting for the guest's answer (request "
                                                          << id << ")...\n";
                                              });
    } else {
      response = hvsim::control_request(socket, request);
    }
  } catch (const std::exception& e) {
    std::cerr << "hvsim ctl: " << e.what() << "\n";
    return 3;
  }
  if (!response.value("ok", false)) {
    std::cerr << "hvsim ctl: " << command << ": " << response.value("error", std::string("failed")) << "\n";
    return 1;
  }
  const json& result = response["result"];
  if (command == "kvp" && result.contains("op")) return print_kvp_result(result, vm.count("json") != 0);
  if (vm.count("json")) {
    std::cout << result.dump(2) << "\n";
  } else if (command == "list") {
    print_list(result);
  } else if (command == "stats") {
    print_stats(result);
  } else if (command == "rescind") {
    std::cout << "rescinded " << result["rescinded"].get<std::string>() << "\n";
  } else if (command == "link") {
    std::cout << result["device"].get<std::string>() << ": link " << result["link"].get<std::string>() << ", "
              << result["speed_mbps"].get<std::uint64_t>() << " Mbps\n";
  } else if (command == "kvp") {
    print_kvp_status(result);
  } else if (command == "fault") {
    std::cout << "armed " << result["fault"].get<std::string>() << " x" << result["count"].get<unsigned>() << " on "
              << result["device"].get<std::string>() << "\n";
  } else if (result.contains("device")) {
    json wrapped{{"devices", json::array({result["device"]})}};
    print_list(wrapped);
  }
  return 0;
}
