// The NIC host's TAP backend: the guest's frames reach the kernel on a TAP
// interface (read here with an AF_PACKET socket bound to it), and frames the
// kernel sends on that interface reach the guest. Skipped without
// /dev/net/tun; needs CAP_NET_ADMIN (root).
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "netvsc_host_test_guest.h"

namespace hvsim::test {
namespace {

class NicTapTest : public NicFixture {};

TEST_F(NicTapTest, FramesCrossTheTapInterfaceBothWays) {
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/net/tun";
  const std::string tap = "hvsimt" + std::to_string(::getpid() % 100000);
  start(nic_config({{"backend", "tap"}, {"tap", tap}}));
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake(0x60001, ndis::kPacketTypePromiscuous)) << log_.all();
  unsigned index = 0;
  ASSERT_TRUE(wait_for([&] { return (index = ::if_nametoindex(tap.c_str())) != 0; }, kNicPatience)) << log_.all();

  UniqueFd raw(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
  if (!raw) GTEST_SKIP() << "no AF_PACKET socket (needs CAP_NET_RAW)";
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(index);
  ASSERT_EQ(::bind(raw.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);

  // Guest -> kernel: the frame appears on the interface. (The kernel may
  // send its own frames there too, IPv6 router solicitations and the like: skip them.)
  const std::array<std::uint8_t, 6> dst{0x02, 0x00, 0x00, 0x00, 0x00, 0x77};
  const auto f = tcp_frame(300, dst, 4242, 80, 0x5a);
  ASSERT_EQ(g.send_gpa(f), 1u);
  bool seen = false;
  std::array<std::byte, 4096> buf{};
  wait_for([&] {
    pollfd p{raw.get(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) return false;
    const ssize_t n = ::recv(raw.get(), buf.data(), buf.size(), 0);
    seen = n == static_cast<ssize_t>(f.size()) && std::memcmp(buf.data(), f.data(), f.size()) == 0;
    return seen;
  }, kNicPatience);
  EXPECT_TRUE(seen) << log_.all();

  // Kernel -> guest: a frame sent on the interface is read from the TAP fd.
  const auto back = tcp_frame(200, kNicMac, 5353, 80, 0x33);
  ASSERT_EQ(::sendto(raw.get(), back.data(), back.size(), 0, reinterpret_cast<const sockaddr*>(&addr), sizeof addr),
            static_cast<ssize_t>(back.size()));
  bool arrived = false;
  for (int i = 0; i < 50 && !arrived; ++i) {
    auto rx = g.receive_messages(1, true, std::chrono::milliseconds(500));
    for (const auto& m : rx) {
      auto p = rndis::parse_packet(m.bytes);
      arrived |= p && p->frame.size() == back.size() && std::memcmp(p->frame.data(), back.data(), back.size()) == 0;
    }
  }
  EXPECT_TRUE(arrived) << log_.all();
}

}  // namespace
}  // namespace hvsim::test
