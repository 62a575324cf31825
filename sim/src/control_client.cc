// control_request: connect, send, shut down writing, read to EOF, parse.
#include "hvsim/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fs_util.h"
#include "unique_fd.h"

namespace hvsim {

nlohmann::json control_request(const std::filesystem::path& socket, const nlohmann::json& request,
                               std::chrono::milliseconds timeout) {
  const std::string path = socket.string();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw ControlError("control socket path " + path + " is too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw ControlError("socket: " + fs::errno_text(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    throw ControlError("cannot reach hvsim at " + path + ": " + fs::errno_text(e) +
                       (e == ENOENT || e == ECONNREFUSED ? " (is `hvsim --root " + socket.parent_path().string() + "` running?)" : ""));
  }
  const std::string text = request.dump();
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::send(fd.get(), text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw ControlError("cannot send to " + path + ": " + fs::errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
  ::shutdown(fd.get(), SHUT_WR);

  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[8192];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw ControlError("hvsim at " + path + " did not answer within " + std::to_string(timeout.count()) + " ms");
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ControlError("cannot read from " + path + ": " + fs::errno_text(errno));
    if (n == 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  try {
    return nlohmann::json::parse(answer);
  } catch (const nlohmann::json::exception& e) {
    throw ControlError("hvsim at " + path + " answered something that is not JSON: " + e.what());
  }
}

}  // namespace hvsim
