// Simulator: runtime changes beyond offer and rescind: re-offering a device
// the host rescinded, and arming injected faults (hvsim/faults.h).
#include "simulator_impl.h"

namespace hvsim {
namespace {

// What was decided for a device, as a config that decides the same again.
DeviceConfig config_of(const DeviceSpec& s) {
  DeviceConfig c;
  c.name = s.name;
  c.class_id = s.class_id;
  c.instance = s.instance;
  c.relid = s.relid;
  c.monitored = s.monitor_id.has_value();
  c.monitor_id = s.monitor_id;
  c.ring_size = s.ring_size;
  c.host = s.host;
  c.driver = s.driver;
  c.driver_override = s.driver_override;
  c.cpu = s.cpu;
  c.subchannels = s.subchannels;
  // The class's own options: a re-offered device keeps them.
  if (s.class_id == kNicClassGuid) c.nic = s.nic;
  if (s.host == "kvp") c.kvp = s.kvp;
  return c;
}

}  // namespace

Device& Simulator::Impl::reoffer(std::string_view name_or_instance) {
  if (Device* d = find(name_or_instance)) throw SimError(d->label() + " is offered: rescind it before re-offering it");
  const auto match = [&](const DeviceSpec& s) {
    const auto g = Guid::parse(name_or_instance);
    return s.name == name_or_instance || (g && s.instance == *g);
  };
  // The most recent rescind of that device.
  const auto it = std::find_if(rescinded.rbegin(), rescinded.rend(), match);
  if (it == rescinded.rend()) {
    std::string names;
    for (const DeviceSpec& s : rescinded) names += (names.empty() ? "" : ", ") + s.name;
    throw SimError("no rescinded device \"" + std::string(name_or_instance) + "\" to re-offer (rescinded: " +
                   (names.empty() ? "none" : names) + ")");
  }
  // The same instance, relid and monitor id as before (a fresh device to the
  // guest, as vmbus_device_unregister left none behind); resolve() refuses
  // them if another device took them meanwhile.
  DeviceSpec spec = resolve(config_of(*it), offered_specs(), offered_subchannels());
  rescinded.erase(std::next(it).base());
  return offer(std::move(spec));
}

void Simulator::Impl::inject_fault(Device& d, const FaultRequest& fault) {
  // A payload fault is fired by the NIC host as it builds NVSP/RNDIS
  // messages (sim/hosts/netvsc): nothing else would ever fire it.
  if (nic_payload_fault(fault.kind) && (d.spec.class_id != kNicClassGuid || d.spec.host != "netvsc")) {
    throw SimError("fault " + std::string(fault_name(fault.kind)) + " corrupts the synthetic NIC host's NVSP/RNDIS "
                   "messages, but " + d.label() + " is of class \"" + std::string(d.spec.device_class().name) +
                   "\" served by host \"" + d.spec.host + "\": name a \"network\" device served by host \"netvsc\"");
  }
  ChannelRecord* target = nullptr;
  std::string relids;
  for (const auto& c : d.channels) {
    relids += (relids.empty() ? "" : ", ") + std::to_string(c->spec.relid);
    if (fault.relid ? c->spec.relid == *fault.relid : c->spec.subchannel_id == 0) target = c.get();
  }
  if (target == nullptr) {
    throw SimError(d.label() + " has no channel with relid " + std::to_string(*fault.relid) + " (its channels: " + relids + ")");
  }
  target->faults.arm(fault);
  log().info(d.label() + " relid " + std::to_string(target->spec.relid) + ": armed fault " +
             std::string(fault_name(fault.kind)) + " x" + std::to_string(fault.count) +
             (fault.kind == FaultKind::delay_reply ? " (" + std::to_string(fault.delay_ms) + " ms)" : ""));
}

DeviceStatus Simulator::reoffer(std::string_view device) {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->started) throw SimError("the simulator is not running");
  try {
    return impl_->status_of(impl_->reoffer(device));
  } catch (const ConfigError& e) {
    throw SimError(e.what());
  }
}

void Simulator::inject_fault(std::string_view device, const FaultRequest& fault) {
  std::lock_guard lock(impl_->mutex);
  impl_->inject_fault(impl_->get(device), fault);
}

}  // namespace hvsim
