// File: sim/hosts/kvp/kvp_outcomes.h
//
// The results of KVP control requests, on their way from the host service
// thread that finishes them to the control request that asks for them
// (`kvp DEVICE result ID`). A request can outlive its device host (a rescind
// fails it as the host goes away, and the device is gone when the result is
// asked for), so outcomes live here, process-wide, by request id, until they
// are taken. Ids count up from 1 and are never reused in a process.
//
// Why a result is asked for instead of waited for: a control request is
// answered on hvsim's control thread, which is also the thread that carries
// the guest's signals (irqcontrol) and any other `hvsim ctl` command, such
// as a rescind. It must not block while the guest thinks.
//
// At most kKeptOutcomes finished results are kept; beyond that the oldest
// unclaimed one is forgotten. Thread-safe.
//
// Usage:
//   std::uint64_t id = hvsim::kvp_host::open_request();           // control thread: pending
//   hvsim::kvp_host::finish_request(id, result_json);              // host thread
//   hvsim::kvp_host::Outcome o = hvsim::kvp_host::take_outcome(id);  // control thread
//   if (o.state == hvsim::kvp_host::Outcome::State::pending) ...   // ask again later
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace hvsim::kvp_host {

inline constexpr std::size_t kKeptOutcomes = 1024;

struct Outcome {
  enum class State { pending, done, failed, unknown };
  State state = State::unknown;
  nlohmann::json result;  // done
  std::string error;      // failed
};

std::uint64_t open_request();
// The first finish or fail of an id counts; later ones (and unknown ids) are ignored.
void finish_request(std::uint64_t id, nlohmann::json result);
void fail_request(std::uint64_t id, std::string error);
// done and failed outcomes are removed once taken; pending ones stay.
Outcome take_outcome(std::uint64_t id);

}  // namespace hvsim::kvp_host
