// Request outcomes by id, until taken.
#include "kvp_outcomes.h"

#include <map>
#include <mutex>

namespace hvsim::kvp_host {
namespace {

struct Outcomes {
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, Outcome> by_id;  // ids increase: the first finished one is the oldest
  std::size_t finished = 0;
};

Outcomes& outcomes() {
  static Outcomes o;
  return o;
}

void settle(std::uint64_t id, Outcome outcome) {
  Outcomes& o = outcomes();
  std::lock_guard lock(o.mutex);
  auto it = o.by_id.find(id);
  if (it == o.by_id.end() || it->second.state != Outcome::State::pending) return;
  it->second = std::move(outcome);
  if (++o.finished <= kKeptOutcomes) return;
  for (auto old = o.by_id.begin(); old != o.by_id.end(); ++old) {
    if (old->second.state != Outcome::State::pending) {
      o.by_id.erase(old);
      --o.finished;
      return;
    }
  }
}

}  // namespace

std::uint64_t open_request() {
  Outcomes& o = outcomes();
  std::lock_guard lock(o.mutex);
  const std::uint64_t id = o.next_id++;
  o.by_id[id].state = Outcome::State::pending;
  return id;
}

void finish_request(std::uint64_t id, nlohmann::json result) {
  settle(id, Outcome{Outcome::State::done, std::move(result), {}});
}

void fail_request(std::uint64_t id, std::string error) {
  settle(id, Outcome{Outcome::State::failed, nullptr, std::move(error)});
}

Outcome take_outcome(std::uint64_t id) {
  Outcomes& o = outcomes();
  std::lock_guard lock(o.mutex);
  auto it = o.by_id.find(id);
  if (it == o.by_id.end()) return Outcome{};
  if (it->second.state == Outcome::State::pending) return Outcome{Outcome::State::pending, nullptr, {}};
  Outcome taken = std::move(it->second);
  o.by_id.erase(it);
  --o.finished;
  return taken;
}

}  // namespace hvsim::kvp_host
