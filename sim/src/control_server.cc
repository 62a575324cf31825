// ControlServer: one JSON request, one JSON response per connection.
#include "control_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "fs_util.h"

namespace hvsim {
namespace {

constexpr std::size_t kMaxRequest = 1 << 20;
constexpr std::size_t kMaxConnections = 32;

}  // namespace

ControlServer::ControlServer(EventLoop& loop, const TreePaths& paths, Handler handler, const Logger& log)
    : loop_(loop), paths_(paths), handler_(std::move(handler)), log_(log) {
  listen_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_) fs::throw_errno("cannot create the control socket", paths_.control_socket, errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = paths_.control_socket.string();
  if (path.size() >= sizeof addr.sun_path) {
    throw std::runtime_error("control socket path " + path + " is too long for a UNIX socket; use a shorter --root");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::bind(listen_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    fs::throw_errno("cannot bind the control socket", paths_.control_socket, errno);
  }
  if (::listen(listen_.get(), 16) != 0) fs::throw_errno("cannot listen on", paths_.control_socket, errno);
  listen_token_ = loop_.add(listen_.get(), EPOLLIN, [this](std::uint32_t) { on_accept(); });
}

ControlServer::~ControlServer() {
  while (!connections_.empty()) close(connections_.begin()->first);
  loop_.remove(listen_token_);
  ::unlink(paths_.control_socket.c_str());
}

void ControlServer::on_accept() {
  for (;;) {
    UniqueFd fd(::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) return;
    if (connections_.size() >= kMaxConnections) continue;  // closed at once: the client sees EOF
    const std::uint64_t id = next_id_++;
    auto c = std::make_unique<Connection>();
    c->fd = std::move(fd);
    c->token = loop_.add(c->fd.get(), EPOLLIN | EPOLLRDHUP, [this, id](std::uint32_t) { on_readable(id); });
    connections_.emplace(id, std::move(c));
  }
}

void ControlServer::on_readable(std::uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(c.fd.get(), buffer, sizeof buffer);
    if (n > 0) {
      c.request.append(buffer, static_cast<std::size_t>(n));
      if (c.request.size() > kMaxRequest) return close(id);
      continue;
    }
    if (n == 0) return answer(id);  // the client shut its write side: the request is complete
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) close(id);
    return;
  }
}

void ControlServer::answer(std::uint64_t id) {
  Connection& c = *connections_.at(id);
  nlohmann::json response;
  try {
    const nlohmann::json request = nlohmann::json::parse(c.request);
    response = handler_(request);
  } catch (const nlohmann::json::exception& e) {
    response = {{"ok", false}, {"error", std::string("malformed request: ") + e.what()}};
  } catch (const std::exception& e) {
    response = {{"ok", false}, {"error", e.what()}};
  }
  const std::string text = response.dump() + "\n";
  // Responses are small; give a slow reader one second, then drop it.
  const int flags = 0;
  ::fcntl(c.fd.get(), F_SETFL, flags);
  const timeval timeout{1, 0};
  ::setsockopt(c.fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::send(c.fd.get(), text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      log_.info("control client went away before reading its answer");
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  close(id);
}

void ControlServer::close(std::uint64_t id) noexcept {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  loop_.remove(it->second->token);
  connections_.erase(it);
}

}  // namespace hvsim
