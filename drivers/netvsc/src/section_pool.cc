// The per-queue send-section stacks (section_pool.h).
#include "section_pool.h"

namespace netvsc::internal {

void SectionPool::assign(std::uint32_t first, std::uint32_t count) {
  free_.assign(count, 0);
  // Lowest index on top: sections are handed out in order, which keeps the
  // first sends of a queue in neighbouring memory.
  for (std::uint32_t i = 0; i < count; ++i) free_[i] = first + (count - 1 - i);
  top_ = count;
  first_ = first;
  count_ = count;
}

bool SectionPool::give(std::uint32_t index) noexcept {
  if (index < first_ || index - first_ >= count_ || top_ == count_) return false;
  free_[top_++] = index;
  return true;
}

SectionSlice section_slice(std::uint32_t sections, std::uint32_t queues, std::uint32_t queue) noexcept {
  if (queues == 0 || queue >= queues) return {};
  const std::uint32_t base = sections / queues;
  const std::uint32_t extra = sections % queues;
  const std::uint32_t first = queue * base + (queue < extra ? queue : extra);
  return {first, base + (queue < extra ? 1u : 0u)};
}

}  // namespace netvsc::internal
