// KvpShared: the queue, the state the host publishes, counters; the registry by instance.
#include "kvp_shared.h"

#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "host_registry.h"
#include "kvp_outcomes.h"

namespace hvsim::kvp_host {
namespace {

HostRegistry<KvpShared>& registry() {
  static HostRegistry<KvpShared> r;
  return r;
}

}  // namespace

const char* counter_name(KvpCounter c) noexcept {
  switch (c) {
    case KvpCounter::requests_sent: return "requests_sent";
    case KvpCounter::replies: return "replies";
    case KvpCounter::failures: return "failures";
    case KvpCounter::malformed_replies: return "malformed_replies";
    case KvpCounter::timeouts: return "timeouts";
    case KvpCounter::unexpected_replies: return "unexpected_replies";
    case KvpCounter::kCount: break;
  }
  return "?";
}

const char* state_name(Negotiation::State s) noexcept {
  switch (s) {
    case Negotiation::State::not_sent: return "not_sent";
    case Negotiation::State::waiting: return "waiting";
    case Negotiation::State::done: return "done";
    case Negotiation::State::no_common_version: return "no_common_version";
    case Negotiation::State::failed: return "failed";
  }
  return "?";
}

std::uint64_t KvpShared::submit(Operation op) {
  std::lock_guard lock(mutex_);
  if (closed_) {
    throw KvpError("device \"" + device_ + "\" was " + (closing_reason_.empty() ? "closed" : closing_reason_) +
                   ": its KVP host is gone (the guest must have it open)");
  }
  if (negotiation_.state == Negotiation::State::no_common_version) {
    throw KvpError("device \"" + device_ + "\": the guest found no common IC version in the host's offer (it answered 0/0): "
                   "no KVP request can be sent until the guest opens the device again");
  }
  if (negotiation_.state == Negotiation::State::failed) {
    throw KvpError("device \"" + device_ + "\": version negotiation failed (" + negotiation_.detail +
                   "): no KVP request can be sent until the guest opens the device again");
  }
  if (queue_.size() + waiting_ >= kMaxQueuedOperations) {
    throw KvpError("device \"" + device_ + "\": " + std::to_string(kMaxQueuedOperations) +
                   " KVP requests are already waiting for the guest; try again later");
  }
  op.id = open_request();
  op.submitted = std::chrono::steady_clock::now();
  const std::uint64_t id = op.id;
  queue_.push_back(std::move(op));
  return id;
}

void KvpShared::note_closing(std::string why) {
  std::lock_guard lock(mutex_);
  if (!closed_) closing_reason_ = std::move(why);
}

std::deque<Operation> KvpShared::take_queued() {
  std::lock_guard lock(mutex_);
  return std::exchange(queue_, {});
}

std::deque<Operation> KvpShared::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  current_.clear();
  waiting_ = 0;
  return std::exchange(queue_, {});
}

std::string KvpShared::closing_reason() const {
  std::lock_guard lock(mutex_);
  return closing_reason_;
}

void KvpShared::set_negotiation(Negotiation n) {
  std::lock_guard lock(mutex_);
  negotiation_ = std::move(n);
}

Negotiation KvpShared::negotiation() const {
  std::lock_guard lock(mutex_);
  return negotiation_;
}

void KvpShared::set_activity(std::string current, std::size_t waiting) {
  std::lock_guard lock(mutex_);
  current_ = std::move(current);
  waiting_ = waiting;
}

nlohmann::json KvpShared::counters_json() const {
  nlohmann::json j;
  for (std::size_t i = 0; i < static_cast<std::size_t>(KvpCounter::kCount); ++i) {
    j[counter_name(static_cast<KvpCounter>(i))] = counters_[i].load(std::memory_order_relaxed);
  }
  return j;
}

nlohmann::json KvpShared::to_json() const {
  nlohmann::json j;
  j["device"] = device_;
  j["open"] = true;
  {
    std::lock_guard lock(mutex_);
    nlohmann::json n;
    n["state"] = state_name(negotiation_.state);
    if (negotiation_.state == Negotiation::State::done) {
      n["framework"] = ic_version_text(negotiation_.framework);
      n["kvp"] = ic_version_text(negotiation_.kvp);
    }
    if (!negotiation_.detail.empty()) n["detail"] = negotiation_.detail;
    j["negotiation"] = std::move(n);
    j["busy"] = !current_.empty();
    j["current"] = current_.empty() ? nlohmann::json(nullptr) : nlohmann::json(current_);
    j["queued"] = queue_.size() + waiting_;
    j["closed"] = closed_;
  }
  nlohmann::json offered;
  offered["framework_versions"] = nlohmann::json::array();
  for (IcVersion v : config_.framework_versions) offered["framework_versions"].push_back(ic_version_text(v));
  offered["kvp_versions"] = nlohmann::json::array();
  for (IcVersion v : config_.kvp_versions) offered["kvp_versions"].push_back(ic_version_text(v));
  j["offered"] = std::move(offered);
  j["timeout_ms"] = config_.timeout_ms;
  j["counters"] = counters_json();
  return j;
}

std::shared_ptr<KvpShared> attach_kvp(const Guid& instance, std::string device, const KvpConfig& config) {
  auto shared = std::make_shared<KvpShared>(std::move(device), config);
  registry().attach(instance, shared);
  return shared;
}

std::shared_ptr<KvpShared> find_kvp(const Guid& instance) {
  return registry().find(instance);
}

}  // namespace hvsim::kvp_host
