// MappedRegion: a shared mapping unmapped on destruction (vmbus/backing/device_backing.h).
#include <sys/mman.h>

#include <utility>

#include "vmbus/backing/device_backing.h"

namespace vmbus {

MappedRegion::MappedRegion(MappedRegion&& other) noexcept
    : address_(std::exchange(other.address_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedRegion& MappedRegion::operator=(MappedRegion&& other) noexcept {
  if (this != &other) {
    MappedRegion old(std::move(*this));  // unmapped when `old` goes
    address_ = std::exchange(other.address_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedRegion::~MappedRegion() {
  // munmap of a mapping we made can only fail on bad arguments; nothing to
  // report from a destructor.
  if (address_ != nullptr) ::munmap(address_, size_);
}

}  // namespace vmbus
