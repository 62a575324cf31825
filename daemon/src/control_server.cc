// vmbusd's reader and admin gRPC sockets (control_server.h).
#include "control_server.h"

#include <fcntl.h>
#include <grp.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "control_error.h"
#include "daemon_log.h"

namespace vmbusd {
namespace {

// The services a health check may name: "" (the whole server) and these.
constexpr const char* kServiceNames[] = {"vmbus.control.v1.DeviceService", "vmbus.control.v1.LeaseService"};

}  // namespace

ControlServer::ControlServer(const DaemonConfig& config, DeviceRegistry& registry, EventBus* bus)
    : config_(config), registry_(registry), bus_(bus) {}

ControlServer::~ControlServer() { stop(); }

void ControlServer::take_lock() {
  std::error_code ec;
  std::filesystem::create_directories(config_.run_dir, ec);
  if (ec) throw std::runtime_error("cannot create run directory " + config_.run_dir.string() + ": " + ec.message());
  const std::filesystem::path lock = config_.run_dir / "vmbusd.lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw std::runtime_error("cannot open " + lock.string() + ": " + errno_text(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    char pid[32] = {};
    (void)!::pread(lock_fd_, pid, sizeof pid - 1, 0);
    pid[std::strcspn(pid, "\n")] = '\0';
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (e == EWOULDBLOCK) {
      throw std::runtime_error("another vmbusd (pid " + std::string(pid[0] ? pid : "?") + ") serves " +
                               config_.run_dir.string() + ": stop it or give this one another --run-dir");
    }
    throw std::runtime_error("cannot lock " + lock.string() + ": " + errno_text(e));
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_, 0) != 0 || ::pwrite(lock_fd_, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
    log_warn("cannot write the pid to " + lock.string() + ": " + errno_text(errno));
  }
}

ControlServer::Endpoint ControlServer::serve(const std::filesystem::path& socket, Role role, mode_t mode,
                                             const std::string& group) {
  Endpoint e;
  e.devices = std::make_unique<DeviceServiceImpl>(registry_, bus_);
  e.leases = std::make_unique<LeaseServiceImpl>(registry_, role);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket.string(), grpc::InsecureServerCredentials());
  builder.RegisterService(e.devices.get());
  builder.RegisterService(e.leases.get());
  // gRPC creates the socket with the process umask and has no option for
  // its mode: create it owner-only, then open it up below.
  const mode_t old_umask = ::umask(0177);
  e.server = builder.BuildAndStart();
  ::umask(old_umask);
  if (!e.server) throw std::runtime_error("cannot serve gRPC on " + socket.string() + " (gRPC's log above says why)");
  if (!group.empty()) {
    const ::group* g = ::getgrnam(group.c_str());
    if (g == nullptr) throw std::runtime_error("admin group '" + group + "' does not exist");
    if (::chown(socket.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      throw std::runtime_error("cannot give " + socket.string() + " to group " + group + ": " + errno_text(errno));
    }
  }
  if (::chmod(socket.c_str(), mode) != 0) {
    throw std::runtime_error("cannot set mode of " + socket.string() + ": " + errno_text(errno));
  }
  if (auto* health = e.server->GetHealthCheckService()) {
    health->SetServingStatus(true);
    for (const char* name : kServiceNames) health->SetServingStatus(name, true);
  }
  log_info(std::string("serving the ") + role_name(role) + " socket " + socket.string());
  return e;
}

ControlServer::Endpoint ControlServer::serve_tcp() {
  const TcpConfig& tcp = config_.tcp;
  Endpoint e;
  e.devices = std::make_unique<DeviceServiceImpl>(registry_, bus_);
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (tcp.insecure) {
    e.leases = std::make_unique<LeaseServiceImpl>(registry_, Role::reader);
    credentials = grpc::InsecureServerCredentials();
    log_warn("serving PLAINTEXT TCP on " + tcp.listen +
             " (--insecure-tcp): anyone who can reach it reads the bus unencrypted; changes are refused there");
  } else {
    auto read = [](const std::filesystem::path& f) {
      std::ifstream in(f);
      std::stringstream s;
      s << in.rdbuf();
      if (!in) throw std::runtime_error("cannot read " + f.string());
      return s.str();
    };
    grpc::SslServerCredentialsOptions options(
        tcp.client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                              : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);  // readers may come without one
    options.pem_key_cert_pairs.push_back({read(tcp.key), read(tcp.cert)});
    if (!tcp.client_ca.empty()) options.pem_root_certs = read(tcp.client_ca);
    credentials = grpc::SslServerCredentials(options);
    e.leases = std::make_unique<LeaseServiceImpl>(
        registry_, Role::certificate, std::set<std::string>(tcp.admin_clients.begin(), tcp.admin_clients.end()));
  }
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(tcp.listen, credentials, &port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(e.devices.get());
  builder.RegisterService(e.leases.get());
  e.server = builder.BuildAndStart();
  if (!e.server || port == 0) throw std::runtime_error("cannot serve gRPC on TCP " + tcp.listen + " (in use?)");
  if (auto* health = e.server->GetHealthCheckService()) {
    health->SetServingStatus(true);
    for (const char* name : kServiceNames) health->SetServingStatus(name, true);
  }
  log_info("serving TCP " + tcp.listen + (tcp.insecure ? " (plaintext)" : " with TLS") +
           (tcp.admin_clients.empty() ? "" : ", admin clients by certificate"));
  return e;
}

void ControlServer::start() {
  take_lock();
  // Process-wide switches, before the first ServerBuilder.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  for (const auto& path : {reader_socket(), admin_socket()}) {
    std::error_code ec;
    std::filesystem::remove(path, ec);  // ours, from a vmbusd that died: the lock says nobody serves it
  }
  reader_ = serve(reader_socket(), Role::reader, config_.reader_socket_mode, "");
  admin_ = serve(admin_socket(), Role::admin, config_.admin_socket_mode, config_.admin_group);
  if (!config_.tcp.listen.empty()) tcp_ = serve_tcp();
}

void ControlServer::stop() noexcept {
  if (bus_ != nullptr) bus_->close();  // ends the WatchEvents streams (UNAVAILABLE)
  for (Endpoint* e : {&reader_, &admin_, &tcp_}) {
    if (!e->server) continue;
    if (auto* health = e->server->GetHealthCheckService()) health->Shutdown();
    e->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    e->server->Wait();
    e->server.reset();
  }
  if (lock_fd_ >= 0) {
    // Only the vmbusd holding the lock owns the sockets: one refused at
    // start must not remove those of the vmbusd that serves.
    std::error_code ec;
    std::filesystem::remove(reader_socket(), ec);
    std::filesystem::remove(admin_socket(), ec);
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
}

}  // namespace vmbusd
