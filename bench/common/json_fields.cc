// The shared types as JSON.
#include "common/json_fields.h"

namespace bench {

using nlohmann::ordered_json;

ordered_json machine_json(const MachineInfo& machine) {
  return {
      {"cpu_model", machine.cpu_model},   {"cores_online", machine.cores_online},   {"compiler", machine.compiler},
      {"build_type", machine.build_type}, {"boost_version", machine.boost_version},
  };
}

ordered_json summary_json(const Summary& s) {
  return {{"median", s.median}, {"min", s.min}, {"max", s.max}, {"stdev", s.stdev}, {"samples", s.values}};
}

ordered_json percentiles_json(const Percentiles& p) {
  return {{"count", p.count}, {"p50", p.p50}, {"p99", p.p99},  {"p999", p.p999},
          {"min", p.min},     {"max", p.max}, {"mean", p.mean}};
}

ordered_json optional_json(const std::optional<double>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); }

}  // namespace bench
