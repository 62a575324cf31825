// The TAP backend: the NIC's wire is a Linux TAP interface (nic "tap", e.g.
// "hvsim0"), created when the guest opens the device and gone when it
// closes it. What the guest sends is written to the TAP fd, so the kernel
// receives it on that interface (tcpdump -i hvsim0 sees it); what the kernel
// transmits on the interface is read from the fd and delivered to the guest.
// Needs CAP_NET_ADMIN and /dev/net/tun (Documentation/networking/tuntap.rst).
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "frame_backend.h"
#include "unique_fd.h"

namespace hvsim::netvsc {
namespace {

class TapBackend final : public FrameBackend {
 public:
  TapBackend(const NicConfig& config, const Logger& log) : log_(log), name_(config.tap) {
    fd_ = UniqueFd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd_) { fail("open /dev/net/tun"); return; }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, name_.c_str(), IFNAMSIZ - 1);
    if (::ioctl(fd_.get(), TUNSETIFF, &ifr) != 0) { fail("TUNSETIFF " + name_); return; }
    // Bring it up, as `ip link set hvsim0 up` does.
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq up{};
    std::strncpy(up.ifr_name, name_.c_str(), IFNAMSIZ - 1);
    if (!s || ::ioctl(s.get(), SIOCGIFFLAGS, &up) != 0) { fail("SIOCGIFFLAGS " + name_); return; }
    up.ifr_flags = static_cast<short>(up.ifr_flags | IFF_UP);
    if (::ioctl(s.get(), SIOCSIFFLAGS, &up) != 0) { fail("SIOCSIFFLAGS " + name_); return; }
    log_.info("nic: TAP interface " + name_ + " is the wire");
  }

  std::string_view name() const noexcept override { return "tap"; }
  std::uint32_t poll_interval_us() const noexcept override { return 100; }

  bool transmit(std::span<const std::byte> frame, const FrameMeta&, FrameSink&) noexcept override {
    if (!fd_) return false;
    // One write per frame: the kernel's TAP interface takes frames one by one.
    return ::write(fd_.get(), frame.data(), frame.size()) == static_cast<ssize_t>(frame.size());
  }

  void poll(FrameSink& sink) noexcept override {
    if (!fd_) return;
    for (int i = 0; i < 64; ++i) {  // a budget per pass, so the guest's own traffic keeps flowing
      const ssize_t n = ::read(fd_.get(), buffer_.data(), buffer_.size());
      if (n <= 0) return;  // EAGAIN: nothing more now
      (void)sink.receive(std::span(buffer_).first(static_cast<std::size_t>(n)), FrameMeta{}, /*may_wait=*/false);
    }
  }

 private:
  void fail(const std::string& what) {
    log_.error("nic: TAP backend: " + what + ": " + std::strerror(errno) + "; frames to and from the wire are dropped");
    fd_ = UniqueFd();
  }

  const Logger& log_;
  std::string name_;
  UniqueFd fd_;
  std::array<std::byte, 65536> buffer_{};
};

}  // namespace

std::unique_ptr<FrameBackend> make_tap_backend(const NicConfig& config, const Logger& log) {
  return std::make_unique<TapBackend>(config, log);
}

}  // namespace hvsim::netvsc
