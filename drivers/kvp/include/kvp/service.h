// File: kvp/service.h
//
// The KVP service: Hyper-V's key/value exchange with the host, as a
// user-space VMBus driver on the public SDK, able to replace or sit beside
// Linux's hv_kvp_daemon. It opens the KVP device (bound to uio_hv_generic),
// answers the host's version negotiation and requests exactly as hv_kvp.c and
// hv_kvp_daemon do, and keeps the five pools in the daemon's own files
// (kvp/pool/pool_store.h), so both see the same keys.
//
// The KVP channel has no monitor id: the SDK signals the host through
// irqcontrol. KVP is a slow path, so the service sleeps on interrupts by
// default; `poll_mode` makes it spin instead (lowest latency, one core).
//
// Appliances use the pools through the service (or through a PoolStore of
// their own, which works without the device): set, get, remove and list
// their keys in the guest pool, read what the host wrote in the external
// pool, and register a callback for the host's changes.
//
// Threads: run() (or poll()) on one thread; stop(), the pool calls and
// stats() from any thread. Callbacks run on the serving thread.
//
// Usage:
//   vmbus::DeviceInfo kvp = vmbus::find_device(vmbus::SysfsRoot(), "kvp");
//   kvp::ServiceOptions options;
//   options.hooks.on_host_change = [](const kvp::HostChange& c) { log(c.key); };
//   auto service = kvp::Service::open(kvp, options);
//   (void)service->set("ApplianceRole", "edge-router");  // the guest pool: the host reads it
//   std::thread t([&] { (void)service->run(); });
//   ...
//   service->stop();
//   t.join();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kvp/pool/pool_store.h"
#include "kvp/protocol/negotiate.h"
#include "kvp/protocol/requests.h"
#include "kvp/sysinfo/system_paths.h"
#include "vmbus/device/device_info.h"
#include "vmbus/result.h"

namespace kvp {

// A key the host set or deleted (value nullopt), in any pool.
struct HostChange {
  Pool pool = Pool::external;
  std::string key;
  std::optional<std::string> value;
};

struct ServiceHooks {
  // After the host's SET or DELETE was stored.
  std::function<void(const HostChange&)> on_host_change;
  // SET_IP_INFO for `interface` (found from the request's adapter GUID):
  // apply it and return HV_S_OK, or an HRESULT (kvp::ic::kHvEFail...).
  // Unset: the request is answered HV_E_FAIL.
  std::function<std::uint32_t(const std::string& interface, const IpInfo& info)> set_ip_info;
  // Something the host sent was malformed, or a pool file was damaged: one
  // line naming what and where. Unset: dropped (counted in stats()).
  std::function<void(const std::string& line)> log;
};

// Requests answered, by operation (kvp::Operation as the index), and the
// rest; relaxed counters, readable from any thread.
struct ServiceStats {
  std::atomic<std::uint64_t> negotiations{0};
  std::atomic<std::uint64_t> requests[kOperationCount]{};
  std::atomic<std::uint64_t> failed{0};     // answered with a status other than HV_S_OK / HV_S_CONT
  std::atomic<std::uint64_t> malformed{0};  // packets or requests that did not parse
  std::atomic<std::uint64_t> pool_problems{0};  // damaged records or files seen (reported through log)
};

struct ServiceOptions {
  std::filesystem::path pool_directory = pool::kDefaultDirectory;
  bool poll_mode = false;
  ServiceHooks hooks;
  // The versions offered in negotiation, best first (Linux's by default).
  std::span<const ic::Version> framework_versions = ic::kGuestFrameworkVersions;
  std::span<const ic::Version> kvp_versions = ic::kGuestKvpVersions;
  // Where the running system is read from (tests point these elsewhere,
  // e.g. sysinfo::SystemPaths::under(fixture_root)).
  sysinfo::SystemPaths system_paths;
};

class Service {
 public:
  // Opens the KVP device (bound to uio_hv_generic) and creates the pool
  // files that are missing. Throws vmbus::DeviceError naming what failed.
  static std::unique_ptr<Service> open(const vmbus::DeviceInfo& device, ServiceOptions options = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Answers what the host sent, waiting up to `timeout` for it (on an
  // interrupt, or spinning in poll mode). Returns the packets answered.
  // Errors: rescinded (the host took the device away), or the channel's.
  vmbus::Result<std::uint32_t> poll(std::chrono::milliseconds timeout);
  // poll() until stop() or an error (a rescind ends it with Errc::rescinded).
  vmbus::Status run();
  void stop() noexcept { stop_.store(true, std::memory_order_relaxed); }

  // The versions the host and we settled on, once negotiated.
  std::optional<ic::NegotiatedVersions> versions() const;
  const ServiceStats& stats() const noexcept;

  // ---- The appliance's API (any thread; the files are locked) ---------------
  // The guest pool (KVP_POOL_GUEST): what the appliance publishes to the host.
  pool::PoolResult<pool::Update> set(std::string_view key, std::string_view value);
  pool::PoolResult<pool::Update> remove(std::string_view key);
  // Any pool: Pool::external holds what the host wrote.
  pool::PoolResult<pool::Lookup> get(Pool pool, std::string_view key) const;
  pool::PoolResult<pool::Listing> list(Pool pool) const;
  const pool::PoolStore& pools() const noexcept;

 private:
  struct State;
  explicit Service(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
  std::atomic<bool> stop_{false};
};

}  // namespace kvp
