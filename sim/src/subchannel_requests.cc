// SubchannelRequests: a locked vector and an eventfd.
#include "subchannel_requests.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <utility>

#include "fs_util.h"

namespace hvsim {

SubchannelRequests::SubchannelRequests() : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!event_) throw std::runtime_error("eventfd for subchannel requests: " + fs::errno_text(errno));
}

void SubchannelRequests::post(const SubchannelRequest& request) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(request);
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(event_.get(), &one, sizeof one);
}

std::vector<SubchannelRequest> SubchannelRequests::take() {
  std::uint64_t drained;
  [[maybe_unused]] const ssize_t n = ::read(event_.get(), &drained, sizeof drained);
  std::lock_guard lock(mutex_);
  return std::exchange(queue_, {});
}

}  // namespace hvsim
