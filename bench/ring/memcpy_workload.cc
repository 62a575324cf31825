// memcpy doing the ring benchmark's copying, without any queue.
#include "ring/memcpy_workload.h"

#include <atomic>
#include <cstring>
#include <vector>

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

// Keeps the compiler from dropping stores nobody reads back.
inline void clobber(const void* p) noexcept { __asm__ __volatile__("" : : "r"(p) : "memory"); }

}  // namespace

Sample run_memcpy(const CpuPlan& plan, std::uint32_t payload, std::size_t area_bytes,
                  std::chrono::milliseconds duration) {
  std::vector<std::byte> source(payload, std::byte{0x5a});
  std::vector<std::byte> area(area_bytes, std::byte{0});  // written once: no page faults while timed
  Sample result;

  auto copier = [&](const std::atomic<bool>& stop) {
    std::uint64_t copies = 0;
    std::size_t offset = 0;
    const auto start = Clock::now();
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 16; ++i) {
        if (offset + payload > area_bytes) offset = 0;
        std::memcpy(area.data() + offset, source.data(), payload);
        clobber(area.data() + offset);
        offset += payload;
      }
      copies += 16;
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    result.packets = copies;
  };

  run_workers(plan, duration, {copier});
  result.payload_bytes = result.packets * payload;
  return result;
}

}  // namespace bench
