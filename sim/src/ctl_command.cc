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
#include <vector>

#include "hvsim/control_client.h"
#include "hvsim/tree_paths.h"

namespace {

namespace po = boost::program_options;
using nlohmann::json;

constexpr const char* kUsage = R"(hvsim ctl: control a running hvsim

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
DEVICE is a device's name or instance GUID.

Examples:
  hvsim ctl --root /dev/shm/vm1 list
  hvsim ctl --root /dev/shm/vm1 offer echo
  hvsim ctl --root /dev/shm/vm1 stats echo --json
  hvsim ctl --root /dev/shm/vm1 fault echo delay-reply 200 --count 3
  hvsim ctl --root /dev/shm/vm1 fault eth0 corrupt-rndis-packet --relid 43

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
}

}  // namespace

int run_ctl(int argc, char** argv) {
  po::options_description options(kUsage);
  options.add_options()
      ("help,h", "show this help")
      ("root", po::value<std::string>(), "the root hvsim runs under (its --root)")
      ("json", "print the result as JSON")
      ("count", po::value<unsigned>(), "fault: how many times it fires (default 1)")
      ("relid", po::value<unsigned>(), "fault: the channel (default the primary)");
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
  json response;
  try {
    response = hvsim::control_request(hvsim::TreePaths(vm["root"].as<std::string>()).control_socket, request);
  } catch (const std::exception& e) {
    std::cerr << "hvsim ctl: " << e.what() << "\n";
    return 3;
  }
  if (!response.value("ok", false)) {
    std::cerr << "hvsim ctl: " << command << ": " << response.value("error", std::string("failed")) << "\n";
    return 1;
  }
  const json& result = response["result"];
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
  } else if (command == "fault") {
    std::cout << "armed " << result["fault"].get<std::string>() << " x" << result["count"].get<unsigned>() << " on "
              << result["device"].get<std::string>() << "\n";
  } else if (result.contains("device")) {
    json wrapped{{"devices", json::array({result["device"]})}};
    print_list(wrapped);
  }
  return 0;
}
