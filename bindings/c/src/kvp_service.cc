// vmbus_kvp_service: kvp::Service (drivers/kvp/include/kvp/service.h) on a
// claimed KVP device, and its pool calls (hv_kvp_daemon's pool files).
#include <chrono>
#include <string>

#include "c_api.h"

namespace {

int null_service(const char* what) { return vmbus_c::fail(-EINVAL, std::string(what) + ": service is NULL"); }

bool valid_pool(int pool) { return pool >= 0 && pool < kvp::kPoolCount; }

}  // namespace

extern "C" int vmbus_kvp_service_open(vmbus_bus* bus, const char* selector, const vmbus_kvp_options* options,
                                      vmbus_kvp_service** out) {
  constexpr const char* what = "vmbus_kvp_service_open";
  return vmbus_c::guarded(what, [&] {
    if (out == nullptr) return vmbus_c::fail(-EINVAL, "vmbus_kvp_service_open: out is NULL");
    *out = nullptr;
    vmbus_kvp_options o;
    if (!vmbus_c::read_options(options, sizeof(vmbus_kvp_options), o, what)) return -EINVAL;
    auto handle = std::make_unique<vmbus_kvp_service>();
    vmbus::DeviceInfo info;
    if (int rc = vmbus_c::find_and_claim(bus, selector ? selector : "kvp", o.flags, 0, handle->claim, info, what);
        rc < 0) {
      return rc;
    }
    kvp::ServiceOptions service_options;
    if (o.pool_directory != nullptr && *o.pool_directory != '\0') service_options.pool_directory = o.pool_directory;
    service_options.poll_mode = o.poll_mode != 0;
    handle->service = kvp::Service::open(info, service_options);
    *out = handle.release();
    return 0;
  });
}

extern "C" void vmbus_kvp_service_close(vmbus_kvp_service* service) {
  if (service == nullptr) return;
  service->service.reset();  // before the claim is released
  delete service;
}

extern "C" int vmbus_kvp_service_poll(vmbus_kvp_service* service, uint32_t timeout_ms) {
  return vmbus_c::guarded("vmbus_kvp_service_poll", [&] {
    if (service == nullptr) return null_service("vmbus_kvp_service_poll");
    const vmbus::Result<std::uint32_t> n = service->service->poll(std::chrono::milliseconds(timeout_ms));
    if (!n) return vmbus_c::from_error(n.error(), "vmbus_kvp_service_poll");
    return static_cast<int>(std::min<std::uint32_t>(*n, INT32_MAX));
  });
}

extern "C" int vmbus_kvp_service_run(vmbus_kvp_service* service) {
  return vmbus_c::guarded("vmbus_kvp_service_run", [&] {
    if (service == nullptr) return null_service("vmbus_kvp_service_run");
    return vmbus_c::from_status(service->service->run(), "vmbus_kvp_service_run");
  });
}

extern "C" int vmbus_kvp_service_stop(vmbus_kvp_service* service) {
  if (service == nullptr) return null_service("vmbus_kvp_service_stop");
  service->service->stop();
  return 0;
}

extern "C" int vmbus_kvp_set(vmbus_kvp_service* service, const char* key, const char* value) {
  return vmbus_c::guarded("vmbus_kvp_set", [&] {
    if (service == nullptr || key == nullptr || value == nullptr) {
      return vmbus_c::fail(-EINVAL, "vmbus_kvp_set: NULL argument");
    }
    const auto r = service->service->set(key, value);
    return r ? 0 : vmbus_c::from_pool_error(r.error(), "vmbus_kvp_set");
  });
}

extern "C" int vmbus_kvp_remove(vmbus_kvp_service* service, const char* key) {
  return vmbus_c::guarded("vmbus_kvp_remove", [&] {
    if (service == nullptr || key == nullptr) return vmbus_c::fail(-EINVAL, "vmbus_kvp_remove: NULL argument");
    const auto r = service->service->remove(key);
    if (!r) return vmbus_c::from_pool_error(r.error(), "vmbus_kvp_remove");
    if (r->change == kvp::pool::Change::not_found) {
      return vmbus_c::fail(-ENOENT, std::string("vmbus_kvp_remove: no key \"") + key + "\" in the guest pool");
    }
    return 0;
  });
}

extern "C" int vmbus_kvp_get(const vmbus_kvp_service* service, int pool, const char* key, char* value,
                             size_t capacity) {
  return vmbus_c::guarded("vmbus_kvp_get", [&] {
    if (service == nullptr || key == nullptr || (value == nullptr && capacity != 0)) {
      return vmbus_c::fail(-EINVAL, "vmbus_kvp_get: NULL argument");
    }
    if (!valid_pool(pool)) return vmbus_c::fail(-EINVAL, "vmbus_kvp_get: pool " + std::to_string(pool) + " is not 0..4");
    const auto r = service->service->get(static_cast<kvp::Pool>(pool), key);
    if (!r) return vmbus_c::from_pool_error(r.error(), "vmbus_kvp_get");
    if (!r->value) {
      return vmbus_c::fail(-ENOENT, std::string("vmbus_kvp_get: no key \"") + key + "\" in pool " +
                                        std::to_string(pool));
    }
    const std::string& v = *r->value;
    if (capacity < v.size() + 1) {
      return vmbus_c::fail(-ERANGE, "vmbus_kvp_get: the value needs " + std::to_string(v.size() + 1) +
                                        " bytes with its NUL, the buffer has " + std::to_string(capacity));
    }
    std::memcpy(value, v.c_str(), v.size() + 1);
    return static_cast<int>(v.size());
  });
}

extern "C" int vmbus_kvp_list(const vmbus_kvp_service* service, int pool, vmbus_kvp_entry_fn fn, void* context) {
  return vmbus_c::guarded("vmbus_kvp_list", [&] {
    if (service == nullptr || fn == nullptr) return vmbus_c::fail(-EINVAL, "vmbus_kvp_list: NULL argument");
    if (!valid_pool(pool)) return vmbus_c::fail(-EINVAL, "vmbus_kvp_list: pool " + std::to_string(pool) + " is not 0..4");
    const auto r = service->service->list(static_cast<kvp::Pool>(pool));
    if (!r) return vmbus_c::from_pool_error(r.error(), "vmbus_kvp_list");
    int visited = 0;
    for (const kvp::pool::Entry& e : r->entries) {
      ++visited;
      if (fn(context, e.key.c_str(), e.value.c_str()) != 0) break;
    }
    return visited;
  });
}
