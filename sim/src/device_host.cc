// The device host registry, with the built-in kinds.
#include "hvsim/device_host.h"

#include <map>
#include <mutex>

#include "hvsim/echo_host.h"
#include "hvsim/host_channel.h"
#include "kvp_host.h"
#include "nic_host.h"

namespace hvsim {
namespace {

// Reads and drops every packet: a device whose host is not written yet.
class SilentHost final : public DeviceHost {
 public:
  PacketResult on_packet(HostChannel&, const vmbus::IncomingPacket&) override { return PacketResult::done(); }
};

struct Registry {
  std::mutex mutex;
  std::map<std::string, DeviceHostFactory, std::less<>> factories{
      {"echo", [](const DeviceSpec&) { return std::make_unique<EchoHost>(); }},
      {"silent", [](const DeviceSpec&) { return std::make_unique<SilentHost>(); }},
      {"netvsc", [](const DeviceSpec& spec) { return make_nic_host(spec); }},  // sim/hosts/netvsc
      {"kvp", [](const DeviceSpec& spec) { return make_kvp_host(spec); }},     // sim/hosts/kvp
  };
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_device_host(std::string kind, DeviceHostFactory factory) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.factories[std::move(kind)] = std::move(factory);
}

bool is_known_host(std::string_view kind) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.factories.find(kind) != r.factories.end();
}

std::string known_host_names() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::string s;
  for (const auto& [name, factory] : r.factories) s += (s.empty() ? "" : ", ") + name;
  return s;
}

std::unique_ptr<DeviceHost> make_device_host(const DeviceSpec& spec) {
  DeviceHostFactory factory;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.factories.find(spec.host);
    if (it == r.factories.end()) {
      throw ConfigError("device \"" + spec.name + "\": no device host named \"" + spec.host + "\"");
    }
    factory = it->second;
  }
  return factory(spec);
}

}  // namespace hvsim
