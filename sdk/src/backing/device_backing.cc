// DeviceBacking's defaults for what a provider may not offer
// (vmbus/backing/device_backing.h).
#include "vmbus/backing/device_backing.h"

#include "backing_errors.h"
#include "vmbus/channel/counters_table.h"
#include "vmbus/device/dma_region.h"

namespace vmbus {

DmaRegion DeviceBacking::allocate_dma(std::size_t bytes, const DmaOptions&) {
  detail::throw_device_error(describe(), "cannot allocate DMA memory (" + std::to_string(bytes) +
                                             " bytes): this provider offers no memory the host can address by GPA");
}

CountersTable DeviceBacking::share_counters(std::uint32_t) noexcept { return {}; }

}  // namespace vmbus
