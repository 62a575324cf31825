// The control socket DIR/hvsim.ctl that `hvsim ctl` talks to: a SOCK_STREAM
// UNIX socket; the client sends one JSON request and shuts its write side
// down, the server answers one JSON response and closes. Requests are
// handled on the control thread (under the Simulator's mutex) by the handler.
//
//   request:  {"command": "list" | "stats" | "offer" | "rescind" | "bind" | "unbind", "args": [...]}
//   response: {"ok": true, "result": ...} | {"ok": false, "error": "text"}
//
// Usage:
//   hvsim::ControlServer server(loop, paths, [&](const nlohmann::json& r) { return sim.handle_control(r); }, log);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "event_loop.h"
#include "hvsim/log.h"
#include "hvsim/tree_paths.h"
#include "unique_fd.h"

namespace hvsim {

class ControlServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  // Listens at paths.control_socket. Throws std::runtime_error naming it.
  ControlServer(EventLoop& loop, const TreePaths& paths, Handler handler, const Logger& log);
  ~ControlServer();  // closes the connections, removes the socket
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  struct Connection {
    UniqueFd fd;
    EventLoop::Token token = 0;
    std::string request;
  };
  void on_accept();
  void on_readable(std::uint64_t id);
  void answer(std::uint64_t id);
  void close(std::uint64_t id) noexcept;

  EventLoop& loop_;
  const TreePaths& paths_;
  Handler handler_;
  const Logger& log_;
  UniqueFd listen_;
  EventLoop::Token listen_token_ = 0;
  std::map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::uint64_t next_id_ = 1;
};

}  // namespace hvsim
