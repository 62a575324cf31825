// File: sim/src/host_registry.h (internal)
//
// What a running device host shares with hvsim's control thread (the NIC's
// counters and link requests, the KVP host's request queue), found by the
// device's instance GUID. One entry per open of the device: the host keeps
// the shared_ptr for as long as it lives, the registry only a weak_ptr, so a
// closed device's entry finds nothing.
//
// Usage:
//   HostRegistry<NicShared>& nics();                            // one per kind
//   nics().attach(instance, shared);                            // host side, on open
//   if (std::shared_ptr<NicShared> n = nics().find(instance)) n->request_link(...);  // control side
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "hvsim/guid.h"

namespace hvsim {

template <typename Shared>
class HostRegistry {
 public:
  void attach(const Guid& instance, const std::shared_ptr<Shared>& shared) {
    std::lock_guard lock(mutex_);
    hosts_[instance] = shared;
  }
  std::shared_ptr<Shared> find(const Guid& instance) const {
    std::lock_guard lock(mutex_);
    auto it = hosts_.find(instance);
    return it == hosts_.end() ? nullptr : it->second.lock();
  }

 private:
  mutable std::mutex mutex_;
  std::map<Guid, std::weak_ptr<Shared>> hosts_;
};

}  // namespace hvsim
