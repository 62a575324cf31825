// The REMOTE_NDIS_PACKET_MSG parser against every length and offset
// violation, one test each, each with its own (field, violation). Run under
// ASan/UBSan: every malformed message sits in a vector of exactly its size,
// so any read past the bytes given is caught.
#include <gtest/gtest.h>

#include <vector>

#include "netvsc/protocol/rndis_packet.h"
#include "test_bytes.h"

namespace netvsc::rndis {
namespace {

using test::Bytes;
using test::cat;
using test::error;
using test::le32;
using test::put32;
using test::view;

// Offsets of the rndis_packet fields in the message.
constexpr std::size_t kMsgLen = 4, kDataOffset = 8, kDataLen = 12, kOobOffset = 16, kOobLen = 20, kPpiOffset = 28,
                      kPpiLen = 32;
constexpr std::size_t kFirstPpi = 44;  // where the first record starts in good()

// A well-formed packet as a host sends it: hash value and VLAN records,
// then a 20-byte frame. msg_len 44 + 32 + 20 = 96.
Bytes good() {
  Bytes frame(20);
  for (std::size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<std::uint8_t>(i);
  return cat({le32({1, 96}), le32({68, 20, 0, 0, 0, 36, 32, 0, 0}), le32({16, 8, 12, 0xabcd1234}),
              le32({16, 6, 12, 0x645}), frame});
}

ParseError fails(const Bytes& m) {
  auto p = parse_packet(view(m));
  EXPECT_FALSE(p.ok());
  return p.ok() ? ParseError{} : p.error();
}

TEST(RndisPacketParse, GoodPacket) {
  const Bytes m = good();
  auto p = parse_packet(view(m));
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->frame.size(), 20u);
  EXPECT_EQ(std::to_integer<int>(p->frame[19]), 19);
  EXPECT_EQ(p->frame.data(), view(m).data() + 76);
  EXPECT_EQ(p->per_packet_info.size(), 32u);
  EXPECT_TRUE(p->oob.empty());
  EXPECT_EQ(p->info.hash_value, 0xabcd1234u);
  EXPECT_EQ(p->info.vlan, 0x645u);
  EXPECT_EQ(ppi::vlan_id(*p->info.vlan), 100u);
  EXPECT_FALSE(p->info.checksum);
  EXPECT_FALSE(p->info.rsc);
  EXPECT_EQ(p->msg_len, 96u);
}

TEST(RndisPacketParse, BuilderOutputParses) {
  Bytes out(200);
  PacketBuilder b(test::writable(out));
  ASSERT_TRUE(b.add(ppi::Type::tcpip_checksum, 0x28).ok());
  ASSERT_TRUE(b.add(ppi::Type::hash_info, 0x201).ok());
  const Bytes frame(64, 7);
  auto n = b.finish(view(frame));
  ASSERT_TRUE(n.ok());
  auto p = parse_packet(view(out).first(*n));
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(test::copy(p->frame), frame);
  EXPECT_EQ(p->info.checksum, 0x28u);
  EXPECT_EQ(p->info.hash_info, 0x201u);
}

TEST(RndisPacketParse, TrailingBytesAfterMsgLenAreNotPartOfIt) {
  // A receive range or send section may be larger than the message.
  Bytes m = good();
  m.resize(m.size() + 100, 0xff);
  auto p = parse_packet(view(m));
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->msg_len, 96u);
}

TEST(RndisPacketParse, UnalignedDataOffsetIsAccepted) {
  // Neither Linux nor DPDK requires it; only records are held to 4 bytes.
  Bytes m = cat({le32({1, 46}), le32({37, 1, 0, 0, 0, 0, 0, 0, 0}), {0, 0x5a}});
  auto p = parse_packet(view(m));
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(std::to_integer<int>(p->frame[0]), 0x5a);
}

// --- Framing ---

TEST(RndisPacketParse, HeaderTooShort) {
  const Bytes m = {1, 0, 0, 0, 96, 0, 0};
  EXPECT_EQ(fails(m), error(Field::rndis_header, Violation::too_short, 7));
}

TEST(RndisPacketParse, MsgLenBelowHeader) {
  Bytes m = good();
  put32(m, kMsgLen, 4);
  EXPECT_EQ(fails(m), error(Field::rndis_msg_len, Violation::below_minimum, 4));
}

TEST(RndisPacketParse, MsgLenPastTheBytes) {
  Bytes m = good();
  put32(m, kMsgLen, 97);
  EXPECT_EQ(fails(m), error(Field::rndis_msg_len, Violation::out_of_bounds, 97));
}

TEST(RndisPacketParse, NotAPacket) {
  Bytes m = good();
  put32(m, 0, 0x80000004);
  EXPECT_EQ(fails(m), error(Field::rndis_msg_type, Violation::unexpected_value, 0x80000004));
}

TEST(RndisPacketParse, MsgLenShortOfTheStruct) {
  Bytes m = good();
  put32(m, kMsgLen, 43);
  EXPECT_EQ(fails(m), error(Field::rndis_msg_len, Violation::too_short, 43));
}

// --- Data ---

TEST(RndisPacketParse, DataOffsetIntoTheStruct) {
  Bytes m = good();
  put32(m, kDataOffset, 35);
  EXPECT_EQ(fails(m), error(Field::rndis_data_offset, Violation::below_minimum, 35));
}

TEST(RndisPacketParse, DataOffsetPastTheMessage) {
  Bytes m = good();
  put32(m, kDataOffset, 89);  // the body is 88 bytes
  EXPECT_EQ(fails(m), error(Field::rndis_data_offset, Violation::out_of_bounds, 89));
}

TEST(RndisPacketParse, EmptyFrame) {
  Bytes m = good();
  put32(m, kDataLen, 0);
  EXPECT_EQ(fails(m), error(Field::rndis_data_length, Violation::below_minimum, 0));
}

TEST(RndisPacketParse, DataWrapsAround) {
  // 68 + 0xffffffc0 wraps to 40 in 32 bits, which would pass a naive check.
  Bytes m = good();
  put32(m, kDataLen, 0xffffffc0u);
  EXPECT_EQ(fails(m), error(Field::rndis_data_length, Violation::overflow, 0xffffffc0u));
}

TEST(RndisPacketParse, DataPastTheMessage) {
  Bytes m = good();
  put32(m, kDataLen, 21);
  EXPECT_EQ(fails(m), error(Field::rndis_data_length, Violation::out_of_bounds, 21));
}

TEST(RndisPacketParse, DataOffsetAtTheEndWithData) {
  Bytes m = good();
  put32(m, kDataOffset, 88);
  EXPECT_EQ(fails(m), error(Field::rndis_data_length, Violation::out_of_bounds, 20));
}

// --- OOB (checked only when its length is non-zero) ---

TEST(RndisPacketParse, OobOffsetIntoTheStruct) {
  Bytes m = good();
  put32(m, kOobLen, 4);
  put32(m, kOobOffset, 0);
  EXPECT_EQ(fails(m), error(Field::rndis_oob_offset, Violation::below_minimum, 0));
}

TEST(RndisPacketParse, OobOffsetMisaligned) {
  Bytes m = good();
  put32(m, kOobLen, 4);
  put32(m, kOobOffset, 38);
  EXPECT_EQ(fails(m), error(Field::rndis_oob_offset, Violation::misaligned, 38));
}

TEST(RndisPacketParse, OobOffsetPastTheMessage) {
  Bytes m = good();
  put32(m, kOobLen, 4);
  put32(m, kOobOffset, 92);
  EXPECT_EQ(fails(m), error(Field::rndis_oob_offset, Violation::out_of_bounds, 92));
}

TEST(RndisPacketParse, OobWrapsAround) {
  Bytes m = good();
  put32(m, kOobOffset, 36);
  put32(m, kOobLen, 0xfffffff0u);
  EXPECT_EQ(fails(m), error(Field::rndis_oob_length, Violation::overflow, 0xfffffff0u));
}

TEST(RndisPacketParse, OobPastTheMessage) {
  Bytes m = good();
  put32(m, kOobOffset, 84);
  put32(m, kOobLen, 8);
  EXPECT_EQ(fails(m), error(Field::rndis_oob_length, Violation::out_of_bounds, 8));
}

// --- The PPI area ---

TEST(RndisPacketParse, PpiOffsetZeroWithRecords) {
  Bytes m = good();
  put32(m, kPpiOffset, 0);
  EXPECT_EQ(fails(m), error(Field::rndis_ppi_offset, Violation::below_minimum, 0));
}

TEST(RndisPacketParse, PpiOffsetMisaligned) {
  Bytes m = good();
  put32(m, kPpiOffset, 37);
  EXPECT_EQ(fails(m), error(Field::rndis_ppi_offset, Violation::misaligned, 37));
}

TEST(RndisPacketParse, PpiOffsetPastTheMessage) {
  Bytes m = good();
  put32(m, kPpiOffset, 92);
  EXPECT_EQ(fails(m), error(Field::rndis_ppi_offset, Violation::out_of_bounds, 92));
}

TEST(RndisPacketParse, PpiAreaWrapsAround) {
  Bytes m = good();
  put32(m, kPpiLen, 0xffffffe0u);
  EXPECT_EQ(fails(m), error(Field::rndis_ppi_length, Violation::overflow, 0xffffffe0u));
}

TEST(RndisPacketParse, PpiAreaPastTheMessage) {
  // DPDK's hn_rndis_rx_data never compares the PPI area with msg_len.
  Bytes m = good();
  put32(m, kPpiLen, 56);
  EXPECT_EQ(fails(m), error(Field::rndis_ppi_length, Violation::out_of_bounds, 56));
}

TEST(RndisPacketParse, NoRecordsWhenLengthIsZero) {
  Bytes m = good();
  put32(m, kPpiLen, 0);
  put32(m, kPpiOffset, 0xdeadbeef);  // ignored, as Linux and DPDK ignore it
  auto p = parse_packet(view(m));
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(p->per_packet_info.empty());
  EXPECT_FALSE(p->info.hash_value);
}

// --- Records ---

TEST(RndisPacketParse, RecordHeaderCutShort) {
  Bytes m = good();
  put32(m, kPpiLen, 24);  // one whole record, then 8 bytes
  EXPECT_EQ(fails(m), error(Field::ppi_header, Violation::too_short, 8));
}

TEST(RndisPacketParse, RecordOfSizeZero) {
  // A size-0 record would have an unguarded walk spin forever.
  Bytes m = good();
  put32(m, kFirstPpi, 0);
  EXPECT_EQ(fails(m), error(Field::ppi_size, Violation::below_minimum, 0));
}

TEST(RndisPacketParse, RecordSizeBelowItsHeader) {
  Bytes m = good();
  put32(m, kFirstPpi, 8);
  EXPECT_EQ(fails(m), error(Field::ppi_size, Violation::below_minimum, 8));
}

TEST(RndisPacketParse, RecordSizeMisaligned) {
  Bytes m = good();
  put32(m, kFirstPpi, 18);
  EXPECT_EQ(fails(m), error(Field::ppi_size, Violation::misaligned, 18));
}

TEST(RndisPacketParse, RecordPastTheArea) {
  Bytes m = good();
  put32(m, kFirstPpi + 16, 20);  // the second record claims 20 of the 16 bytes left
  EXPECT_EQ(fails(m), error(Field::ppi_size, Violation::out_of_bounds, 20));
}

TEST(RndisPacketParse, RecordValueIntoItsHeader) {
  Bytes m = good();
  put32(m, kFirstPpi + 8, 8);
  EXPECT_EQ(fails(m), error(Field::ppi_offset, Violation::below_minimum, 8));
}

TEST(RndisPacketParse, RecordValuePastTheRecord) {
  Bytes m = good();
  put32(m, kFirstPpi + 8, 16);
  EXPECT_EQ(fails(m), error(Field::ppi_offset, Violation::out_of_bounds, 16));
}

TEST(RndisPacketParse, KnownRecordWithShortValue) {
  Bytes m = good();
  put32(m, kFirstPpi + 8, 13);  // 3 value bytes for a hash value
  EXPECT_EQ(fails(m), error(Field::ppi_data, Violation::too_short, 8));
}

TEST(RndisPacketParse, UnknownAndDuplicateRecords) {
  // An unknown type with a 1-byte value is skipped; of two VLAN records the
  // first wins (rndis_get_ppi returns the first match).
  const Bytes frame(14, 0x22);
  Bytes m = cat({le32({1, 44 + 48 + 14}), le32({84, 14, 0, 0, 0, 36, 48, 0, 0}), le32({16, 11, 15, 0x99}),
                 le32({16, 6, 12, 0x10}), le32({16, 6, 12, 0x20}), frame});
  auto p = parse_packet(view(m));
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->info.vlan, 0x10u);
  std::vector<std::uint32_t> types;
  for (ppi::Record r : p->records()) types.push_back(r.type);
  EXPECT_EQ(types, (std::vector<std::uint32_t>{11, 6, 6}));
}

TEST(RndisPacketParse, RscRecordIsInternal) {
  const Bytes frame(14, 0x22);
  const Bytes m = cat({le32({1, 44 + 16 + 14}), le32({52, 14, 0, 0, 0, 36, 16, 0, 0}), le32({16, 0x80000001, 12}),
                       {0x01, 0x05, 0x34, 0x12}, frame});
  auto p = parse_packet(view(m));
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_TRUE(p->info.rsc);
  EXPECT_EQ(p->info.rsc->flag, ppi::kPktinfoSuballoc | ppi::kPktinfoLastFrag);
  EXPECT_EQ(p->info.rsc->pkt_id, 0x1234);
  EXPECT_FALSE(p->info.checksum);  // type 1 internal is not type 0 or 1
}

TEST(RndisPacketParse, IterationSurvivesBytesChangedAfterParsing) {
  // The receive buffer is shared with the host: it may rewrite a record
  // after validation. The iterator re-checks bounds and stops.
  Bytes m = good();
  auto p = parse_packet(view(m));
  ASSERT_TRUE(p.ok());
  put32(m, kFirstPpi + 16, 0x7fffffff);  // the second record's size, now absurd
  std::size_t seen = 0;
  for (ppi::Record r : p->records()) {
    EXPECT_LE(r.value.size(), p->per_packet_info.size());
    ++seen;
  }
  EXPECT_EQ(seen, 1u);
  put32(m, kFirstPpi, 0);  // and a size of 0 ends it at once
  seen = 0;
  for (ppi::Record r : p->records()) {
    (void)r;
    ++seen;
  }
  EXPECT_EQ(seen, 0u);
}

TEST(RndisPacketParse, ParsesAFramedMessage) {
  const Bytes m = good();
  auto framed = frame(view(m));
  ASSERT_TRUE(framed.ok());
  EXPECT_TRUE(parse_packet(*framed).ok());
}

}  // namespace
}  // namespace netvsc::rndis
