// File: bench/common/json_fields.h
//
// How the types every benchmark shares appear in its --json output, so that
// all benchmarks' files read alike: the machine, a Summary of repetitions, the
// Percentiles of latencies, and an optional ratio (null when a row is missing).
//
// Usage:
//   nlohmann::ordered_json j;
//   j["machine"] = bench::machine_json(bench::describe_machine());
//   j["mpps"] = bench::summary_json(row.mpps());  // {"median", "min", "max", "stdev", "samples"}
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "common/machine_info.h"
#include "common/statistics.h"

namespace bench {

// {"cpu_model", "cores_online", "compiler", "build_type", "boost_version"}.
nlohmann::ordered_json machine_json(const MachineInfo& machine);
// {"median", "min", "max", "stdev", "samples": [...]}.
nlohmann::ordered_json summary_json(const Summary& s);
// {"count", "p50", "p99", "p999", "min", "max", "mean"}.
nlohmann::ordered_json percentiles_json(const Percentiles& p);
// The value, or null.
nlohmann::ordered_json optional_json(const std::optional<double>& v);

}  // namespace bench
