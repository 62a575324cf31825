// Golden bytes for RNDIS: requests built as Linux's rndis_filter.c builds
// them, packets as netvsc_drv.c's netvsc_xmit does, and the host's replies,
// compared with bytes written out by hand. The derivation, once: struct
// rndis_message is {u32 ndis_msg_type, u32 msg_len} followed by the body
// struct (hyperv_net.h), little-endian; RNDIS_MESSAGE_SIZE(body) = 8 +
// sizeof(body); requests put their information buffer right after the body,
// at info_buf_offset = sizeof(struct rndis_query_request) = 20, counted from
// the body (+8). A packet puts its PPIs at per_pkt_info_offset =
// sizeof(struct rndis_packet) = 36 and grows data_offset by each PPI's size
// (init_ppi_data), so the frame starts at +8 + 36 + PPI bytes.
#include <gtest/gtest.h>

#include <array>

#include "netvsc/protocol/ndis_offload.h"
#include "netvsc/protocol/ndis_rss.h"
#include "netvsc/protocol/rndis_control.h"
#include "netvsc/protocol/rndis_packet.h"
#include "netvsc/protocol/toeplitz.h"
#include "test_bytes.h"

namespace netvsc::rndis {
namespace {

using test::Bytes;
using test::cat;
using test::le32;
using test::zeros;

// Runs a writer into a generous buffer and returns the bytes it wrote.
template <typename Writer>
Bytes written(Writer&& write) {
  Bytes out(1024, 0xee);
  vmbus::Result<std::uint32_t> n = write(test::writable(out));
  EXPECT_TRUE(n.ok()) << n.error().message();
  out.resize(n.ok() ? *n : 0);
  return out;
}

TEST(RndisGolden, Initialize) {
  // rndis_filter_init_device: RNDIS 1.0, max_xfer_size 0x4000; 24 bytes.
  EXPECT_EQ(written([](auto out) { return write_initialize(1, out); }),
            le32({0x00000002, 24, 1, 1, 0, 0x4000}));
}

TEST(RndisGolden, QueryMediaConnectStatus) {
  // rndis_filter_query_device with no input buffer: info_buflen 0, offset 20.
  EXPECT_EQ(written([](auto out) { return write_query(2, ndis::Oid::gen_media_connect_status, {}, out); }),
            le32({0x00000004, 28, 2, 0x00010114, 0, 20, 0}));
}

TEST(RndisGolden, SetPacketFilterOnOpen) {
  // rndis_filter_open_device: BROADCAST | ALL_MULTICAST | DIRECTED = 0xd.
  const std::uint32_t filter = ndis::kPacketFilterLinuxOpen;
  EXPECT_EQ(filter, 0x0du);
  EXPECT_EQ(written([&](auto out) {
              return write_set(3, ndis::Oid::gen_current_packet_filter, wire::bytes_of(filter), out);
            }),
            le32({0x00000005, 32, 3, 0x0001010e, 4, 20, 0, 0x0d}));
}

TEST(RndisGolden, Halt) {
  EXPECT_EQ(written([](auto out) { return write_halt(4, out); }), le32({0x00000003, 12, 4}));
}

TEST(RndisGolden, ResetAndKeepalive) {
  EXPECT_EQ(written([](auto out) { return write_reset(out); }), le32({0x00000006, 12, 0}));
  EXPECT_EQ(written([](auto out) { return write_keepalive(9, out); }), le32({0x00000008, 12, 9}));
}

TEST(RndisGolden, QueryRssCapabilities) {
  // The query carries an ndis_recv_scale_cap with its header set:
  // {type 0x88, rev 2, size 18}; msg_len 28 + 18 = 46.
  std::array<std::byte, ndis::kRssCapabilitiesSize> info{};
  ASSERT_TRUE(ndis::write_rss_capabilities_query(info).ok());
  const Bytes expected = cat({le32({0x00000004, 46, 5, 0x00010203, 18, 20, 0}), {0x88, 0x02, 0x12, 0x00}, zeros(14)});
  EXPECT_EQ(written([&](auto out) { return write_query(5, ndis::Oid::gen_receive_scale_capabilities, info, out); }),
            expected);
}

TEST(RndisGolden, QueryOffloadCapabilitiesOn61) {
  // NVSP >= 5: ndis_offload header {0xa7, rev 3, size 156}; msg_len 28 + 156.
  std::array<std::byte, sizeof(ndis::Offload)> info{};
  auto n = ndis::write_offload_query(nvsp::Version::v61, info);
  ASSERT_TRUE(n.ok());
  const Bytes expected = cat({le32({0x00000004, 184, 6, 0xfc01020d, 156, 20, 0}), {0xa7, 0x03, 0x9c, 0x00}, zeros(152)});
  EXPECT_EQ(written([&](auto out) {
              return write_query(6, ndis::Oid::tcp_offload_hardware_capabilities, std::span(info).first(*n), out);
            }),
            expected);
}

TEST(RndisGolden, SetOffloadParametersOn61) {
  // rndis_filter_set_offload_params on NVSP >= 5: 28 bytes, {0x80, rev 3,
  // size 28}; flags (u32) sits at +16 after one byte of natural padding.
  ndis::OffloadParameters p{};
  p.ip_v4_csum = ndis::kOffloadParamTxRxEnabled;
  p.tcp_ip_v4_csum = ndis::kOffloadParamTxRxEnabled;
  p.udp_ip_v4_csum = ndis::kOffloadParamTxRxEnabled;
  p.tcp_ip_v6_csum = ndis::kOffloadParamTxRxEnabled;
  p.udp_ip_v6_csum = ndis::kOffloadParamTxRxEnabled;
  p.lso_v2_ipv4 = ndis::kOffloadParamLsoEnabled;
  p.lso_v2_ipv6 = ndis::kOffloadParamLsoEnabled;
  std::array<std::byte, sizeof p> info{};
  auto n = ndis::write_offload_parameters(p, nvsp::Version::v61, info);
  ASSERT_TRUE(n.ok());
  const Bytes expected = cat({
      le32({0x00000005, 56, 7, 0xfc01020c, 28, 20, 0}),
      {0x80, 0x03, 0x1c, 0x00},                                     // header
      {0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00},  // ip4..tcp6 conn
      {0x00},                                                       // padding
      le32({0}),                                                    // flags
      zeros(8),                                                     // ipsec v2, rsc, encap, tail padding
  });
  EXPECT_EQ(written([&](auto out) {
              return write_set(7, ndis::Oid::tcp_offload_parameters, std::span(info).first(*n), out);
            }),
            expected);
}

TEST(RndisGolden, SetRssParameters) {
  // rndis_set_rss_param_msg: params (40) + 128 u32 entries + 40-byte key;
  // indirect_tabsize is in bytes (4 * 128), the key follows the table.
  std::array<std::uint32_t, 128> table{};
  for (std::uint32_t i = 0; i < table.size(); ++i) table[i] = i % 4;
  std::array<std::byte, ndis::rss_parameters_size(128, 40)> info{};
  auto n = ndis::write_rss_parameters(0, ndis::kHashInfoLinux, rss::kVerificationKey, table, info);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 592u);
  const Bytes message = written([&](auto out) {
    return write_set(8, ndis::Oid::gen_receive_scale_parameters, std::span(info).first(*n), out);
  });
  ASSERT_EQ(message.size(), 620u);
  const Bytes head = cat({
      le32({0x00000005, 620, 8, 0x00010204, 592, 20, 0}),
      {0x89, 0x02, 0x28, 0x00},  // header {RSS_PARAMETERS, rev 2, size 40}
      {0x00, 0x00, 0x00, 0x00},  // flag, base_cpu_number
      le32({0x00001701}),        // hashinfo: TOEPLITZ | IPV4 | TCP_IPV4 | IPV6 | TCP_IPV6
      {0x00, 0x02, 0x00, 0x00},  // indirect_tabsize 512, padding
      le32({40}),                // indirect_taboffset
      {0x28, 0x00, 0x00, 0x00},  // hashkey_size 40, padding
      le32({552, 0, 0, 0}),      // hashkey_offset, processor masks
  });
  EXPECT_EQ(Bytes(message.begin(), message.begin() + 68), head);
  EXPECT_EQ(Bytes(message.begin() + 68, message.begin() + 84), le32({0, 1, 2, 3}));
  EXPECT_EQ(Bytes(message.begin() + 580, message.end()), Bytes(rss::kVerificationKey.begin(), rss::kVerificationKey.end()));
}

TEST(RndisGolden, PacketWithHashVlanAndChecksum) {
  // netvsc_xmit order: hash value, VLAN, then checksum. VLAN 100 priority 5
  // is pri:3 | cfi:1 | vlanid:12 = 5 | 100 << 4 = 0x645; checksum is
  // is_ipv4 | tcp_checksum | tcp_header_offset 34 << 16 = 0x00220005.
  const Bytes frame(60, 0xab);
  Bytes out(256, 0xee);
  PacketBuilder b(test::writable(out));
  ASSERT_TRUE(b.add(ppi::Type::hash_value, 0x51ccc178).ok());
  ASSERT_TRUE(b.add(ppi::Type::ieee_8021q, ppi::vlan_info(100, 5, false)).ok());
  ASSERT_TRUE(b.add(ppi::Type::tcpip_checksum, ppi::tx_checksum_info(ppi::kTxIsIpv4 | ppi::kTxTcpChecksum, 34)).ok());
  auto n = b.finish(test::view(frame));
  ASSERT_TRUE(n.ok());
  out.resize(*n);
  const Bytes expected = cat({
      le32({0x00000001, 152}),               // 44 + 3 * 16 + 60
      le32({84, 60, 0, 0, 0, 36, 48, 0, 0}),  // data_offset 36 + 48, data_len, OOB, PPI at 36, 48 bytes
      le32({16, 8, 12, 0x51ccc178}),          // NBL_HASH_VALUE
      le32({16, 6, 12, 0x00000645}),          // IEEE_8021Q_INFO
      le32({16, 0, 12, 0x00220005}),          // TCPIP_CHKSUM_PKTINFO
      frame,
  });
  EXPECT_EQ(out, expected);
}

TEST(RndisGolden, PacketWithLsoV2) {
  // lso_v2_transmit: mss 1448 | tcp_header_offset 34 << 20 | type (bit 30) = 0x422005a8.
  Bytes out(128, 0xee);
  PacketBuilder b(test::writable(out));
  ASSERT_TRUE(b.add(ppi::Type::tcp_large_send, ppi::lso_v2_info(1448, 34, false)).ok());
  auto header = b.finish(9000);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(*header, 60u);
  out.resize(*header);
  EXPECT_EQ(out, cat({le32({1, 9060}), le32({52, 9000, 0, 0, 0, 36, 16, 0, 0}), le32({16, 2, 12, 0x422005a8})}));
}

TEST(RndisGolden, PacketWithoutPpis) {
  // Linux and DPDK still say per_pkt_info_offset 36 with no records.
  Bytes out(64, 0xee);
  PacketBuilder b(test::writable(out));
  auto header = b.finish(1514);
  ASSERT_TRUE(header.ok());
  out.resize(*header);
  EXPECT_EQ(out, cat({le32({1, 44 + 1514}), le32({36, 1514, 0, 0, 0, 36, 0, 0, 0})}));
}

TEST(RndisGolden, HostReceivePacket) {
  // What hvsim's NIC writes into a receive section: RX checksum
  // (TCP and IP succeeded), the Toeplitz hash and its hash info.
  const Bytes frame(64, 0x11);
  Bytes out(256, 0xee);
  PacketBuilder b(test::writable(out));
  ASSERT_TRUE(b.add(ppi::Type::tcpip_checksum, ppi::kRxTcpChecksumSucceeded | ppi::kRxIpChecksumSucceeded).ok());
  ASSERT_TRUE(b.add(ppi::Type::hash_value, 0x323e8fc2).ok());
  ASSERT_TRUE(b.add(ppi::Type::hash_info, ndis::kHashFunctionToeplitz | ndis::kHashTcpIpv4).ok());
  auto n = b.finish(test::view(frame));
  ASSERT_TRUE(n.ok());
  out.resize(*n);
  EXPECT_EQ(out, cat({le32({1, 156}), le32({84, 64, 0, 0, 0, 36, 48, 0, 0}), le32({16, 0, 12, 0x28}),
                      le32({16, 8, 12, 0x323e8fc2}), le32({16, 9, 12, 0x201}), frame}));
}

TEST(RndisGolden, InternalRecordSetsBit31) {
  Bytes out(128, 0xee);
  PacketBuilder b(test::writable(out));
  const ppi::PktinfoId id{ppi::kPktinfoIdV1, ppi::kPktinfoSuballoc | ppi::kPktinfoFirstFrag, 7};
  ASSERT_TRUE(b.add_record(ppi::kInternalPktinfoId, true, wire::bytes_of(id)).ok());
  ASSERT_TRUE(b.finish(60).ok());
  out.resize(60);
  EXPECT_EQ(Bytes(out.begin() + 44, out.end()), cat({le32({16, 0x80000001, 12}), {0x01, 0x03, 0x07, 0x00}}));
}

TEST(RndisGolden, HostInitializeComplete) {
  const InitializeComplete done = initialize_complete(1, status::kSuccess, 8, 0x4000, 3);
  EXPECT_EQ(written([&](auto out) { return write_initialize_complete(done, out); }),
            le32({0x80000002, 52, 1, 0, 1, 0, 1, 0, 8, 0x4000, 3, 0, 0}));
}

TEST(RndisGolden, HostQueryCompleteWithMac) {
  const Bytes mac{0x00, 0x15, 0x5d, 0x01, 0x02, 0x03};
  EXPECT_EQ(written([&](auto out) { return write_query_complete(2, status::kSuccess, test::view(mac), out); }),
            cat({le32({0x80000004, 30, 2, 0, 6, 16}), mac}));
  // No buffer: the offset still clears the struct.
  EXPECT_EQ(written([&](auto out) { return write_query_complete(3, status::kNotSupported, {}, out); }),
            le32({0x80000004, 24, 3, 0xc00000bb, 0, 16}));
}

TEST(RndisGolden, HostSetResetKeepaliveCompletes) {
  EXPECT_EQ(written([](auto out) { return write_set_complete(3, status::kSuccess, out); }), le32({0x80000005, 16, 3, 0}));
  EXPECT_EQ(written([](auto out) { return write_reset_complete(0, 1, out); }), le32({0x80000006, 16, 0, 1}));
  EXPECT_EQ(written([](auto out) { return write_keepalive_complete(9, 0, out); }), le32({0x80000008, 16, 9, 0}));
}

TEST(RndisGolden, HostIndications) {
  // Media connect carries no buffer; link speed a u32 in 100 bps units
  // (10 Gb/s = 100000000).
  EXPECT_EQ(written([](auto out) { return write_indicate_status(status::kMediaConnect, {}, out); }),
            le32({0x00000007, 20, 0x4001000b, 0, 0}));
  const std::uint32_t speed = 100000000;
  EXPECT_EQ(written([&](auto out) { return write_indicate_status(status::kLinkSpeedChange, wire::bytes_of(speed), out); }),
            le32({0x00000007, 24, 0x40010013, 4, 12, 100000000}));
}

TEST(RndisGolden, WritersReportTheSizeTheyNeed) {
  Bytes small(23);
  EXPECT_EQ(write_initialize(1, test::writable(small)).error(), (vmbus::Error{vmbus::Errc::buffer_too_small, 24}));
  Bytes tiny(16);
  PacketBuilder b(test::writable(tiny));
  EXPECT_EQ(b.add(ppi::Type::hash_value, 1).error(), (vmbus::Error{vmbus::Errc::buffer_too_small, 60}));
  EXPECT_EQ(b.finish(60).error(), (vmbus::Error{vmbus::Errc::buffer_too_small, 44}));
  Bytes header_only(44);
  PacketBuilder c(test::writable(header_only));
  const Bytes frame(10, 1);
  EXPECT_EQ(c.finish(test::view(frame)).error(), (vmbus::Error{vmbus::Errc::buffer_too_small, 54}));
  EXPECT_EQ(c.finish(0u).error(), (vmbus::Error{vmbus::Errc::invalid_argument, 0}));
  EXPECT_EQ(c.add_record(0x80000001, false, {}).error(), (vmbus::Error{vmbus::Errc::invalid_argument, 0x80000001}));
}

}  // namespace
}  // namespace netvsc::rndis
