// Subchannel offers asked for by device hosts, on their way to the control
// thread. A device host calls DeviceHost::offer_subchannels on its host
// service thread, which must not wait for the Simulator's mutex (the
// control thread may hold it while it joins that very thread: unbind,
// rescind). So the request is queued here and the control thread, woken
// through fd() in its EventLoop, makes the offers under its mutex.
//
// post() takes a small lock of its own for a moment (no I/O under it) and
// writes the eventfd; it is called once per SUBCH_REQ, never per packet.
//
// Usage:
//   hvsim::SubchannelRequests requests;                       // throws on eventfd failure
//   loop.add(requests.fd(), EPOLLIN, [&](std::uint32_t) { for (auto& r : requests.take()) offer(r); });
//   requests.post({instance, open_id, 1, 3});                 // any thread
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "hvsim/guid.h"
#include "unique_fd.h"

namespace hvsim {

struct SubchannelRequest {
  Guid instance;               // the device
  std::uint64_t open_id = 0;   // the open it was asked in (EndpointServer::open_id)
  std::uint32_t first = 0;     // subchannel_id of the first to offer (1 = the first subchannel)
  std::uint32_t count = 0;
};

class SubchannelRequests {
 public:
  SubchannelRequests();  // throws std::runtime_error
  SubchannelRequests(const SubchannelRequests&) = delete;
  SubchannelRequests& operator=(const SubchannelRequests&) = delete;

  // Any thread. Throws std::bad_alloc only.
  void post(const SubchannelRequest& request);
  // The control thread, when fd() is readable: everything posted so far.
  std::vector<SubchannelRequest> take();
  int fd() const noexcept { return event_.get(); }

 private:
  UniqueFd event_;
  std::mutex mutex_;
  std::vector<SubchannelRequest> queue_;
};

}  // namespace hvsim
