// File: sim/hosts/kvp/kvp_shared.h
//
// What the KVP host shares with hvsim's control thread, one KvpShared per
// open of a KVP device, registered by instance GUID while the device host
// lives (as the NIC host's NicShared is): the operations `hvsim ctl kvp`
// queued, the negotiation's state, what the host is busy with, and the
// counters `hvsim ctl stats` and `kvp DEVICE status` show. The queue and
// the state are under a mutex (a few operations a second, never the data
// path); the counters are relaxed atomics.
//
// Closing: when the device closes (the guest's last close, a rescind, an
// unbind) the host takes back everything queued and fails it; from then on
// submit() refuses, so no request is left waiting for a host that is gone.
// The control thread says why it is closing (note_closing("rescinded"))
// before a rescind or unbind, so the failures can say so.
//
// Usage (control thread):
//   auto k = hvsim::kvp_host::find_kvp(instance);              // nullptr: no guest has it open
//   std::uint64_t id = k->submit(parse_operation("get", {"Location"}, k->config().timeout_ms));
// Usage (host thread):
//   auto shared = hvsim::kvp_host::attach_kvp(spec.instance, spec.kvp);
//   for (Operation& op : shared->take_queued()) waiting.push_back(std::move(op));
//   shared->add(KvpCounter::requests_sent);
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "hvsim/config.h"
#include "hvsim/guid.h"
#include "kvp_operation.h"

namespace hvsim::kvp_host {

enum class KvpCounter : std::uint8_t {
  requests_sent,       // KVP requests written to the guest (NEGOTIATE not included)
  replies,             // replies to them that were used (well-formed, matching trans_id)
  failures,            // control requests that failed: timeouts, malformed replies, no version, closed
  malformed_replies,   // guest packets that broke the protocol while an answer was awaited
  timeouts,            // requests the guest did not answer in time (and requests that waited too long to be sent)
  unexpected_replies,  // well-framed packets answering nothing outstanding (a late reply after a timeout)
  kCount,
};
const char* counter_name(KvpCounter c) noexcept;

// The IC version negotiation as the host last saw it.
struct Negotiation {
  enum class State { not_sent, waiting, done, no_common_version, failed };
  State state = State::not_sent;
  IcVersion framework{};  // done: what the guest chose
  IcVersion kvp{};
  std::string detail;     // failed: the malformed answer, in the protocol library's words
};
const char* state_name(Negotiation::State s) noexcept;

// Operations a device holds at most (queued and in flight).
inline constexpr std::size_t kMaxQueuedOperations = 64;

class KvpShared {
 public:
  KvpShared(std::string device, const KvpConfig& config) : device_(std::move(device)), config_(config) {}

  const std::string& device() const noexcept { return device_; }  // "kvp", for messages
  const KvpConfig& config() const noexcept { return config_; }

  // --- Control thread ---
  // Queues `op` under a new request id (kvp_outcomes.h) and returns the id.
  // Throws KvpError when the device closed, negotiation already failed, or
  // kMaxQueuedOperations are waiting.
  std::uint64_t submit(Operation op);
  void note_closing(std::string why);
  // status: negotiation, offered versions, busy/idle, queued, counters.
  nlohmann::json to_json() const;
  nlohmann::json counters_json() const;

  // --- Host thread ---
  std::deque<Operation> take_queued();
  // Refuses submits from now on and returns what was still queued.
  std::deque<Operation> close();
  std::string closing_reason() const;  // "" unless the control thread noted one
  void set_negotiation(Negotiation n);
  Negotiation negotiation() const;
  // What the host serves now ("" when idle) and how many it holds waiting.
  void set_activity(std::string current, std::size_t waiting);

  void add(KvpCounter c, std::uint64_t n = 1) noexcept {
    counters_[static_cast<std::size_t>(c)].fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t get(KvpCounter c) const noexcept {
    return counters_[static_cast<std::size_t>(c)].load(std::memory_order_relaxed);
  }

 private:
  const std::string device_;
  const KvpConfig config_;
  mutable std::mutex mutex_;
  std::deque<Operation> queue_;
  bool closed_ = false;
  std::string closing_reason_;
  Negotiation negotiation_;
  std::string current_;
  std::size_t waiting_ = 0;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(KvpCounter::kCount)> counters_{};
};

// A fresh KvpShared for a new open of the device (replaces the last one).
std::shared_ptr<KvpShared> attach_kvp(const Guid& instance, std::string device, const KvpConfig& config);
// The KVP host of an open device; nullptr when none is open.
std::shared_ptr<KvpShared> find_kvp(const Guid& instance);

}  // namespace hvsim::kvp_host
