// The running machine, checked against independent code: uname(2),
// gethostname + getaddrinfo, /etc/os-release read naively, getifaddrs(3)
// with the MACs from its AF_PACKET entries, and (when `ip` and awk are
// installed) the very pipelines hv_kvp_daemon runs for gateways and DNS.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "kvp/protocol/ic.h"
#include "kvp/sysinfo/auto_pool.h"
#include "kvp/sysinfo/ip_info.h"
#include "sysinfo_test_support.h"

namespace kvp::sysinfo::live_test {

// ---- independent views of the machine ----

struct Addr {
  std::string name;
  int family;
  std::string address;
  std::string subnet;  // dotted IPv4 netmask or "/prefix"
  bool loopback;
};

std::vector<Addr> getifaddrs_view() {
  std::vector<Addr> out;
  struct ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr) continue;
    const int family = it->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    Addr a{it->ifa_name, family, {}, {}, (it->ifa_flags & IFF_LOOPBACK) != 0};
    if (family == AF_INET) {
      ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(it->ifa_addr)->sin_addr, buf, sizeof buf);
      a.address = buf;
      if (it->ifa_netmask != nullptr) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(it->ifa_netmask)->sin_addr, buf, sizeof buf);
        a.subnet = buf;
      }
    } else {
      ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(it->ifa_addr)->sin6_addr, buf, sizeof buf);
      a.address = buf;
      if (it->ifa_netmask != nullptr) {
        int bits = 0;
        const auto& m = reinterpret_cast<const sockaddr_in6*>(it->ifa_netmask)->sin6_addr;
        for (unsigned char byte : m.s6_addr) bits += std::popcount(static_cast<unsigned>(byte));
        a.subnet = "/" + std::to_string(bits);
      }
    }
    out.push_back(a);
  }
  ::freeifaddrs(list);
  return out;
}

// Interface name -> MAC, upper case with ':', from getifaddrs' AF_PACKET entries.
std::map<std::string, std::string> macs_view() {
  std::map<std::string, std::string> out;
  struct ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_PACKET) continue;
    const auto* ll = reinterpret_cast<const sockaddr_ll*>(it->ifa_addr);
    if (ll->sll_halen != 6) continue;
    char text[18];
    std::snprintf(text, sizeof text, "%02X:%02X:%02X:%02X:%02X:%02X", ll->sll_addr[0], ll->sll_addr[1],
                  ll->sll_addr[2], ll->sll_addr[3], ll->sll_addr[4], ll->sll_addr[5]);
    out[it->ifa_name] = text;
  }
  ::freeifaddrs(list);
  return out;
}

std::string joined(const std::vector<std::string>& items, bool terminated) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty() && !terminated) out += ';';
    out += s;
    if (terminated) out += ';';
  }
  return out;
}

// ---- the AUTO pool ----

TEST(LiveSystem, AutoPoolMatchesUnameAndHostName) {
  auto pool = AutoPool::load();
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  struct utsname uts {};
  ASSERT_EQ(::uname(&uts), 0);
  const std::string release = uts.release;
  EXPECT_EQ(pool->entry(4)->value, release);                                   // OSBuildNumber
  EXPECT_EQ(pool->entry(8)->value, release.substr(0, release.find('-')));      // OSVersion
  EXPECT_EQ(pool->entry(9)->value, std::string(uts.machine));                  // ProcessorArchitecture
  EXPECT_EQ(pool->entry(1)->value, "3.1");

  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  struct addrinfo hints {};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_CANONNAME;
  struct addrinfo* info = nullptr;
  std::string expected = host;  // our fallback when the name does not resolve
  if (::getaddrinfo(host, nullptr, &hints, &info) == 0) {
    if (info->ai_canonname != nullptr) expected = info->ai_canonname;
    ::freeaddrinfo(info);
  }
  EXPECT_EQ(pool->entry(0)->value, expected);
}

TEST(LiveSystem, OsNameMatchesANaiveReadOfOsRelease) {
  const std::string text = test::read_file("/etc/os-release");
  if (text.empty()) GTEST_SKIP() << "no /etc/os-release here";
  auto value_of = [&](const std::string& key) -> std::optional<std::string> {
    std::optional<std::string> found;
    std::size_t start = 0;
    while (start < text.size()) {
      const auto end = std::min(text.find('\n', start), text.size());
      const std::string line = text.substr(start, end - start);
      start = end + 1;
      if (line.rfind(key + "=", 0) != 0) continue;
      std::string v = line.substr(key.size() + 1);
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
      found = v;  // the last one counts
    }
    return found;
  };
  auto pool = AutoPool::load();
  ASSERT_TRUE(pool.ok());
  struct utsname uts {};
  ::uname(&uts);
  EXPECT_EQ(pool->values().os_name, value_of("NAME").value_or(uts.sysname));
  EXPECT_EQ(pool->values().os_major_version, value_of("VERSION_ID").value_or(""));
  EXPECT_EQ(pool->values().os_minor_version, "");
}

TEST(LiveSystem, NetworkAddressesMatchGetifaddrs) {
  auto pool = AutoPool::load();
  ASSERT_TRUE(pool.ok());
  std::vector<std::string> v4, v6;
  for (const auto& a : getifaddrs_view()) {
    if (a.loopback) continue;
    (a.family == AF_INET ? v4 : v6).push_back(a.address);
  }
  EXPECT_EQ(pool->entry(2)->value, joined(v4, false));  // NetworkAddressIPv4
  EXPECT_EQ(pool->entry(3)->value, joined(v6, false));  // NetworkAddressIPv6
  EXPECT_EQ(pool->entry(2)->value.find("127.0.0.1"), std::string::npos);
}

// ---- GET_IP_INFO ----

TEST(LiveSystem, IpInfoOfEveryRealInterfaceMatchesGetifaddrs) {
  const auto addrs = getifaddrs_view();
  const auto macs = macs_view();
  std::map<std::string, int> mac_count;
  for (const auto& [name, mac] : macs) ++mac_count[mac];
  int checked = 0;
  for (const auto& [name, mac] : macs) {
    std::vector<std::string> ip, subnets;
    std::uint8_t families = 0;
    bool loopback = false;
    for (const auto& a : addrs) {
      if (a.name != name) continue;
      loopback = loopback || a.loopback;
      if (a.loopback) continue;
      ip.push_back(a.address);
      subnets.push_back(a.subnet);
      families = static_cast<std::uint8_t>(families | (a.family == AF_INET ? kAddrFamilyIpv4 : kAddrFamilyIpv6));
    }
    if (loopback || ip.empty() || mac_count[mac] != 1) continue;  // one answer possible: a unique MAC with addresses

    auto r = read_ip_info(mac);
    ASSERT_TRUE(r.ok()) << name << ": " << r.error().message();
    EXPECT_EQ(r->interface, name);
    EXPECT_EQ(r->info.adapter_id, mac);
    EXPECT_EQ(r->info.ip_addr, joined(ip, false)) << name;
    EXPECT_EQ(r->info.sub_net, joined(subnets, false)) << name;
    EXPECT_EQ(r->info.addr_family, families) << name;
    for (const auto& n : r->notes) ADD_FAILURE() << "unexpected note: " << n.message();

    // The daemon's own pipelines, where the tools exist.
    const auto gw4 = test::command_lines("ip route show dev " + name + " 2>/dev/null | awk '/default/ {print $3 }'");
    const auto gw6 =
        test::command_lines("ip -f inet6  route show dev " + name + " 2>/dev/null | awk '/default/ {print $3 }'");
    if (gw4 && gw6) {
      std::vector<std::string> gws = *gw4;
      gws.insert(gws.end(), gw6->begin(), gw6->end());
      EXPECT_EQ(r->info.gate_way, joined(gws, true)) << name;
    }
    if (const auto dns = test::command_lines("awk '/^nameserver/ { print $2 }' /etc/resolv.conf 2>/dev/null")) {
      EXPECT_EQ(r->info.dns_addr, joined(*dns, true)) << name;
    }
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no non-loopback interface with a unique MAC and an address here";
}

TEST(LiveSystem, LoopbackMacAnswersEmpty) {
  const auto macs = macs_view();
  if (macs.count("lo") == 0) GTEST_SKIP() << "no loopback link entry";
  auto r = read_ip_info(macs.at("lo"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  bool only_loopback_like = true;  // every interface with that MAC lacks non-loopback addresses
  for (const auto& name : r->matched) {
    for (const auto& a : getifaddrs_view())
      if (a.name == name && !a.loopback) only_loopback_like = false;
  }
  if (!only_loopback_like) GTEST_SKIP() << "another interface shares the loopback's MAC and has addresses";
  EXPECT_EQ(r->info.ip_addr, "");
  EXPECT_EQ(r->info.addr_family, kAddrFamilyNone);
  EXPECT_EQ(r->info.gate_way, "");
}

TEST(LiveSystem, UnknownMacIsTheDaemonsError) {
  const auto macs = macs_view();
  std::set<std::string> present;
  for (const auto& [name, mac] : macs) present.insert(mac);
  std::string unknown = "02:00:5E:10:FE:01";
  for (int i = 2; present.count(unknown) != 0; ++i) unknown = "02:00:5E:10:FE:0" + std::to_string(i);
  auto r = read_ip_info(unknown);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, SysinfoErrc::unknown_adapter);
  EXPECT_EQ(r.error().hresult(), kvp::ic::kHvEFail);

  // A real MAC in lower case does not match either: the daemon upper-cases
  // only the sysfs side.
  for (const auto& [name, mac] : macs) {
    std::string lower = mac;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == mac) continue;
    auto lr = read_ip_info(lower);
    ASSERT_FALSE(lr.ok()) << lower;
    EXPECT_EQ(lr.error().code, SysinfoErrc::unknown_adapter);
    break;
  }
}

}  // namespace kvp::sysinfo::live_test
