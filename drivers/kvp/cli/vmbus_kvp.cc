// vmbus-kvp: the KVP pools and service for a person at a shell.
//
//   vmbus-kvp [--pool-dir DIR] [--json] list [POOL...]
//   vmbus-kvp get [--pool POOL] KEY          (prints the value; exit 1 if there is none)
//   vmbus-kvp set [--pool POOL] KEY VALUE
//   vmbus-kvp delete [--pool POOL] KEY
//   vmbus-kvp watch [POOL...]                (prints each change as it happens)
//   vmbus-kvp serve [--sysfs-root DIR] [--device kvp|GUID] [--claim] [--poll]
//
// POOL is external, guest, auto, auto_external, auto_internal or 0..4; get,
// set and delete use the guest pool unless told (what the appliance
// publishes). The pools are hv_kvp_daemon's files (default /var/lib/hyperv),
// so list/get/set/delete/watch work whether this service or the standard
// daemon answers the host. `serve` is the service itself (kvp/service.h).
// Exit status: 0 done, 1 failed (a missing key, an I/O error, a rescind),
// 2 a bad command line.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "kvp/pool/pool_store.h"
#include "kvp/service.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/discovery.h"

namespace {

namespace po = boost::program_options;
using nlohmann::json;

constexpr const char* kPoolNames[kvp::pool::kPoolCount] = {"external", "guest", "auto", "auto_external",
                                                          "auto_internal"};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int parse_pool(const std::string& text) {
  for (int i = 0; i < kvp::pool::kPoolCount; ++i) {
    if (text == kPoolNames[i] || text == std::to_string(i)) return i;
  }
  throw UsageError("unknown pool '" + text + "' (external, guest, auto, auto_external, auto_internal or 0..4)");
}

std::vector<int> parse_pools(const std::vector<std::string>& names) {
  std::vector<int> pools;
  for (const std::string& n : names) pools.push_back(parse_pool(n));
  if (pools.empty()) {
    for (int i = 0; i < kvp::pool::kPoolCount; ++i) pools.push_back(i);
  }
  return pools;
}

void warn(const std::vector<kvp::pool::FileProblem>& problems) {
  for (const auto& p : problems) std::fprintf(stderr, "vmbus-kvp: warning: %s\n", p.message().c_str());
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "vmbus-kvp: %s\n", what.c_str());
  std::exit(1);
}

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: poll(2) returns EINTR
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

int list(const kvp::pool::PoolStore& store, const std::vector<int>& pools, bool as_json) {
  json out = json::array();
  for (int p : pools) {
    auto l = store.list(p);
    if (!l) fail(l.error().message());
    warn(l->problems);
    for (const auto& e : l->entries) {
      if (as_json) {
        out.push_back({{"pool", kPoolNames[p]}, {"key", e.key}, {"value", e.value}});
      } else {
        std::printf("%-14s %s = %s\n", kPoolNames[p], e.key.c_str(), e.value.c_str());
      }
    }
  }
  if (as_json) std::printf("%s\n", out.dump().c_str());
  return 0;
}

// Prints what changed in `pool` since `before`, then remembers the new state.
void report_changes(int pool, std::map<std::string, std::string>& before, const std::vector<kvp::pool::Entry>& now,
                    bool as_json) {
  std::map<std::string, std::string> after;
  for (const auto& e : now) after.emplace(e.key, e.value);  // the first record of a key wins, as in get()
  auto line = [&](const char* change, const std::string& key, const std::string* value) {
    if (as_json) {
      json j{{"pool", kPoolNames[pool]}, {"change", change}, {"key", key}};
      if (value != nullptr) j["value"] = *value;
      std::printf("%s\n", j.dump().c_str());
    } else {
      const char mark = change[0] == 'a' ? '+' : change[0] == 'c' ? '~' : '-';
      std::printf("%-14s %c %s%s%s\n", kPoolNames[pool], mark, key.c_str(), value != nullptr ? " = " : "",
                  value != nullptr ? value->c_str() : "");
    }
  };
  for (const auto& [key, value] : after) {
    auto it = before.find(key);
    if (it == before.end()) line("added", key, &value);
    else if (it->second != value) line("changed", key, &value);
  }
  for (const auto& [key, value] : before) {
    if (!after.contains(key)) line("removed", key, nullptr);
  }
  std::fflush(stdout);
  before = std::move(after);
}

int watch(const kvp::pool::PoolStore& store, const std::vector<int>& pools, bool as_json) {
  install_signal_handlers();
  const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) fail(std::string("inotify_init1: ") + std::strerror(errno));
  // The directory, not the files: the daemon and others may create them later.
  if (::inotify_add_watch(fd, store.directory().c_str(), IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_CREATE) < 0) {
    fail("cannot watch " + store.directory().string() + ": " + std::strerror(errno));
  }
  std::map<int, std::map<std::string, std::string>> state;
  for (int p : pools) {
    auto l = store.list(p);
    if (!l) fail(l.error().message());
    for (const auto& e : l->entries) state[p].emplace(e.key, e.value);
  }
  if (!as_json) std::fprintf(stderr, "vmbus-kvp: watching %s (Ctrl-C to stop)\n", store.directory().c_str());
  while (g_stop == 0) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 1000) <= 0) continue;  // timeout or EINTR (a signal: the loop checks)
    alignas(inotify_event) char events[4096];
    while (::read(fd, events, sizeof events) > 0) {
      // Which file changed does not matter much: re-read the watched pools
      // (each read is one locked read of a small file).
    }
    for (int p : pools) {
      auto l = store.list(p);
      if (!l) {
        std::fprintf(stderr, "vmbus-kvp: %s\n", l.error().message().c_str());
        continue;
      }
      report_changes(p, state[p], l->entries, as_json);
    }
  }
  ::close(fd);
  return 0;
}

int serve(const kvp::pool::PoolStore& store, const std::string& sysfs_root, const std::string& selector, bool claim,
          bool poll_mode, bool as_json) {
  install_signal_handlers();
  const vmbus::SysfsRoot root = vmbus::SysfsRoot::from_option(sysfs_root);
  try {
    vmbus::DeviceInfo device = vmbus::find_device(root, selector);
    std::optional<vmbus::Claim> claimed;
    if (claim) {
      claimed.emplace(vmbus::claim_device(root, device.instance));  // given back at exit
      device = claimed->device();
    }
    kvp::ServiceOptions options;
    options.pool_directory = store.directory();
    options.poll_mode = poll_mode;
    options.hooks.on_host_change = [&](const kvp::HostChange& c) {
      const char* pool = kPoolNames[kvp::raw(c.pool)];
      if (as_json) {
        json j{{"event", c.value ? "host_set" : "host_deleted"}, {"pool", pool}, {"key", c.key}};
        if (c.value) j["value"] = *c.value;
        std::printf("%s\n", j.dump().c_str());
      } else if (c.value) {
        std::printf("host set     %-14s %s = %s\n", pool, c.key.c_str(), c.value->c_str());
      } else {
        std::printf("host deleted %-14s %s\n", pool, c.key.c_str());
      }
      std::fflush(stdout);
    };
    options.hooks.log = [](const std::string& line) { std::fprintf(stderr, "vmbus-kvp: %s\n", line.c_str()); };
    auto service = kvp::Service::open(device, options);
    if (!as_json) {
      std::printf("serving KVP on %s (%s mode), pools in %s\n", device.instance.str().c_str(),
                  poll_mode ? "poll" : "interrupt", store.directory().c_str());
      std::fflush(stdout);
    }
    bool announced = false;
    while (g_stop == 0) {
      auto n = service->poll(std::chrono::milliseconds(200));
      if (!announced) {
        if (auto v = service->versions()) {
          announced = true;
          if (as_json) {
            std::printf("%s\n", json{{"event", "negotiated"},
                                     {"framework", std::to_string(v->framework.major) + "." + std::to_string(v->framework.minor)},
                                     {"kvp", std::to_string(v->service.major) + "." + std::to_string(v->service.minor)}}
                                    .dump()
                                    .c_str());
          } else {
            std::printf("negotiated framework %u.%u, KVP %u.%u\n", v->framework.major, v->framework.minor,
                        v->service.major, v->service.minor);
          }
          std::fflush(stdout);
        }
      }
      if (!n) {
        if (n.error().code == vmbus::Errc::rescinded) fail("the host rescinded the KVP device");
        fail("the KVP channel failed: " + n.error().message());
      }
    }
    return 0;
  } catch (const vmbus::DeviceError& e) {
    fail(e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string pool_dir = std::string(kvp::pool::kDefaultDirectory);
  std::string pool_name = "guest";
  std::string sysfs_root, device = "kvp";
  bool as_json = false, claim = false, poll_mode = false;
  std::string command;
  std::vector<std::string> args;
  po::options_description options("Options");
  options.add_options()
      ("help,h", "this text")
      ("pool-dir", po::value(&pool_dir), "the pool files' directory (default /var/lib/hyperv)")
      ("pool", po::value(&pool_name), "get/set/delete: the pool (default guest)")
      ("json", po::bool_switch(&as_json), "machine-readable output")
      ("sysfs-root", po::value(&sysfs_root), "serve: sysfs to find the device in (default $VMBUS_SYSFS_ROOT or /sys)")
      ("device", po::value(&device), "serve: the KVP device, by class name or instance GUID (default kvp)")
      ("claim", po::bool_switch(&claim), "serve: bind it to uio_hv_generic first, give it back at exit")
      ("poll", po::bool_switch(&poll_mode), "serve: spin instead of sleeping on interrupts")
      ("command", po::value(&command), "")
      ("args", po::value(&args), "");
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help") != 0 || command.empty()) {
      std::printf(
          "vmbus-kvp: Hyper-V KVP pools (hv_kvp_daemon's files) and the KVP service.\n"
          "Commands: list [POOL...], get KEY, set KEY VALUE, delete KEY, watch [POOL...], serve.\n"
          "POOL: external, guest, auto, auto_external, auto_internal or 0..4.\n%s",
          (std::ostringstream() << options).str().c_str());
      return command.empty() && vm.count("help") == 0 ? 2 : 0;
    }
    const kvp::pool::PoolStore store(pool_dir);
    auto need = [&](std::size_t n, const char* what) {
      if (args.size() != n) throw UsageError(command + " takes " + what);
    };
    if (command == "list") return list(store, parse_pools(args), as_json);
    if (command == "watch") return watch(store, parse_pools(args), as_json);
    if (command == "serve") {
      need(0, "no arguments");
      return serve(store, sysfs_root, device, claim, poll_mode, as_json);
    }
    const int pool = parse_pool(pool_name);
    if (command == "get") {
      need(1, "KEY");
      auto r = store.get(pool, args[0]);
      if (!r) fail(r.error().message());
      warn(r->problems);
      if (!r->value) fail("no key '" + args[0] + "' in the " + kPoolNames[pool] + " pool");
      if (as_json) std::printf("%s\n", json{{"pool", kPoolNames[pool]}, {"key", args[0]}, {"value", *r->value}}.dump().c_str());
      else std::printf("%s\n", r->value->c_str());
      return 0;
    }
    if (command == "set") {
      need(2, "KEY VALUE");
      auto r = store.set(pool, args[0], args[1]);
      if (!r) fail(r.error().message());
      warn(r->problems);
      return 0;
    }
    if (command == "delete") {
      need(1, "KEY");
      auto r = store.remove(pool, args[0]);
      if (!r) fail(r.error().message());
      warn(r->problems);
      if (r->change == kvp::pool::Change::not_found) fail("no key '" + args[0] + "' in the " + kPoolNames[pool] + " pool");
      return 0;
    }
    throw UsageError("unknown command '" + command + "'");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "vmbus-kvp: %s (vmbus-kvp --help)\n", e.what());
    return 2;
  } catch (const po::error& e) {
    std::fprintf(stderr, "vmbus-kvp: %s (vmbus-kvp --help)\n", e.what());
    return 2;
  }
}
