// The NIC host ("netvsc"), control plane: NVSP versions and the short-request
// quirk, the receive and send buffers, RNDIS INITIALIZE and every OID, link
// indications through `hvsim ctl link`, the "nic" config object.
#include <gtest/gtest.h>

#include "netvsc_host_test_guest.h"

namespace hvsim::test {
namespace {

class NicHostTest : public NicFixture {};

TEST_F(NicHostTest, TheNetworkClassAndEth0DefaultToTheNicHost) {
  start(default_config());
  EXPECT_EQ(sim().device("eth0").spec.host, "netvsc");
  EXPECT_EQ(resolve(device_from_class("network"), {}).host, "netvsc");
}

TEST_F(NicHostTest, EachNvspVersionIsAcceptedUpToTheConfiguredMaximum) {
  struct Case {
    const char* max;
    std::uint32_t newest;
  };
  for (const Case c : {Case{"6.1", 0x60001}, Case{"5", 0x50000}, Case{"2", 0x30002}}) {
    start(nic_config({{"max_version", c.max}}));
    NicGuest g(*this);
    for (nvsp::Version v : nvsp::kVersionsNewestFirst) {
      auto done = g.init(nvsp::raw(v));
      ASSERT_TRUE(done) << log_.all();
      const bool accepted = nvsp::raw(v) <= c.newest;
      EXPECT_EQ(done->status, accepted ? 1u : 2u) << "max " << c.max << " version " << std::hex << nvsp::raw(v);
    }
    // Versions no one defined (3) are refused whatever the maximum.
    auto three = g.init(0x30000);
    ASSERT_TRUE(three);
    EXPECT_EQ(three->status, 2u);
  }
}

TEST_F(NicHostTest, ARequestShorterThan32BytesGetsNoReply) {
  start(nic_config());
  NicGuest g(*this);
  // A 12-byte INIT, as FreeBSD warns: "Hypervisor would never reply".
  const auto m = nvsp::encode_unpadded(nvsp::Init{0x60001, 0x60001});
  ASSERT_EQ(m.size(), 12u);
  g.send_nvsp(m.bytes());
  EXPECT_FALSE(g.read(std::chrono::milliseconds(300)));
  EXPECT_EQ(g.nic_stats()["drop_short_request"], 1);
  // 40 bytes: answered.
  auto done = g.init(0x60001);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 1u);
}

TEST_F(NicHostTest, ReceiveAndSendBuffersConnectWithTheDevicesGpadls) {
  start(nic_config());
  NicGuest g(*this);
  ASSERT_EQ(g.init(0x60001)->status, 1u);
  // A GPADL that is not the device's is refused.
  auto bad = g.connect_recv(g.recv_gpadl() + 100);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 2u);
  auto r = g.connect_recv();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 1u);
  EXPECT_EQ(r->num_sections, 1u);
  EXPECT_EQ(r->sections[0].offset, 0u);
  EXPECT_EQ(r->sections[0].sub_alloc_size, 1728u);
  EXPECT_EQ(r->sections[0].num_sub_allocs, (31u << 20) / 1728);
  EXPECT_EQ(r->sections[0].end_offset, r->sections[0].num_sub_allocs * 1728);
  EXPECT_TRUE(nvsp::check_receive_buffer(*r, 31u << 20).ok());
  // DPDK's id 0xface.
  auto s = g.connect_send(nvsp::kSendBufferIdDpdk);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, 1u);
  EXPECT_EQ(s->section_size, 6144u);
  EXPECT_TRUE(nvsp::check_send_buffer(*s, 16u << 20).ok());
  // Revoked, then connected again (Linux's id 0 this time).
  g.send_nvsp(nvsp::encode(nvsp::RevokeSendBuffer{nvsp::kSendBufferIdDpdk}).bytes(), false);
  g.send_nvsp(nvsp::encode(nvsp::RevokeReceiveBuffer{nvsp::kReceiveBufferId}).bytes(), false);
  EXPECT_EQ(g.connect_recv()->status, 1u);
  EXPECT_EQ(g.connect_send(nvsp::kSendBufferIdLinux)->status, 1u);
  const json nic = g.nic_stats();
  EXPECT_EQ(nic["slots"], (31u << 20) / 1728);
  EXPECT_EQ(nic["slots_in_use"], 0);
}

TEST_F(NicHostTest, AJumboMtuGetsSlotsLargeEnoughForItsFrames) {
  start(nic_config({{"mtu", 9000}}));
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake()) << log_.all();
  EXPECT_GE(g.slot_size, 9000u + 14 + 44);
  EXPECT_EQ(g.slot_size % 8, 0u);
}

TEST_F(NicHostTest, RndisInitializeAndEveryOid) {
  start(nic_config({{"mtu", 4000}, {"link_speed_mbps", 50000}}, 3));
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake(0x60001, 0)) << log_.all();

  EXPECT_EQ(g.query_u32(ndis::Oid::gen_maximum_frame_size), 4000u);
  EXPECT_EQ(g.query_u32(ndis::Oid::gen_link_speed), 50000u * 10000);  // 100 bps units
  EXPECT_EQ(g.query_u32(ndis::Oid::gen_media_connect_status), ndis::kMediaStateConnected);
  auto mac = g.query(ndis::Oid::ieee802_3_permanent_address);
  ASSERT_TRUE(mac);
  ASSERT_EQ(mac->info.size(), 6u);
  EXPECT_EQ(std::memcmp(mac->info.data(), kNicMac.data(), 6), 0);  // the instance's first 6 bytes
  EXPECT_EQ(g.query_u32(ndis::Oid::gen_vendor_driver_version).has_value(), true);
  EXPECT_NE(g.query_u32(ndis::Oid::gen_mac_options).value_or(0) & ndis::kMacOptionFullDuplex, 0u);
  EXPECT_EQ(g.query_u32(ndis::Oid::ieee802_3_maximum_list_size), 32u);

  // Packet filter: set, then read back.
  EXPECT_EQ(g.query_u32(ndis::Oid::gen_current_packet_filter), 0u);
  EXPECT_EQ(g.set_u32(ndis::Oid::gen_current_packet_filter, ndis::kPacketFilterLinuxOpen), 0u);
  EXPECT_EQ(g.query_u32(ndis::Oid::gen_current_packet_filter), ndis::kPacketFilterLinuxOpen);
  EXPECT_EQ(g.set(ndis::Oid::gen_current_packet_filter, {}), rndis::status::kInvalidLength);

  // Offload hardware capabilities, sized for NVSP 6.1's NDIS 6.30.
  std::array<std::byte, 256> q{};
  auto qn = ndis::write_offload_query(nvsp::Version::v61, q);
  auto offload = g.query(ndis::Oid::tcp_offload_hardware_capabilities, std::span(q).first(*qn));
  ASSERT_TRUE(offload);
  auto caps = ndis::parse_offload(offload->info);
  ASSERT_TRUE(caps.ok()) << caps.error().message();
  EXPECT_NE(caps->csum.ip4_txcsum & ndis::kCsumCapTcp4, 0u);
  EXPECT_EQ(caps->header.size, ndis::kOffloadSize);

  // Offload parameters: a valid set succeeds, garbage is refused.
  ndis::OffloadParameters params{};
  params.tcp_ip_v4_csum = ndis::kOffloadParamTxRxEnabled;
  std::array<std::byte, 64> pbuf{};
  auto pn = ndis::write_offload_parameters(params, nvsp::Version::v61, pbuf);
  EXPECT_EQ(g.set(ndis::Oid::tcp_offload_parameters, std::span(pbuf).first(*pn)), 0u);
  EXPECT_EQ(g.set(ndis::Oid::tcp_offload_parameters, std::span(pbuf).first(3)), rndis::status::kInvalidData);

  // RSS capabilities: the primary and the granted subchannels.
  std::array<std::byte, 32> rq{};
  auto rqn = ndis::write_rss_capabilities_query(rq);
  auto rss = g.query(ndis::Oid::gen_receive_scale_capabilities, std::span(rq).first(*rqn));
  ASSERT_TRUE(rss);
  auto rcaps = ndis::parse_rss_capabilities(rss->info);
  ASSERT_TRUE(rcaps.ok());
  EXPECT_EQ(rcaps->num_recv_que, 4u);
  EXPECT_EQ(rcaps->num_indirect_tabent, 128u);

  // RSS parameters: a valid table and key; one naming channel 99 is refused.
  std::array<std::byte, ndis::rss_parameters_size(128, 40)> rp{};
  const auto table = ::netvsc::rss::IndirectionTable::round_robin(4);
  auto rpn = ndis::write_rss_parameters(0, ndis::kHashInfoLinux, ::netvsc::rss::kVerificationKey, table.entries(), rp);
  EXPECT_EQ(g.set(ndis::Oid::gen_receive_scale_parameters, std::span(rp).first(*rpn)), 0u);
  std::array<std::uint32_t, 128> bad_table{};
  bad_table[5] = 99;
  rpn = ndis::write_rss_parameters(0, ndis::kHashInfoLinux, ::netvsc::rss::kVerificationKey, bad_table, rp);
  EXPECT_EQ(g.set(ndis::Oid::gen_receive_scale_parameters, std::span(rp).first(*rpn)), rndis::status::kInvalidData);
  EXPECT_EQ(g.set(ndis::Oid::gen_receive_scale_parameters, std::span(rp).first(10)), rndis::status::kInvalidData);

  // Multicast list: 2 addresses, read back; 7 bytes is refused.
  const std::uint8_t mc[12] = {0x01, 0, 0x5e, 0, 0, 1, 0x33, 0x33, 0, 0, 0, 1};
  EXPECT_EQ(g.set(ndis::Oid::ieee802_3_multicast_list, std::as_bytes(std::span(mc))), 0u);
  auto list = g.query(ndis::Oid::ieee802_3_multicast_list);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->info.size(), 12u);
  EXPECT_EQ(std::memcmp(list->info.data(), mc, 12), 0);
  EXPECT_EQ(g.set(ndis::Oid::ieee802_3_multicast_list, std::as_bytes(std::span(mc)).first(7)), rndis::status::kInvalidLength);

  // RNDIS config parameter "NetworkAddress" changes the current address (rndis_filter_set_device_mac).
  std::vector<std::byte> cp(sizeof(ndis::ConfigParameterInfo));
  auto utf16 = [&](std::string_view s) {
    for (char ch : s) {
      cp.push_back(std::byte(static_cast<std::uint8_t>(ch)));
      cp.push_back(std::byte{0});
    }
  };
  utf16("NetworkAddress");
  utf16("02aabbccddee");
  const ndis::ConfigParameterInfo info{20, 28, ndis::kConfigParamTypeString, 48, 24};
  std::memcpy(cp.data(), &info, sizeof info);
  EXPECT_EQ(g.set(ndis::Oid::gen_rndis_config_parameter, cp), 0u);
  auto current = g.query(ndis::Oid::ieee802_3_current_address);
  ASSERT_TRUE(current);
  const std::uint8_t want[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
  ASSERT_EQ(current->info.size(), 6u);
  EXPECT_EQ(std::memcmp(current->info.data(), want, 6), 0);

  // Unknown OIDs: not supported, with an empty buffer.
  auto unknown = g.query(static_cast<ndis::Oid>(0x00fe0001));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, rndis::status::kNotSupported);
  EXPECT_EQ(g.set_u32(static_cast<ndis::Oid>(0x00fe0001), 1), rndis::status::kNotSupported);

  // KEEPALIVE and RESET are answered; HALT is not.
  std::array<std::byte, 64> m{};
  auto kn = rndis::write_keepalive(4242, m);
  auto ka = g.control(std::span(m).first(*kn));
  ASSERT_TRUE(ka);
  auto kac = rndis::parse_body<rndis::KeepaliveComplete>(*rndis::frame(*ka));
  ASSERT_TRUE(kac.ok());
  EXPECT_EQ(kac->req_id, 4242u);
  auto rn = rndis::write_reset(m);
  auto rs = g.control(std::span(m).first(*rn));
  ASSERT_TRUE(rs);
  EXPECT_TRUE(rndis::parse_body<rndis::ResetComplete>(*rndis::frame(*rs)).ok());
  auto hn = rndis::write_halt(5, m);
  EXPECT_TRUE(g.control(std::span(m).first(*hn), /*expect_reply=*/false));
  EXPECT_TRUE(g.receive_messages(1, true, std::chrono::milliseconds(200)).empty());

  const json nic = g.nic_stats();
  EXPECT_GE(nic["rndis_requests"].get<int>(), 20);
  EXPECT_EQ(nic["rndis_unsupported"], 2);
}

TEST_F(NicHostTest, LinkIndicationsFollowCtlLink) {
  start(nic_config({{"link", "up"}, {"link_speed_mbps", 40000}}));
  NicGuest g(*this);
  ASSERT_TRUE(g.handshake()) << log_.all();
  auto ctl = [&](std::vector<std::string> args) { return sim().handle_control({{"command", "link"}, {"args", args}}); };

  json r = ctl({"eth0", "down"});
  ASSERT_TRUE(r["ok"]) << r.dump();
  auto msgs = g.receive_messages(1);
  ASSERT_EQ(msgs.size(), 1u) << log_.all();
  EXPECT_EQ(msgs[0].queue, 0u);  // on the primary
  auto ind = rndis::parse_indicate_status(*rndis::frame(msgs[0].bytes));
  ASSERT_TRUE(ind.ok());
  EXPECT_EQ(ind->status, rndis::status::kMediaDisconnect);
  EXPECT_EQ(g.query_u32(ndis::Oid::gen_media_connect_status), ndis::kMediaStateDisconnected);

  ASSERT_TRUE(ctl({"eth0", "speed", "25000"})["ok"]);
  msgs = g.receive_messages(1);
  ASSERT_EQ(msgs.size(), 1u);
  ind = rndis::parse_indicate_status(*rndis::frame(msgs[0].bytes));
  ASSERT_TRUE(ind.ok());
  EXPECT_EQ(rndis::link_speed(*ind), 25000u * 10000);

  ASSERT_TRUE(ctl({"eth0", "up"})["ok"]);
  msgs = g.receive_messages(1);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(rndis::parse_indicate_status(*rndis::frame(msgs[0].bytes))->status, rndis::status::kMediaConnect);
  EXPECT_EQ(g.nic_stats()["link"], "up");

  // Refusals name the problem.
  EXPECT_FALSE(ctl({"eth0", "sideways"})["ok"]);
  EXPECT_FALSE(ctl({"eth0", "speed", "0"})["ok"]);
}

TEST_F(NicHostTest, CtlLinkNeedsAnOpenNic) {
  start(nic_config());
  const json r = sim().handle_control({{"command", "link"}, {"args", {"eth0", "down"}}});
  EXPECT_FALSE(r["ok"]);
  EXPECT_NE(r["error"].get<std::string>().find("no NIC host running"), std::string::npos) << r.dump();
}

TEST_F(NicHostTest, TheNicConfigIsValidatedNamingTheField) {
  auto refused = [](const json& nic) -> std::string {
    try {
      (void)parse_device({{"class", "network"}, {"name", "n"}, {"nic", nic}}, "test");
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(refused({{"max_version", "3"}}).find("max_version"), std::string::npos);
  EXPECT_NE(refused({{"mac", "01:00:00:00:00:01"}}).find("mac"), std::string::npos);
  EXPECT_NE(refused({{"mac", "zz"}}).find("mac"), std::string::npos);
  EXPECT_NE(refused({{"mtu", 20}}).find("mtu"), std::string::npos);
  EXPECT_NE(refused({{"backend", "wire"}}).find("backend"), std::string::npos);
  EXPECT_NE(refused({{"link", "maybe"}}).find("link"), std::string::npos);
  EXPECT_NE(refused({{"tap", "a/b"}}).find("tap"), std::string::npos);
  EXPECT_NE(refused({{"recv_section_size", 100}}).find("recv_section_size"), std::string::npos);
  EXPECT_NE(refused({{"colour", 1}}).find("unknown key \"colour\""), std::string::npos);
  try {
    (void)resolve(parse_device({{"class", "echo"}, {"nic", json::object()}}, "test"), {});
    ADD_FAILURE() << "nic on an echo device accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("nic"), std::string::npos);
  }
  // Round trip.
  DeviceConfig d = parse_device({{"class", "network"}, {"nic", {{"mac", "00:15:5d:01:02:03"}, {"backend", "sink"}}}}, "t");
  const json j = to_json(d);
  EXPECT_EQ(j["nic"]["mac"], "00:15:5d:01:02:03");
  EXPECT_EQ(j["nic"]["backend"], "sink");
}

}  // namespace
}  // namespace hvsim::test
