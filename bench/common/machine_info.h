// File: bench/common/machine_info.h
//
// The machine and the build a benchmark ran on, stated in every report's
// header and JSON so that a number can be traced to where it came from: the
// CPU model (and whether it is virtualized), the CPUs online, the compiler,
// the CMake configuration, Boost and the SDK's version.
//
// Usage:
//   const bench::MachineInfo machine = bench::describe_machine();
//   std::printf("machine : %s, %ld cores online\n", machine.cpu_model.c_str(), machine.cores_online);
#pragma once

#include <string>

namespace bench {

struct MachineInfo {
  std::string cpu_model;   // /proc/cpuinfo "model name", family/model, ", virtualized"
  long cores_online = 0;   // sysconf(_SC_NPROCESSORS_ONLN)
  std::string compiler;    // __VERSION__
  std::string build_type;  // CMake configuration (VMBUS_BENCH_BUILD_TYPE)
  std::string boost_version;
  std::string sdk_version;  // VMBUS_BENCH_SDK_VERSION
};

MachineInfo describe_machine();

}  // namespace bench
