// The machine and the build, from /proc/cpuinfo, sysconf and the compiler.
#include "common/machine_info.h"

#include <unistd.h>

#include <boost/version.hpp>
#include <fstream>

namespace bench {
namespace {

#ifndef VMBUS_BENCH_BUILD_TYPE
#define VMBUS_BENCH_BUILD_TYPE "unknown"
#endif
#ifndef VMBUS_BENCH_SDK_VERSION
#define VMBUS_BENCH_SDK_VERSION "unknown"
#endif

// "AMD EPYC (family 26, model 2), virtualized" from /proc/cpuinfo's first CPU.
std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::string name;
  std::string family;
  std::string model;
  bool virtualized = false;
  auto value = [&line] {
    const auto colon = line.find(':');
    const auto start = colon == std::string::npos ? std::string::npos : line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? std::string() : line.substr(start);
  };
  while (std::getline(in, line)) {
    if (line.empty()) break;  // end of the first CPU's block
    // x86: "model name"; arm64 kernels have no model name, only "CPU part".
    if (line.rfind("model name", 0) == 0 || (name.empty() && line.rfind("Model", 0) == 0)) name = value();
    if (line.rfind("cpu family", 0) == 0) family = value();
    if (line.rfind("model\t", 0) == 0) model = value();
    if (line.rfind("flags", 0) == 0) virtualized = (value() + " ").find(" hypervisor ") != std::string::npos;
  }
  std::string text = name.empty() ? "unknown CPU" : name;
  if (!family.empty()) text += " (family " + family + ", model " + model + ")";
  if (virtualized) text += ", virtualized";
  return text;
}

}  // namespace

MachineInfo describe_machine() {
  return {
      .cpu_model = cpu_model(),
      .cores_online = sysconf(_SC_NPROCESSORS_ONLN),
#if defined(__clang__)
      .compiler = "clang " __VERSION__,
#elif defined(__GNUC__)
      .compiler = "GCC " __VERSION__,
#else
      .compiler = __VERSION__,
#endif
      .build_type = VMBUS_BENCH_BUILD_TYPE,
      .boost_version = BOOST_LIB_VERSION,
      .sdk_version = VMBUS_BENCH_SDK_VERSION,
  };
}

}  // namespace bench
