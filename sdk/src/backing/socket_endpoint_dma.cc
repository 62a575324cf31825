// SocketEndpointBacking::allocate_dma: memory the endpoint's host (hvsim)
// reaches through its own mapping of our memfd (endpoint RegisterMemory).
#include <cerrno>
#include <cstdint>
#include <string>

#include "backing_errors.h"
#include "dma_memory.h"
#include "pagemap.h"
#include "socket_endpoint_backing.h"
#include "vmbus/device/dma_region.h"
#include "vmbus/hv_page.h"

namespace vmbus::detail {

namespace {

std::string registration_error(const Error& e) {
  switch (e.code) {
    case Errc::rescinded:
      return "the device was rescinded";
    case Errc::io_error:
      switch (e.detail) {
        case EEXIST:
          return "the host refused it: it overlaps memory registered before (EEXIST)";
        case ENOSPC:
          return "the host refused it: it holds no more regions for this device (ENOSPC; hvsim keeps 64 per "
                 "open, until the device is closed): allocate fewer, larger regions";
        case ETIMEDOUT:
          return "the host did not answer RegisterMemory in time";
        case EPROTO:
          return "the host answered RegisterMemory with something else than RegisterMemoryResult (EPROTO)";
        default:
          return "the host refused it: " + errno_text(static_cast<int>(e.detail));
      }
    default:
      return e.message();
  }
}

}  // namespace

DmaRegion SocketEndpointBacking::allocate_dma(std::size_t bytes, const DmaOptions& options) {
  const std::string what = describe();
  if (interrupt_kind_ == endpoint::InterruptKind::uio) {
    // A kernel device leased through vmbusd: the host is Hyper-V, which
    // addresses guest-physical frames, as KernelUioBacking::allocate_dma.
    DmaMemory m = allocate_dma_memory(what, bytes, options, /*lock=*/true);
    std::vector<std::uint64_t> frames = physical_frames(what, m.mapping->data(), m.mapping->size());
    return DmaRegion(std::move(m.mapping), std::move(frames), DmaAddressing::physical, m.page_size);
  }
  DmaMemory m = allocate_dma_memory(what, bytes, options, /*lock=*/false);
  const auto base = reinterpret_cast<std::uintptr_t>(m.mapping->data());
  const std::size_t size = m.mapping->size();
  {
    // Kept before asking: a request that timed out may still be registered
    // by the host later, and then these addresses must not be reused.
    std::lock_guard lock(registered_mutex_);
    registered_.push_back(m.mapping);
  }
  // GPA = the address here: the host's fallback for unregistered GPAs reads
  // this process by address (IOVA = VA), so both agree on every GPA.
  if (Status s = register_memory(base, size, m.memfd.get()); !s) {
    fail("registering " + std::to_string(size) + " bytes of DMA memory at GPA " + std::to_string(base) + ": " +
         registration_error(s.error()));
  }
  std::vector<std::uint64_t> frames(size / kHvPageSize);
  for (std::size_t i = 0; i < frames.size(); ++i) frames[i] = hv_pfn(base) + i;
  // The host holds its own copy of the memfd: ours can go.
  return DmaRegion(std::move(m.mapping), std::move(frames), DmaAddressing::registered, m.page_size);
}

}  // namespace vmbus::detail
