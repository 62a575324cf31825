// The KVP service's answers, without a channel: requests built by the host
// side of the protocol library (what hvsim's KVP host sends), answered by
// RequestHandler over real pool files in a temporary directory, and read
// back with the host's reply parsers. Each case checks what the host sees:
// the status hv_kvp_daemon would give, and the value.
#include "request_handler.h"

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <map>
#include <vector>

#include "../../../sdk/tests/temp_dir.h"
#include "kvp/protocol/host.h"
#include "kvp/protocol/ic_message.h"

namespace {

using kvp::Pool;

constexpr kvp::ic::NegotiatedVersions kWin8{{3, 0}, {4, 0}};

// The running system, as a test fixes it.
class FixedSystem : public kvp::SystemSource {
 public:
  std::vector<kvp::pool::Entry> auto_pool{{"FullyQualifiedDomainName", "vm1.example.net"},
                                          {"IntegrationServicesVersion", "3.1"}};
  std::map<std::string, kvp::IpInfo> by_mac;
  std::map<std::string, std::string> interface_by_guid;

  std::optional<kvp::pool::Entry> auto_entry(std::uint32_t index) override {
    if (index >= auto_pool.size()) return std::nullopt;
    return auto_pool[index];
  }
  std::optional<kvp::IpInfo> ip_info(const std::string& mac, std::uint8_t) override {
    auto it = by_mac.find(mac);
    if (it == by_mac.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string> interface_of(const std::string& guid) override {
    auto it = interface_by_guid.find(guid);
    if (it == interface_by_guid.end()) return std::nullopt;
    return it->second;
  }
};

class Handler : public ::testing::Test {
 protected:
  Handler() : pools_(dir_.path()) {}

  kvp::RequestHandler& handler() {
    if (!handler_) {
      handler_.emplace(pools_, system_, hooks_, kvp::ic::kGuestFrameworkVersions, kvp::ic::kGuestKvpVersions);
    }
    return *handler_;
  }

  // Sends `request` as the host would and returns the reply's bytes.
  std::vector<std::byte> exchange(const kvp::Request& request) {
    std::array<std::byte, kvp::host::kMaxRequestSize> out{};
    auto n = kvp::host::write_request(out, request, kWin8);
    EXPECT_TRUE(n.ok()) << n.error().message();
    std::vector<std::byte> packet(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n.ok() ? *n : 0));
    const std::size_t reply = handler().answer(packet);
    EXPECT_EQ(reply, packet.size()) << "the reply is the request's whole buffer";
    packet.resize(reply);
    return packet;
  }
  std::uint32_t status_of(const kvp::Request& request) {
    const auto reply = exchange(request);
    auto r = kvp::host::parse_status_reply(reply, kvp::operation_of(request));
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? r->status : 0xffffffffu;
  }

  vmbus::test::TempDir dir_;
  kvp::pool::PoolStore pools_;
  FixedSystem system_;
  kvp::ServiceHooks hooks_;
  std::optional<kvp::RequestHandler> handler_;
};

TEST_F(Handler, NegotiatesWin8WithWhatHyperVOffers) {
  std::array<std::byte, 256> out{};
  auto n = kvp::ic::write_negotiate_request(out, kvp::ic::kHostFrameworkVersions, kvp::ic::kHostKvpVersions);
  ASSERT_TRUE(n.ok());
  std::vector<std::byte> packet(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n));
  const std::size_t size = handler().answer(packet);
  ASSERT_EQ(size, packet.size());
  auto v = kvp::ic::parse_negotiate_response(packet);
  ASSERT_TRUE(v.ok()) << v.error().message();
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ(**v, kWin8);
  EXPECT_EQ(handler().versions(), kWin8);
  EXPECT_EQ(handler().stats().negotiations.load(), 1u);
}

TEST_F(Handler, SetStoresInTheDaemonsFileAndGetReadsItBack) {
  std::vector<kvp::HostChange> changes;
  hooks_.on_host_change = [&](const kvp::HostChange& c) { changes.push_back(c); };
  EXPECT_EQ(status_of(kvp::SetRequest{Pool::external, "Location", kvp::SetValue::string("Rack 12")}),
            kvp::ic::kHvSOk);
  // In the file, as hv_kvp_daemon would find it.
  auto stored = pools_.get(0, "Location");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->value, "Rack 12");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "Location");
  EXPECT_EQ(changes[0].value, "Rack 12");

  const auto reply = exchange(kvp::GetRequest{Pool::external, "Location"});
  auto got = kvp::host::parse_get_reply(reply);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->status, kvp::ic::kHvSOk);
  ASSERT_TRUE(got->value.has_value());
  EXPECT_EQ(got->value->text, "Rack 12");
}

TEST_F(Handler, IntegerValuesAreStoredAsTheDaemonStoresThem) {
  EXPECT_EQ(status_of(kvp::SetRequest{Pool::external, "Cores", kvp::SetValue::u32(4000000000u)}), kvp::ic::kHvSOk);
  EXPECT_EQ(status_of(kvp::SetRequest{Pool::external, "Memory", kvp::SetValue::u64(1ull << 40)}), kvp::ic::kHvSOk);
  EXPECT_EQ(pools_.get(0, "Cores")->value, "4000000000");
  EXPECT_EQ(pools_.get(0, "Memory")->value, "1099511627776");
}

TEST_F(Handler, MissingKeysAnswerHvSCont) {
  const auto reply = exchange(kvp::GetRequest{Pool::guest, "nothing"});
  auto got = kvp::host::parse_get_reply(reply);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, kvp::ic::kHvSCont);
  EXPECT_FALSE(got->value.has_value());
  EXPECT_EQ(status_of(kvp::DeleteRequest{Pool::guest, "nothing"}), kvp::ic::kHvSCont);
}

TEST_F(Handler, DeleteRemovesAndReportsTheChange) {
  std::vector<kvp::HostChange> changes;
  hooks_.on_host_change = [&](const kvp::HostChange& c) { changes.push_back(c); };
  ASSERT_TRUE(pools_.set(0, "a", "1").ok());
  ASSERT_TRUE(pools_.set(0, "b", "2").ok());
  EXPECT_EQ(status_of(kvp::DeleteRequest{Pool::external, "a"}), kvp::ic::kHvSOk);
  auto listing = pools_.list(0);
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->entries.size(), 1u);
  EXPECT_EQ(listing->entries[0].key, "b");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].value.has_value());
}

TEST_F(Handler, EnumerateWalksAPoolToHvSCont) {
  ASSERT_TRUE(pools_.set(1, "Role", "edge").ok());
  ASSERT_TRUE(pools_.set(1, "Zone", "b").ok());
  std::vector<std::pair<std::string, std::string>> seen;
  for (std::uint32_t i = 0;; ++i) {
    ASSERT_LT(i, 10u);
    const auto reply = exchange(kvp::EnumerateRequest{Pool::guest, i});
    auto e = kvp::host::parse_enumerate_reply(reply);
    ASSERT_TRUE(e.ok()) << e.error().message();
    if (e->status == kvp::ic::kHvSCont) break;
    ASSERT_EQ(e->status, kvp::ic::kHvSOk);
    seen.emplace_back(e->entry->key, e->entry->value.text);
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{{"Role", "edge"}, {"Zone", "b"}}));
}

TEST_F(Handler, TheAutoPoolIsComputedNotReadFromItsFile) {
  ASSERT_TRUE(pools_.set(2, "stale", "from the file").ok());
  const auto first = exchange(kvp::EnumerateRequest{Pool::automatic, 0});
  auto e = kvp::host::parse_enumerate_reply(first);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->status, kvp::ic::kHvSOk);
  EXPECT_EQ(e->entry->key, "FullyQualifiedDomainName");
  EXPECT_EQ(e->entry->value.text, "vm1.example.net");
  const auto end = exchange(kvp::EnumerateRequest{Pool::automatic, 2});
  EXPECT_EQ(kvp::host::parse_enumerate_reply(end)->status, kvp::ic::kHvSCont);
}

TEST_F(Handler, NonAsciiKeysAndValuesRoundTrip) {
  const std::string key = "Standort-Zürich-東京-🚀";
  EXPECT_EQ(status_of(kvp::SetRequest{Pool::external, key, kvp::SetValue::string("Grüße")}), kvp::ic::kHvSOk);
  EXPECT_EQ(pools_.get(0, key)->value, "Grüße");
  auto got = kvp::host::parse_get_reply(exchange(kvp::GetRequest{Pool::external, key}));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value->text, "Grüße");
}

TEST_F(Handler, GetIpInfoAnswersFromTheSystemOrFailsForAnUnknownMac) {
  kvp::IpInfo eth0;
  eth0.adapter_id = "00:15:5D:01:02:03";
  eth0.addr_family = kvp::kAddrFamilyIpv4;
  eth0.ip_addr = "10.0.0.4";
  eth0.sub_net = "255.255.255.0";
  eth0.gate_way = "10.0.0.1";
  eth0.dns_addr = "10.0.0.2";
  system_.by_mac[eth0.adapter_id] = eth0;
  auto r = kvp::host::parse_get_ip_info_reply(
      exchange(kvp::GetIpInfoRequest{Pool::guest, "00:15:5D:01:02:03", kvp::kAddrFamilyIpv4}));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->status, kvp::ic::kHvSOk);
  EXPECT_EQ(r->info->ip_addr, "10.0.0.4");
  EXPECT_EQ(r->info->gate_way, "10.0.0.1");
  auto unknown = kvp::host::parse_get_ip_info_reply(
      exchange(kvp::GetIpInfoRequest{Pool::guest, "00:15:5D:FF:FF:FF", kvp::kAddrFamilyIpv4}));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->status, kvp::ic::kHvEFail);
}

TEST_F(Handler, SetIpInfoGoesToTheHookOrIsRefused) {
  kvp::SetIpInfoRequest request;
  request.info.adapter_id = "{6f8f9f3c-0f6e-4a7b-9d49-1e2f3a4b5c6d}";
  request.info.addr_family = kvp::kAddrFamilyIpv4;
  request.info.ip_addr = "192.168.7.9";
  request.info.sub_net = "255.255.255.0";
  EXPECT_EQ(status_of(request), kvp::ic::kHvGuidNotFound) << "no interface has that adapter GUID";
  system_.interface_by_guid[request.info.adapter_id] = "eth0";
  EXPECT_EQ(status_of(request), kvp::ic::kHvEFail) << "no hook registered";

  handler_.reset();
  std::string applied_to;
  kvp::IpInfo applied;
  hooks_.set_ip_info = [&](const std::string& interface, const kvp::IpInfo& info) {
    applied_to = interface;
    applied = info;
    return kvp::ic::kHvSOk;
  };
  EXPECT_EQ(status_of(request), kvp::ic::kHvSOk);
  EXPECT_EQ(applied_to, "eth0");
  EXPECT_EQ(applied.ip_addr, "192.168.7.9");
}

TEST_F(Handler, AMalformedRequestIsAnsweredHvEFailAndCounted) {
  std::array<std::byte, kvp::host::kMaxRequestSize> out{};
  auto n = kvp::host::write_request(out, kvp::GetRequest{Pool::external, "k"}, kWin8);
  ASSERT_TRUE(n.ok());
  out[kvp::ic::kIcMsgHdr + 1] = std::byte{9};  // pool 9
  std::vector<std::byte> packet(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n));
  std::vector<std::string> lines;
  hooks_.log = [&](const std::string& l) { lines.push_back(l); };
  ASSERT_EQ(handler().answer(packet), packet.size());
  auto r = kvp::host::parse_status_reply(packet, kvp::Operation::get);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, kvp::ic::kHvEFail);
  EXPECT_EQ(handler().stats().malformed.load(), 1u);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("pool"), std::string::npos) << lines[0];
}

TEST_F(Handler, APacketShorterThanAnIcHeaderGetsNoAnswer) {
  std::vector<std::byte> packet(20);
  EXPECT_EQ(handler().answer(packet), 0u);
  EXPECT_EQ(handler().stats().malformed.load(), 1u);
}

TEST_F(Handler, AValueThatCannotBeStoredIsAnsweredHvSContAndNothingIsWritten) {
  // The wire holds 1023 UTF-16 units; UTF-8 needs 3 bytes for each of these,
  // more than the 2047 a pool record holds: the daemon's add fails.
  std::string value;
  for (int i = 0; i < 700; ++i) value += "€";
  EXPECT_EQ(status_of(kvp::SetRequest{Pool::external, "wide", kvp::SetValue::string(value)}), kvp::ic::kHvSCont);
  EXPECT_FALSE(pools_.get(0, "wide")->value.has_value());
}

}  // namespace
