// KernelUioBacking::allocate_dma: guest-physical memory for GPA-direct
// packets on a real Hyper-V guest. uio_hv_generic has no DMA API of its own:
// lock the memory so it stays resident, then read each page's frame once.
// DPDK does the same for its hugepages in IOVA-as-PA mode (rte_mem_virt2phy
// reads /proc/self/pagemap), and its netvsc names mbufs by those addresses
// (hn_xmit_sg: rte_mbuf_data_iova).
#include "dma_memory.h"
#include "kernel_uio_backing.h"
#include "pagemap.h"

namespace vmbus::detail {

DmaRegion KernelUioBacking::allocate_dma(std::size_t bytes, const DmaOptions& options) {
  const std::string what = describe();
  DmaMemory m = allocate_dma_memory(what, bytes, options, /*lock=*/true);
  std::vector<std::uint64_t> frames = physical_frames(what, m.mapping->data(), m.mapping->size());
  // The memfd is only the allocator here: the mapping keeps the pages.
  return DmaRegion(std::move(m.mapping), std::move(frames), DmaAddressing::physical, m.page_size);
}

}  // namespace vmbus::detail
