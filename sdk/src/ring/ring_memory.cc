// RingMemory: geometry checks and hv_ringbuffer_init.
#include "vmbus/ring/ring_memory.h"

#include <cstring>

#include "vmbus/hv_page.h"

namespace vmbus {

Result<RingMemory> RingMemory::from(std::span<std::byte> ring) {
  const auto address = reinterpret_cast<std::uintptr_t>(ring.data());
  if (address % 8 != 0) return Error{Errc::invalid_argument, address};
  // The data area is whole 4 KiB pages (OpenVMM: "ring size must be a multiple
  // of 4 KiB"); the kernel sizes it as VMBUS_RING_SIZE() minus the header.
  if (ring.size() % kHvPageSize != 0 || ring.size() < 2 * kHvPageSize ||
      ring.size() - kRingHeaderSize > kRingMaxDataSize) {
    return Error{Errc::invalid_argument, ring.size()};
  }
  return RingMemory(ring.data(), static_cast<std::uint32_t>(ring.size() - kRingHeaderSize));
}

void RingMemory::initialize() noexcept {
  // Plain stores: nobody else is using the ring yet.
  std::memset(header_, 0, kRingHeaderSize);
  const std::uint32_t features = kRingFeaturePendingSendSize;
  std::memcpy(header_ + kFeatures, &features, sizeof features);
}

}  // namespace vmbus
