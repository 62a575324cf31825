// The endpoint of one device bound to uio_hv_generic: a SOCK_SEQPACKET UNIX
// socket at DIR/dev/uioN speaking vmbus/backing/endpoint_protocol.h, standing
// in for the kernel's /dev/uioN:
//   connect + Hello   -> open(): the first open connects the ring
//                        (vmbus_connect_ring -> hv_ringbuffer_init zeroes both
//                        headers, feature_bits = 1), the host service thread
//                        starts, and DeviceReply carries the maps' memfds and
//                        the interrupt eventfd
//   IrqControl{v}     -> write(fd, &v): hv_uio_irqcontrol
//   RegisterMemory    -> hvsim only: a memfd the host may address by GPA
//   disconnect        -> the last close(): vmbus_disconnect_ring
//   rescind           -> Rescinded, then the socket closes (the kernel's -EIO)
//   unbind            -> ErrorReply EIO, then the socket closes
// One client at a time: a second Hello gets ErrorReply EBUSY. Everything the
// client sends is validated (sizes, types, fds); a malformed message gets
// ErrorReply and the connection closes. All of it runs on the control thread
// under the Simulator's mutex.
//
// Map 0 (txrx_rings) is the ring file the Simulator made (SharedMemory::
// create_file), the same pages as channels/<relid>/ring; the other maps are
// sealed memfds. Each open gets an id unique in the process (open_id()), so
// a subchannel request made during one open is never applied to a later
// one: the device host asks through setup.request_subchannels (host service
// thread), the Simulator offers on its control thread, and add_channel()
// hands the opened subchannel to the running service.
//
// Usage:
//   auto server = std::make_unique<hvsim::EndpointServer>(loop, std::move(setup));
//   ...
//   server->rescind();  // or destroy it: unbind
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "device_service.h"
#include "event_loop.h"
#include "hvsim/config.h"
#include "hvsim/guest_memory.h"
#include "hvsim/host_channel.h"
#include "unique_fd.h"

namespace hvsim {

struct EndpointMap {
  std::string name;   // "txrx_rings", "int_page", ...
  int fd = -1;        // borrowed: valid as long as the server
  std::uint64_t size = 0;
};

struct EndpointSetup {
  std::string label;                        // the device, for messages
  DeviceSpec spec;                          // picks the device host
  std::filesystem::path node;               // DIR/dev/uioN
  std::filesystem::path staging;            // for the atomic appearance of the node
  std::vector<EndpointMap> maps;            // in uio map order
  std::span<std::byte> rings;               // map 0's memory
  std::byte* int_page = nullptr;
  std::byte* monitor_page = nullptr;
  std::vector<HostChannelSetup> channels;   // spec, rings, counters, label
  const Logger* log = nullptr;
  // The first open (true) and the last close (false): the sysfs `state`;
  // on close, the Simulator rescinds the open's subchannels.
  std::function<void(bool opened)> on_open_change;
  // The device host asked for subchannels first .. first + count - 1 during
  // open `open_id`. Called on the host service thread: must not block.
  std::function<void(std::uint64_t open_id, std::uint32_t first, std::uint32_t count)> request_subchannels;
};

class EndpointServer {
 public:
  // Creates the listening socket and makes it appear at setup.node. Throws
  // std::runtime_error naming the path.
  EndpointServer(EventLoop& loop, EndpointSetup setup);
  // Unbind: every client gets ErrorReply EIO; the node disappears.
  ~EndpointServer();
  EndpointServer(const EndpointServer&) = delete;
  EndpointServer& operator=(const EndpointServer&) = delete;

  // Rescind: every client gets Rescinded; the node disappears.
  void rescind() noexcept;
  std::optional<pid_t> client_pid() const noexcept;
  // The current open's id, 0 if the device is not open.
  std::uint64_t open_id() const noexcept;
  // A subchannel of the current open was opened (vmbus_open in
  // hv_uio_new_channel): its host side joins the running service, with the
  // open's guest memory and interrupt eventfd (uio delivers every channel's
  // interrupt on the one fd). Returns false if the device is not open.
  // Throws std::runtime_error if the service cannot take it.
  bool add_channel(HostChannelSetup channel);

 private:
  struct Session;
  void on_listen_ready();
  void on_session_ready(std::uint64_t id, std::uint32_t events);
  // Reads one message; false when the session ended.
  bool receive(Session& s);
  bool handle(Session& s, std::span<const std::byte> message, std::vector<UniqueFd>& fds);
  bool on_hello(Session& s, std::span<const std::byte> message);
  bool on_irqcontrol(Session& s, std::span<const std::byte> message);
  bool on_register_memory(Session& s, std::span<const std::byte> message, std::vector<UniqueFd>& fds);
  bool on_share_counters(Session& s, std::span<const std::byte> message, std::vector<UniqueFd>& fds);
  // Sends ErrorReply (errno, text) and ends the session. Returns false.
  bool refuse(Session& s, int error, const std::string& text);
  bool send(Session& s, const void* message, std::size_t size, std::span<const int> fds = {});
  // Stops the host side of an open session (the last close).
  void close_device(Session& s) noexcept;
  void end(std::uint64_t id) noexcept;
  void shut_down(bool rescinded) noexcept;

  EventLoop& loop_;
  EndpointSetup setup_;
  UniqueFd listen_;
  EventLoop::Token listen_token_ = 0;
  std::map<std::uint64_t, std::unique_ptr<Session>> sessions_;
  std::uint64_t next_id_ = 1;
  std::uint64_t open_session_ = 0;  // the session that has the device open, 0 if none
  bool shut_ = false;
};

}  // namespace hvsim
