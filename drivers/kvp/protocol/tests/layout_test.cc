// The layouts and constants against Linux: every size and offset from
// include/uapi/linux/hyperv.h and include/linux/hyperv.h, as GCC lays the C
// structs out (checked by compiling them: sizeof(struct hv_kvp_msg) is 7432,
// sizeof(struct hv_kvp_ip_msg) 7428). The headers static_assert the same
// numbers; this file states them where a reader looks for the facts, and
// checks the field positions through bytes, not only offsetof.
#include <gtest/gtest.h>

#include <cstring>

#include "kvp/protocol/host.h"
#include "kvp/protocol/ic.h"
#include "kvp/protocol/kvp_msg.h"

namespace kvp::layout_test {

TEST(KvpLayout, IcFraming) {
  EXPECT_EQ(sizeof(ic::PipeHeader), 8u);
  EXPECT_EQ(sizeof(ic::MessageHeader), 20u);
  EXPECT_EQ(ic::kIcMsgHdr, 28u);
  EXPECT_EQ(sizeof(ic::NegotiateHeader), 8u);
  EXPECT_EQ(ic::negotiate_packet_size(2, 3), 28u + 8u + 20u);
  EXPECT_EQ(ic::kMaxPacketSize, 16384u);
  // The fields a guest rewrites, as payload offsets.
  EXPECT_EQ(ic::kIcMsgSizeOffset, 18u);
  EXPECT_EQ(ic::kStatusOffset, 20u);
  EXPECT_EQ(ic::kIcFlagsOffset, 25u);
}

TEST(KvpLayout, IcHeaderFieldsThroughBytes) {
  ic::MessageHeader h{};
  h.icverframe = {0x0102, 0x0304};
  h.icmsgtype = 0x0506;
  h.icvermsg = {0x0708, 0x090a};
  h.icmsgsize = 0x0b0c;
  h.status = 0x11121314;
  h.ictransaction_id = 0x15;
  h.icflags = 0x16;
  const std::uint8_t expected[20] = {0x02, 0x01, 0x04, 0x03, 0x06, 0x05, 0x08, 0x07, 0x0a, 0x09,
                                     0x0c, 0x0b, 0x14, 0x13, 0x12, 0x11, 0x15, 0x16, 0x00, 0x00};
  EXPECT_EQ(std::memcmp(&h, expected, sizeof expected), 0);
}

TEST(KvpLayout, KvpStructsMatchLinux) {
  EXPECT_EQ(sizeof(KvpHeader), 4u);
  EXPECT_EQ(sizeof(ExchangeValue), 2572u);
  EXPECT_EQ(sizeof(EnumerateBody), 2576u);
  EXPECT_EQ(sizeof(DeleteBody), 516u);
  EXPECT_EQ(sizeof(IpAddrValue), 7426u);
  EXPECT_EQ(sizeof(IpMessage), 7428u);
  // Not 7430: the body union is 4-aligned by hv_kvp_msg_delete.
  EXPECT_EQ(sizeof(KvpBody), 7428u);
  EXPECT_EQ(sizeof(KvpMessage), 7432u);
}

TEST(KvpLayout, OffsetsInsideAKvpMessage) {
  EXPECT_EQ(kExchangeValueOffset, 4u);
  EXPECT_EQ(kEnumerateValueOffset, 8u);
  EXPECT_EQ(kIpValueOffset, 2u);
  EXPECT_EQ(kGetSetMessageSize, 2576u);
  EXPECT_EQ(kDeleteMessageSize, 520u);
  EXPECT_EQ(kEnumerateMessageSize, 2580u);
  EXPECT_EQ(kIpMessageSize, 7428u);
  EXPECT_EQ(message_size_for(Operation::get), 2576u);
  EXPECT_EQ(message_size_for(Operation::set), 2576u);
  EXPECT_EQ(message_size_for(Operation::delete_key), 520u);
  EXPECT_EQ(message_size_for(Operation::enumerate), 2580u);
  EXPECT_EQ(message_size_for(Operation::get_ip_info), 7428u);
  EXPECT_EQ(message_size_for(Operation::set_ip_info), 7428u);
  // What a host sends: ICMSG_HDR + 2580, ICMSG_HDR + 7428, both multiples of 8.
  EXPECT_EQ(host::request_message_size(Operation::delete_key), 2580u);
  EXPECT_EQ(host::request_message_size(Operation::set_ip_info), 7428u);
  EXPECT_EQ(host::kMaxRequestSize, 7456u);
}

TEST(KvpLayout, ExchangeValueFieldsThroughBytes) {
  ExchangeValue v{};
  v.value_type = 0x01020304;
  v.key_size = 0x05060708;
  v.value_size = 0x090a0b0c;
  v.key[0] = 0xaa;
  v.value[0] = 0xbb;
  const auto* b = reinterpret_cast<const std::uint8_t*>(&v);
  EXPECT_EQ(b[0], 0x04);
  EXPECT_EQ(b[4], 0x08);
  EXPECT_EQ(b[8], 0x0c);
  EXPECT_EQ(b[12], 0xaa);
  EXPECT_EQ(b[524], 0xbb);
}

TEST(KvpLayout, Constants) {
  EXPECT_EQ(raw(ic::MessageType::negotiate), 0);
  EXPECT_EQ(raw(ic::MessageType::heartbeat), 1);
  EXPECT_EQ(raw(ic::MessageType::kvp_exchange), 2);
  EXPECT_EQ(raw(ic::MessageType::shutdown), 3);
  EXPECT_EQ(raw(ic::MessageType::timesync), 4);
  EXPECT_EQ(raw(ic::MessageType::vss), 5);
  EXPECT_EQ(raw(ic::MessageType::fcopy), 7);
  EXPECT_EQ(ic::kFlagTransaction, 1);
  EXPECT_EQ(ic::kFlagRequest, 2);
  EXPECT_EQ(ic::kFlagResponse, 4);
  EXPECT_EQ(ic::kHvSCont, 0x80070103u);
  EXPECT_EQ(ic::kHvEFail, 0x80004005u);
  EXPECT_EQ(ic::kHvInvalidArg, 0x80070057u);
  EXPECT_EQ(raw(Operation::get), 0);
  EXPECT_EQ(raw(Operation::set_ip_info), 5);
  EXPECT_EQ(kOperationCount, 6);
  EXPECT_EQ(raw(Pool::auto_internal), 4);
  EXPECT_EQ(kPoolCount, 5);
  EXPECT_EQ(kRegSz, 1u);
  EXPECT_EQ(kRegU32, 4u);
  EXPECT_EQ(kRegU64, 8u);
  EXPECT_EQ(kMaxKeySize, 512u);
  EXPECT_EQ(kMaxValueSize, 2048u);
}

}  // namespace kvp::layout_test
