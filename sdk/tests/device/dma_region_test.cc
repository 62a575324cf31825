// DmaRegion's frame table over memory with made-up frames: page and GPA
// lookups, bounds, GPA-direct entries across page boundaries (page buffers
// and MPB ranges, read back with the host's parser), atomic refusals, and
// the constructor's checks. No backing, no root.
#include "vmbus/device/dma_region.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../ring_test_support.h"
#include "vmbus/packet/gpa_direct.h"

namespace {

using vmbus::DeviceError;
using vmbus::DmaAddressing;
using vmbus::DmaRegion;
using vmbus::Errc;
using vmbus::GpaDirectHeader;
using vmbus::GpaRange;
using vmbus::kHvPageSize;
using vmbus::test::HasError;
using vmbus::test::IsOk;

// Anonymous memory of `pages` 4 KiB pages, unmapped with the last owner.
std::shared_ptr<const vmbus::MappedRegion> anonymous(std::size_t pages) {
  const std::size_t size = pages * kHvPageSize;
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
  return std::make_shared<const vmbus::MappedRegion>(p, size);
}

// Four pages whose frames are neither contiguous nor ordered, as on the kernel.
constexpr std::uint64_t kFrames[4] = {100, 7, 300, 301};
DmaRegion four_pages() {
  return DmaRegion(anonymous(4), std::vector<std::uint64_t>(std::begin(kFrames), std::end(kFrames)),
                   DmaAddressing::physical);
}

// The ranges of a GPA-direct header as the host parses them.
struct Parsed {
  std::uint32_t len;
  std::uint32_t offset;
  std::vector<std::uint64_t> pfns;
  bool operator==(const Parsed&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Parsed& p) {
  os << "{len " << p.len << ", offset " << p.offset << ", pfns";
  for (std::uint64_t f : p.pfns) os << " " << f;
  return os << "}";
}
std::vector<Parsed> parse(GpaDirectHeader& header) {
  vmbus::IncomingPacket packet;
  packet.type = vmbus::PacketType::data_using_gpa_direct;
  packet.header = header.bytes();
  auto gpa = vmbus::GpaDirectPacket::parse(packet);
  EXPECT_TRUE(gpa.ok()) << (gpa ? "" : gpa.error().message());
  std::vector<Parsed> out;
  if (!gpa) return out;
  for (const GpaRange r : *gpa) {
    Parsed p{r.len, r.offset, {}};
    for (std::uint32_t i = 0; i < r.page_count(); ++i) p.pfns.push_back(r.pfn(i));
    out.push_back(p);
  }
  return out;
}

TEST(DmaRegion, PageAndGpaLookups) {
  const DmaRegion dma = four_pages();
  ASSERT_TRUE(dma);
  EXPECT_EQ(dma.size(), 4 * kHvPageSize);
  EXPECT_EQ(dma.page_count(), 4u);
  EXPECT_EQ(dma.page_size(), kHvPageSize);
  EXPECT_EQ(dma.addressing(), DmaAddressing::physical);
  EXPECT_EQ(dma.memory().size(), dma.size());
  for (std::size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(IsOk(dma.pfn(i)));
    EXPECT_EQ(*dma.pfn(i), kFrames[i]);
    EXPECT_EQ(dma.frames()[i], kFrames[i]);
  }
  EXPECT_EQ(*dma.gpa(0), 100u << 12);
  EXPECT_EQ(*dma.gpa(4095), (100u << 12) + 4095);
  EXPECT_EQ(*dma.gpa(4096), 7u << 12);  // the next page is somewhere else entirely
  EXPECT_EQ(*dma.gpa(3 * 4096 + 17), (301u << 12) + 17);
  EXPECT_EQ(*dma.gpa(dma.size() - 1), (301u << 12) + 4095);
}

TEST(DmaRegion, LookupsPastTheEndAreRefused) {
  const DmaRegion dma = four_pages();
  EXPECT_TRUE(HasError(dma.pfn(4), Errc::invalid_argument, 4));
  EXPECT_TRUE(HasError(dma.pfn(SIZE_MAX), Errc::invalid_argument, SIZE_MAX));
  EXPECT_TRUE(HasError(dma.gpa(dma.size()), Errc::invalid_argument, dma.size()));
  EXPECT_TRUE(HasError(dma.gpa(SIZE_MAX), Errc::invalid_argument, SIZE_MAX));
  const DmaRegion empty;
  EXPECT_FALSE(empty);
  EXPECT_EQ(empty.addressing(), DmaAddressing::none);
  EXPECT_TRUE(HasError(empty.pfn(0), Errc::invalid_argument, 0));
  EXPECT_TRUE(HasError(empty.gpa(0), Errc::invalid_argument, 0));
}

TEST(DmaRegion, OffsetOfASpanInside) {
  const DmaRegion dma = four_pages();
  const std::span<std::byte> all = dma.memory();
  EXPECT_EQ(*dma.offset_of(all), 0u);
  EXPECT_EQ(*dma.offset_of(all.subspan(5000, 100)), 5000u);
  EXPECT_EQ(*dma.offset_of(all.last(1)), all.size() - 1);
  EXPECT_TRUE(HasError(dma.offset_of({}), Errc::invalid_argument, 0));
  // Straddling the end, and wholly elsewhere.
  const std::span<const std::byte> past(all.data() + all.size() - 10, 20);
  EXPECT_TRUE(HasError(dma.offset_of(past), Errc::invalid_argument, 0));
  std::byte outside[16]{};
  EXPECT_TRUE(HasError(dma.offset_of(outside), Errc::invalid_argument, 0));
}

TEST(DmaRegion, RangeNamesEveryFrameItTouches) {
  const DmaRegion dma = four_pages();
  // 5000 bytes from 4000: the last 96 of page 0, all of page 1, 808 of page 2.
  auto r = dma.range(4000, 5000);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->len, 5000u);
  EXPECT_EQ(r->offset, 4000u);
  ASSERT_EQ(r->page_count(), 3u);
  EXPECT_EQ(r->pfn(0), 100u);
  EXPECT_EQ(r->pfn(1), 7u);
  EXPECT_EQ(r->pfn(2), 300u);
  // Inside one page, and the whole region.
  auto one = dma.range(8192 + 10, 20);
  ASSERT_TRUE(IsOk(one));
  EXPECT_EQ(one->offset, 10u);
  ASSERT_EQ(one->page_count(), 1u);
  EXPECT_EQ(one->pfn(0), 300u);
  auto all = dma.range(0, static_cast<std::uint32_t>(dma.size()));
  ASSERT_TRUE(IsOk(all));
  EXPECT_EQ(all->page_count(), 4u);
  // Ending exactly at a page boundary touches no extra frame.
  EXPECT_EQ(dma.range(0, 4096)->page_count(), 1u);
}

TEST(DmaRegion, RangesOutsideTheRegionAreRefused) {
  const DmaRegion dma = four_pages();
  EXPECT_TRUE(HasError(dma.range(0, 0), Errc::invalid_argument, 0));
  EXPECT_TRUE(HasError(dma.range(dma.size() - 10, 11), Errc::invalid_argument, dma.size() + 1));
  EXPECT_TRUE(HasError(dma.range(dma.size(), 1), Errc::invalid_argument, dma.size() + 1));
  EXPECT_TRUE(HasError(dma.range(SIZE_MAX, 1), Errc::invalid_argument, std::uint64_t{SIZE_MAX} + 1));
  EXPECT_TRUE(HasError(dma.range(0, UINT32_MAX), Errc::invalid_argument, UINT32_MAX));
}

TEST(DmaRegion, PageBuffersSplitAtEveryFrameBoundary) {
  const DmaRegion dma = four_pages();
  GpaDirectHeader header;
  ASSERT_TRUE(IsOk(dma.add_page_buffers(header, 4000, 5000)));
  EXPECT_EQ(header.range_count(), 3u);
  EXPECT_EQ(header.page_count(), 3u);
  const std::vector<Parsed> expected = {{96, 4000, {100}}, {4096, 0, {7}}, {808, 0, {300}}};
  EXPECT_EQ(parse(header), expected);
}

TEST(DmaRegion, MpbRangeListsTheFramesOfOneSpan) {
  const DmaRegion dma = four_pages();
  GpaDirectHeader header;
  ASSERT_TRUE(IsOk(dma.add_mpb_range(header, 4000, 5000)));
  EXPECT_EQ(header.range_count(), 1u);
  EXPECT_EQ(header.page_count(), 3u);
  const std::vector<Parsed> expected = {{5000, 4000, {100, 7, 300}}};
  EXPECT_EQ(parse(header), expected);
}

TEST(DmaRegion, SeveralSpansInOneHeader) {
  const DmaRegion dma = four_pages();
  GpaDirectHeader header;
  const std::span<std::byte> all = dma.memory();
  ASSERT_TRUE(IsOk(dma.add_page_buffers(header, all.subspan(100, 50))));
  ASSERT_TRUE(IsOk(dma.add_mpb_range(header, all.subspan(3 * 4096 - 1, 2))));
  ASSERT_TRUE(IsOk(dma.add_page_buffers(header, 2 * 4096 + 4000, 200)));
  const std::vector<Parsed> expected = {
      {50, 100, {100}}, {2, 4095, {300, 301}}, {96, 4000, {300}}, {104, 0, {301}}};
  EXPECT_EQ(parse(header), expected);
}

TEST(DmaRegion, SpansOutsideTheRegionLeaveTheHeaderAlone) {
  const DmaRegion dma = four_pages();
  GpaDirectHeader header;
  ASSERT_TRUE(IsOk(dma.add_page_buffers(header, 0, 10)));
  EXPECT_TRUE(HasError(dma.add_page_buffers(header, 0, 0), Errc::invalid_argument, 0));
  EXPECT_TRUE(HasError(dma.add_page_buffers(header, dma.size() - 1, 2), Errc::invalid_argument, dma.size() + 1));
  EXPECT_TRUE(HasError(dma.add_mpb_range(header, dma.size(), 1), Errc::invalid_argument, dma.size() + 1));
  std::byte outside[64]{};
  EXPECT_TRUE(HasError(dma.add_page_buffers(header, outside), Errc::invalid_argument, 0));
  EXPECT_TRUE(HasError(dma.add_mpb_range(header, outside), Errc::invalid_argument, 0));
  EXPECT_EQ(header.range_count(), 1u);
  EXPECT_EQ(header.page_count(), 1u);
}

TEST(DmaRegion, MoreThan32FramesAreRefusedWhole) {
  // 40 pages of frames 1000, 1002, ...: nothing merges.
  std::vector<std::uint64_t> frames;
  for (std::uint64_t i = 0; i < 40; ++i) frames.push_back(1000 + 2 * i);
  const DmaRegion dma(anonymous(40), frames, DmaAddressing::physical);
  GpaDirectHeader header;
  ASSERT_TRUE(IsOk(dma.add_page_buffers(header, 0, 30 * 4096)));
  ASSERT_EQ(header.page_count(), 30u);
  // 4098 bytes from the last byte of page 29 touch 3 frames: 33, refused, and
  // the header keeps its 30.
  EXPECT_TRUE(HasError(dma.add_page_buffers(header, 30 * 4096 - 1, 4098), Errc::too_many_pages, 33));
  EXPECT_TRUE(HasError(dma.add_mpb_range(header, 30 * 4096 - 1, 4098), Errc::too_many_pages, 33));
  EXPECT_EQ(header.page_count(), 30u);
  EXPECT_EQ(header.range_count(), 30u);
  // Exactly 32 is the kernel's MAX_PAGE_BUFFER_COUNT: accepted.
  EXPECT_TRUE(IsOk(dma.add_mpb_range(header, 35 * 4096 + 1, 4096)));
  EXPECT_EQ(header.page_count(), 32u);
}

TEST(DmaRegion, MovingHandsTheMemoryOver) {
  DmaRegion a = four_pages();
  std::byte* data = a.data();
  DmaRegion b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_EQ(a.page_count(), 0u);
  EXPECT_EQ(b.data(), data);
  EXPECT_EQ(*b.pfn(1), 7u);
  DmaRegion c;
  c = std::move(b);
  EXPECT_EQ(c.data(), data);
  c.data()[c.size() - 1] = std::byte{1};  // still mapped
}

TEST(DmaRegion, TheRegionSharesItsMapping) {
  auto memory = anonymous(1);
  std::weak_ptr<const vmbus::MappedRegion> watch = memory;
  {
    const DmaRegion dma(memory, {5}, DmaAddressing::registered);
    memory.reset();
    EXPECT_FALSE(watch.expired()) << "the region keeps its memory";
  }
  EXPECT_TRUE(watch.expired());
}

void expect_refused(std::shared_ptr<const vmbus::MappedRegion> memory, std::vector<std::uint64_t> frames,
                    DmaAddressing addressing, std::size_t page_size, const std::string& text) {
  try {
    DmaRegion dma(std::move(memory), std::move(frames), addressing, page_size);
    ADD_FAILURE() << "accepted; expected an error with \"" << text << "\"";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(DmaRegion, TheConstructorChecksWhatItIsGiven) {
  const auto two = anonymous(2);
  expect_refused(nullptr, {}, DmaAddressing::physical, 4096, "no memory");
  expect_refused(std::make_shared<const vmbus::MappedRegion>(), {}, DmaAddressing::physical, 4096, "no memory");
  expect_refused(two, {1, 2}, DmaAddressing::none, 4096, "addressing none");
  expect_refused(two, {1}, DmaAddressing::physical, 4096, "1 frames for 8192 bytes");
  expect_refused(two, {1, 2, 3}, DmaAddressing::physical, 4096, "3 frames for 8192 bytes");
  expect_refused(two, {1, std::uint64_t{1} << 52}, DmaAddressing::physical, 4096, "page 1: frame");
  expect_refused(two, {1, 2}, DmaAddressing::physical, 0, "page size 0");
  expect_refused(two, {1, 2}, DmaAddressing::physical, 3 * 4096, "page size 12288");
  // Mappings that are not whole, aligned pages.
  void* p = ::mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  expect_refused(std::make_shared<const vmbus::MappedRegion>(static_cast<std::byte*>(p) + 8, 4096), {1},
                 DmaAddressing::physical, 4096, "not 4 KiB-aligned");  // its munmap fails: EINVAL
  ::munmap(p, 2 * 4096);
  p = ::mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  expect_refused(std::make_shared<const vmbus::MappedRegion>(p, 5000), {1, 2}, DmaAddressing::physical, 4096,
                 "5000 bytes is not a multiple of 4 KiB");  // munmap rounds up: both pages go
  // The largest frame whose GPA fits 64 bits is fine.
  const DmaRegion top(two, {(std::uint64_t{1} << 52) - 2, (std::uint64_t{1} << 52) - 1}, DmaAddressing::physical);
  EXPECT_EQ(*top.gpa(top.size() - 1), UINT64_MAX);
}

}  // namespace
