// NVSP parsers against short, mistyped and inconsistent messages: each
// violation comes back as its own (field, violation, value).
#include <gtest/gtest.h>

#include "netvsc/protocol/nvsp_codec.h"
#include "test_bytes.h"

namespace netvsc::nvsp {
namespace {

using test::Bytes;
using test::cat;
using test::error;
using test::le32;
using test::view;
using test::zeros;

TEST(NvspParse, TypeNeedsFourBytes) {
  const Bytes three{1, 0, 0};
  EXPECT_EQ(peek_type(view(three)).error(), error(Field::nvsp_msg_type, Violation::too_short, 3));
  EXPECT_EQ(parse<InitComplete>(view(three)).error(), error(Field::nvsp_msg_type, Violation::too_short, 3));
  EXPECT_EQ(peek_type({}).error(), error(Field::nvsp_msg_type, Violation::too_short, 0));
}

TEST(NvspParse, WrongTypeIsNamed) {
  const Bytes m = cat({le32({105, 1, 6144}), zeros(28)});
  EXPECT_EQ(parse<InitComplete>(view(m)).error(), error(Field::nvsp_msg_type, Violation::unexpected_value, 105));
}

TEST(NvspParse, BodyCutShort) {
  // INIT_COMPLETE needs 4 + 12 bytes.
  const Bytes m = le32({2, 0, 0});
  EXPECT_EQ(parse<InitComplete>(view(m)).error(), error(Field::nvsp_body, Violation::too_short, 16));
}

TEST(NvspParse, InitCompleteFromAPaddedCompletion) {
  const Bytes m = cat({le32({2, 0x60001, 0, 1}), zeros(24)});
  auto done = parse<InitComplete>(view(m));
  ASSERT_TRUE(done.ok()) << done.error().message();
  EXPECT_EQ(done->status, raw(Status::success));
  EXPECT_EQ(done->negotiated_protocol_ver, 0x60001u);
}

TEST(NvspParse, OldHostsSendTwentyEightBytes) {
  // Before 6.1 the host's messages are NVSP_PACKET_SIZE_V1 = 0x1c bytes,
  // exactly room for the receive-buffer completion.
  const Bytes m = le32({102, 1, 1, 0, 1728, 100, 172800});
  ASSERT_EQ(m.size(), kPacketSizeV1);
  auto done = parse<SendReceiveBufferComplete>(view(m));
  ASSERT_TRUE(done.ok()) << done.error().message();
  EXPECT_EQ(done->sections[0].sub_alloc_size, 1728u);
  EXPECT_EQ(done->sections[0].num_sub_allocs, 100u);
  EXPECT_EQ(parse<SendReceiveBufferComplete>(view(m).first(27)).error(),
            error(Field::nvsp_body, Violation::too_short, 28));
}

TEST(NvspParse, RoundTripsEveryGuestRequest) {
  // What the host parses is what the guest encoded.
  auto ndis = parse<SendNdisConfig>(encode(SendNdisConfig{1514, 0, 0x4ac}).bytes());
  ASSERT_TRUE(ndis.ok());
  EXPECT_EQ(ndis->mtu, 1514u);
  EXPECT_EQ(ndis->capability, 0x4acu);
  auto rndis = parse<SendRndisPacket>(encode(SendRndisPacket{0, 3, 60}).bytes());
  ASSERT_TRUE(rndis.ok());
  EXPECT_EQ(rndis->send_buf_section_index, 3u);
  auto sub = parse<SubchannelRequest>(encode(SubchannelRequest{1, 4}).bytes());
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->num_subchannels, 4u);
  auto rb = parse<SendReceiveBuffer>(encode(SendReceiveBuffer{9, kReceiveBufferId}).bytes());
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(rb->id, kReceiveBufferId);
}

SendReceiveBufferComplete receive_buffer(std::uint32_t sections, std::uint32_t offset, std::uint32_t size,
                                         std::uint32_t count) {
  return SendReceiveBufferComplete{1, sections, {{offset, size, count, offset + size * count}}};
}

TEST(NvspCheckReceiveBuffer, AcceptsOneSectionInsideTheBuffer) {
  EXPECT_TRUE(check_receive_buffer(receive_buffer(1, 0, 1728, 9709), kReceiveBufferDefault).ok());
}

TEST(NvspCheckReceiveBuffer, EachViolation) {
  constexpr std::uint32_t size = kReceiveBufferDefault;
  EXPECT_EQ(check_receive_buffer(receive_buffer(0, 0, 1728, 10), size).error(),
            error(Field::recv_buf_num_sections, Violation::unexpected_value, 0));
  EXPECT_EQ(check_receive_buffer(receive_buffer(2, 0, 1728, 10), size).error(),
            error(Field::recv_buf_num_sections, Violation::unexpected_value, 2));
  EXPECT_EQ(check_receive_buffer(receive_buffer(1, 64, 1728, 10), size).error(),
            error(Field::recv_buf_section_offset, Violation::unexpected_value, 64));
  EXPECT_EQ(check_receive_buffer(receive_buffer(1, 0, 0, 10), size).error(),
            error(Field::recv_buf_sub_alloc_size, Violation::below_minimum, 0));
  // 9710 sections of 1728 bytes are one too many for 16 MiB.
  EXPECT_EQ(check_receive_buffer(receive_buffer(1, 0, 1728, 9710), size).error(),
            error(Field::recv_buf_num_sub_allocs, Violation::out_of_bounds, 1728ull * 9710));
  // The product is taken in 64 bits: no wrap lets a huge count through.
  EXPECT_EQ(check_receive_buffer(receive_buffer(1, 0, 0x10000, 0x10000), size).error(),
            error(Field::recv_buf_num_sub_allocs, Violation::out_of_bounds, 0x100000000ull));
}

TEST(NvspCheckSendBuffer, EachViolation) {
  EXPECT_TRUE(check_send_buffer({1, 6144}, kSendBufferDefault).ok());
  EXPECT_EQ(check_send_buffer({1, 0}, kSendBufferDefault).error(),
            error(Field::send_buf_section_size, Violation::below_minimum, 0));
  EXPECT_EQ(check_send_buffer({1, 6146}, kSendBufferDefault).error(),
            error(Field::send_buf_section_size, Violation::misaligned, 6146));
  EXPECT_EQ(check_send_buffer({1, 2u << 20}, kSendBufferDefault).error(),
            error(Field::send_buf_section_size, Violation::out_of_bounds, 2u << 20));
}

Bytes table_message(std::uint32_t count, std::uint32_t offset, std::size_t entries_at, std::size_t total) {
  Bytes m = cat({le32({134, count, offset}), zeros(total - 12)});
  for (std::uint32_t i = 0; i < 16 && entries_at + 4 * i + 4 <= total; ++i) test::put32(m, entries_at + 4 * i, 100 + i);
  return m;
}

TEST(NvspSendTable, ParsesTheTableAfterTheHeader) {
  const Bytes m = table_message(16, 12, 12, 80);  // 76 bytes, padded to 80 by VMBus
  auto t = parse_send_indirection_table(view(m), Version::v61);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->entries[0], 100u);
  EXPECT_EQ(t->entries[15], 115u);
  // Short enough that the NVSP <= 6 fix-up does not apply either.
  ASSERT_TRUE(parse_send_indirection_table(view(m), Version::v5).ok());
  EXPECT_EQ(parse_send_indirection_table(view(m), Version::v5)->entries[15], 115u);
}

TEST(NvspSendTable, OldHostsWrongOffsetIsIgnored) {
  // netvsc_send_table: on NVSP <= 6 the table follows a whole 40-byte
  // nvsp_message whatever the offset says.
  const Bytes m = table_message(16, 4, 40, 104);
  auto t = parse_send_indirection_table(view(m), Version::v6);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->entries[0], 100u);
  // On 6.1 the offset is trusted, and 4 would overlap the header.
  EXPECT_EQ(parse_send_indirection_table(view(m), Version::v61).error(),
            error(Field::send_table_offset, Violation::below_minimum, 4));
}

TEST(NvspSendTable, EachViolation) {
  EXPECT_EQ(parse_send_indirection_table(view(table_message(8, 12, 12, 80)), Version::v61).error(),
            error(Field::send_table_count, Violation::unexpected_value, 8));
  EXPECT_EQ(parse_send_indirection_table(view(table_message(16, 0xfffffff0u, 12, 80)), Version::v61).error(),
            error(Field::send_table_offset, Violation::overflow, 0xfffffff0u));
  EXPECT_EQ(parse_send_indirection_table(view(table_message(16, 20, 12, 80)), Version::v61).error(),
            error(Field::send_table_offset, Violation::out_of_bounds, 20));
  EXPECT_EQ(parse_send_indirection_table(view(le32({134, 16})), Version::v61).error(),
            error(Field::nvsp_body, Violation::too_short, 12));
}

TEST(NvspParse, ErrorsReadWell) {
  const ParseError e = error(Field::send_table_offset, Violation::out_of_bounds, 20);
  EXPECT_EQ(e.message(), "send_table.offset: out of bounds (value 20)");
  EXPECT_EQ(e.to_error(), (vmbus::Error{vmbus::Errc::malformed_packet, 20}));
  EXPECT_TRUE(e.to_error().is_corruption());
}

}  // namespace
}  // namespace netvsc::nvsp
