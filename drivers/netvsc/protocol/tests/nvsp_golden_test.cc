// Golden bytes for NVSP: each message encoded as Linux's netvsc.c sends it,
// compared with bytes written out by hand from struct nvsp_message in
// drivers/net/hyperv/hyperv_net.h. The derivation, once: the message is
// `u32 msg_type` followed by the union of bodies, all little-endian and
// packed; the sender memsets the 40-byte struct, fills the body and sends
// sizeof(struct nvsp_message) bytes. So every request is
//   +0 type | +4 body fields in declaration order | zeros up to byte 40.
// Host-side messages (completions, the send table) follow the same structs
// and OpenVMM's VSP for the table's layout.
#include <gtest/gtest.h>

#include "netvsc/protocol/nvsp_codec.h"
#include "vmbus/packet/descriptor.h"
#include "test_bytes.h"

namespace netvsc::nvsp {
namespace {

using test::Bytes;
using test::cat;
using test::le32;
using test::zeros;

Bytes bytes(const Message& m) { return test::copy(m.bytes()); }

TEST(NvspGolden, InitOffersOneVersion) {
  // negotiate_nvsp_ver: min_protocol_ver = max_protocol_ver = 0x60001.
  const Bytes expected = cat({le32({1, 0x00060001, 0x00060001}), zeros(28)});
  EXPECT_EQ(bytes(encode(Init{raw(Version::v61), raw(Version::v61)})), expected);
  EXPECT_EQ(expected.size(), 40u);
}

TEST(NvspGolden, InitVersionOneIsTwo) {
  // NVSP_PROTOCOL_VERSION_1 is 2 ("0.2").
  EXPECT_EQ(bytes(encode(Init{raw(Version::v1), raw(Version::v1)})), cat({le32({1, 2, 2}), zeros(28)}));
}

TEST(NvspGolden, NdisConfigAsLinuxSendsItOn61) {
  // send_ndis_config: mtu = 1500 + ETH_HLEN, capability = ieee8021q (bit 3)
  // | allowrscdisabledstatus (10) | sriov (2) | teaming (5) | rsc (7) = 0x4ac.
  const Bytes expected = {
      0x7d, 0x00, 0x00, 0x00,                          // NVSP_MSG2_TYPE_SEND_NDIS_CONFIG = 125
      0xea, 0x05, 0x00, 0x00,                          // mtu 1514
      0x00, 0x00, 0x00, 0x00,                          // reserved
      0xac, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // capability (u64 at +12)
      0,    0,    0,    0,    0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  };
  EXPECT_EQ(linux_capabilities(Version::v61), 0x4acu);
  EXPECT_EQ(bytes(encode(SendNdisConfig{1500 + 14, 0, linux_capabilities(Version::v61)})), expected);
}

TEST(NvspGolden, NdisConfigCapabilitiesByVersion) {
  EXPECT_EQ(linux_capabilities(Version::v2), kCapIeee8021q | kCapAllowRscDisabledStatus);
  EXPECT_EQ(linux_capabilities(Version::v5), kCapIeee8021q | kCapAllowRscDisabledStatus | kCapSriov | kCapTeaming);
}

TEST(NvspGolden, NdisVersionFollowsNvspVersion) {
  // netvsc_connect_vsp: 6.1 for NVSP <= 4, 6.30 (0x1e) above.
  EXPECT_EQ(bytes(encode(ndis_version_message(Version::v61))), cat({le32({100, 6, 0x1e}), zeros(28)}));
  EXPECT_EQ(bytes(encode(ndis_version_message(Version::v4))), cat({le32({100, 6, 1}), zeros(28)}));
}

TEST(NvspGolden, SendReceiveBuffer) {
  // struct nvsp_1_message_send_receive_buffer is packed: u32 gpadl, u16 id.
  const Bytes expected = cat({le32({101, 0x12345678}), {0xfe, 0xca}, zeros(30)});
  EXPECT_EQ(bytes(encode(SendReceiveBuffer{0x12345678, kReceiveBufferId})), expected);
}

TEST(NvspGolden, SendSendBuffer) {
  const Bytes expected = cat({le32({104, 0x9abcdef0}), {0x00, 0x00}, zeros(30)});
  EXPECT_EQ(bytes(encode(SendSendBuffer{0x9abcdef0, kSendBufferIdLinux})), expected);
}

TEST(NvspGolden, RevokeBuffers) {
  // netvsc_revoke_buf: u16 id right after the type.
  EXPECT_EQ(bytes(encode(RevokeReceiveBuffer{kReceiveBufferId})), cat({le32({103}), {0xfe, 0xca}, zeros(34)}));
  EXPECT_EQ(bytes(encode(RevokeSendBuffer{kSendBufferIdLinux})), cat({le32({106}), zeros(36)}));
}

TEST(NvspGolden, SendRndisPacketThroughSendBufferSection) {
  // netvsc_send_pkt: channel_type 0 (data), the section index and the bytes used.
  const Bytes expected = cat({le32({107, 0, 7, 1514}), zeros(24)});
  EXPECT_EQ(bytes(encode(SendRndisPacket{raw(ChannelType::data), 7, 1514})), expected);
}

TEST(NvspGolden, SendRndisControlMessageWithoutSection) {
  // A control message in GPA ranges: channel 1, index 0xffffffff, size 0.
  const Bytes expected = cat({le32({107, 1, 0xffffffff, 0}), zeros(24)});
  EXPECT_EQ(bytes(encode(SendRndisPacket{1, kSendSectionIndexNone, 0})), expected);
}

TEST(NvspGolden, ReceiveCompletionIsEightBytes) {
  // send_recv_completions sends header + send_rndis_pkt_complete only.
  EXPECT_EQ(bytes(encode_unpadded(SendRndisPacketComplete{raw(Status::success)})), le32({108, 1}));
}

TEST(NvspGolden, SubchannelRequest) {
  // rndis_set_subchannel: op ALLOCATE (1), num_chn - 1.
  EXPECT_EQ(bytes(encode(SubchannelRequest{kSubchannelAllocate, 7})), cat({le32({133, 1, 7}), zeros(28)}));
}

TEST(NvspGolden, SwitchDataPath) {
  // netvsc_switch_datapath.
  EXPECT_EQ(bytes(encode(SwitchDataPath{raw(DataPath::vf)})), cat({le32({129, 1}), zeros(32)}));
}

TEST(NvspGolden, HostCompletions) {
  EXPECT_EQ(bytes(encode(InitComplete{0, 0, raw(Status::success)})), cat({le32({2, 0, 0, 1}), zeros(24)}));
  // One section of 16 MiB / 1728-byte sub-allocations.
  const std::uint32_t count = kReceiveBufferDefault / kRecvSectionSize;
  SendReceiveBufferComplete rb{raw(Status::success), 1, {{0, kRecvSectionSize, count, count * kRecvSectionSize}}};
  EXPECT_EQ(bytes(encode(rb)), cat({le32({102, 1, 1, 0, 1728, count, count * 1728}), zeros(12)}));
  EXPECT_EQ(bytes(encode(SendSendBufferComplete{1, kSendSectionSize})), cat({le32({105, 1, 6144}), zeros(28)}));
  EXPECT_EQ(bytes(encode(SubchannelComplete{1, 3})), cat({le32({133, 1, 3}), zeros(28)}));
  EXPECT_EQ(bytes(encode(SendVfAssociation{1, 42})), cat({le32({128, 1, 42}), zeros(28)}));
}

TEST(NvspGolden, SendIndirectionTableAsOpenVmmSendsIt) {
  SendTable table;
  for (std::uint32_t i = 0; i < table.entries.size(); ++i) table.entries[i] = i % 4;
  Bytes out(80, 0xee);
  auto n = encode_send_indirection_table(table, test::writable(out));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 76u);
  out.resize(*n);
  EXPECT_EQ(out, cat({le32({134, 16, 12}), le32({0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3})}));
}

TEST(NvspGolden, SendIndirectionTableNeedsRoom) {
  Bytes out(75);
  auto n = encode_send_indirection_table(SendTable{}, test::writable(out));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error(), (vmbus::Error{vmbus::Errc::buffer_too_small, 76}));
}

TEST(NvspGolden, SizesExplainTheHostQuirk) {
  // A bare INIT is 12 bytes, 16 with VMBus padding: under the 32 bytes below
  // which Hyper-V never replies. Every encoded request clears it.
  EXPECT_EQ(encode_unpadded(Init{2, 2}).size(), 12u);
  EXPECT_LT(vmbus::align8(encode_unpadded(Init{2, 2}).size()), kHostMinimumRequestSize);
  EXPECT_GE(encode(Init{2, 2}).size(), kHostMinimumRequestSize);
  EXPECT_EQ(encode(SendNdisConfig{}).size(), kMessageSize);
}

}  // namespace
}  // namespace netvsc::nvsp
