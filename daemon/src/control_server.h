// File: daemon/src/control_server.h
//
// vmbusd's gRPC endpoints: a reader and an admin UNIX socket in the run
// directory, each a grpc::Server with its own service objects (the role is
// which socket a call came in on), gRPC health checking and server
// reflection on both, so standard gRPC tools can call them.
//
// Who may connect is decided by file permissions: the reader socket gets
// `reader_socket_mode` (0666), the admin socket `admin_socket_mode` (0660)
// and, if configured, the admin group. The sockets are created under a
// umask of 0177 and only then opened up with chmod, so there is no moment
// when the admin socket is wider than configured.
//
// One vmbusd per run directory: gRPC would silently unlink and take over a
// socket another vmbusd is serving, so start() first takes an exclusive
// flock on <run_dir>/vmbusd.lock and fails, naming the pid in it, if
// another process holds it.
//
// TCP (config.tcp) is a third server when configured: with TLS, a client
// whose certificate the client CA verified and whose common name is an
// admin name may change things, anyone else reads; plaintext only when
// forced, reader-only, with a warning in the log. gRPC's SO_REUSEPORT is
// turned off, so a port another process holds is an error, not shared.
//
// Usage:
//   ControlServer server(config, registry);
//   server.start();        // throws std::runtime_error naming what failed
//   ...; server.stop();    // health NOT_SERVING, then in-flight calls finish
#pragma once

#include <grpcpp/server.h>

#include <filesystem>
#include <memory>

#include "control_service.h"
#include "daemon_config.h"
#include "device_registry.h"

namespace vmbusd {

class ControlServer {
 public:
  ControlServer(const DaemonConfig& config, DeviceRegistry& registry, EventBus* bus = nullptr);
  ~ControlServer();  // stop()
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  void start();
  void stop() noexcept;

  std::filesystem::path reader_socket() const { return config_.run_dir / "reader.sock"; }
  std::filesystem::path admin_socket() const { return config_.run_dir / "admin.sock"; }

 private:
  struct Endpoint {
    std::unique_ptr<DeviceServiceImpl> devices;
    std::unique_ptr<LeaseServiceImpl> leases;
    std::unique_ptr<grpc::Server> server;
  };
  Endpoint serve(const std::filesystem::path& socket, Role role, mode_t mode, const std::string& group);
  Endpoint serve_tcp();
  void take_lock();

  DaemonConfig config_;
  DeviceRegistry& registry_;
  EventBus* bus_;
  int lock_fd_ = -1;
  Endpoint reader_;
  Endpoint admin_;
  Endpoint tcp_;  // only with config.tcp.listen
};

}  // namespace vmbusd
