// GuestMemory: registered regions, the client's own memory, and refusals.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "hvsim/guest_memory.h"
#include "unique_fd.h"

namespace hvsim {
namespace {

UniqueFd memfd_of(std::size_t size, bool sealable = true) {
  UniqueFd fd(::memfd_create("test", MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0u)));
  EXPECT_EQ(::ftruncate(fd.get(), static_cast<off_t>(size)), 0);
  return fd;
}

TEST(GuestMemory, ReadsAndWritesARegisteredRegion) {
  GuestMemory m(0);
  UniqueFd fd = memfd_of(8192);
  const int dup = ::dup(fd.get());
  ASSERT_EQ(m.register_region(0x10000, 8192, dup), 0);
  const char text[] = "across the page boundary";
  ASSERT_TRUE(m.write(0x10000 + 4090, std::as_bytes(std::span(text))));
  char back[sizeof text]{};
  ASSERT_TRUE(m.read(0x10000 + 4090, std::as_writable_bytes(std::span(back))));
  EXPECT_STREQ(back, text);
  // The bytes are in the memfd itself.
  char direct[sizeof text]{};
  ASSERT_EQ(::pread(fd.get(), direct, sizeof direct, 4090), static_cast<ssize_t>(sizeof direct));
  EXPECT_STREQ(direct, text);
  // Past the region, with no client process: unreachable.
  std::byte b[16];
  EXPECT_FALSE(m.read(0x10000 + 8190, b));
  EXPECT_FALSE(m.read(0x20000, b));
  EXPECT_EQ(m.by_address_accesses(), 0u);  // registered memory only: never by address
}

TEST(GuestMemory, RefusesBadRegistrations) {
  GuestMemory m(0);
  EXPECT_EQ(m.register_region(0x1000, 4096, memfd_of(4096).release()), 0);
  EXPECT_EQ(m.register_region(0x1000, 4096, memfd_of(4096).release()), -EEXIST);
  EXPECT_EQ(m.register_region(0x0, 8192, memfd_of(8192).release()), -EEXIST);
  EXPECT_EQ(m.register_region(0x3001, 4096, memfd_of(8192).release()), -EINVAL);
  EXPECT_EQ(m.register_region(0x3000, 100, memfd_of(8192).release()), -EINVAL);
  EXPECT_EQ(m.register_region(0x3000, 0, memfd_of(8192).release()), -EINVAL);
  EXPECT_EQ(m.register_region(0x3000, 16384, memfd_of(8192).release()), -EINVAL);  // memfd too small
  EXPECT_EQ(m.register_region(~0ULL & ~0xfffULL, 8192, memfd_of(8192).release()), -EINVAL);  // wraps
  EXPECT_EQ(m.register_region(0x3000, 4096, -1), -EINVAL);
  EXPECT_EQ(m.region_count(), 1u);
}

TEST(GuestMemory, AnUnsealableFileIsReadWithPreadAndSurvivesTruncation) {
  GuestMemory m(0);
  UniqueFd fd = memfd_of(8192, /*sealable=*/false);
  ASSERT_EQ(m.register_region(0, 8192, ::dup(fd.get())), 0);
  std::byte b[64];
  EXPECT_TRUE(m.read(100, b));
  // The client shrinks it: reads fail cleanly instead of faulting.
  ASSERT_EQ(::ftruncate(fd.get(), 0), 0);
  EXPECT_FALSE(m.read(100, b));
}

TEST(GuestMemory, ReachesTheClientProcessByAddress) {
  GuestMemory m(::getpid());
  std::vector<char> buffer(10000, 'x');
  std::strcpy(buffer.data() + 5000, "in the client");
  char back[14]{};
  ASSERT_TRUE(m.read(reinterpret_cast<std::uintptr_t>(buffer.data() + 5000), std::as_writable_bytes(std::span(back))));
  EXPECT_STREQ(back, "in the client");
  const char text[] = "from the host";
  ASSERT_TRUE(m.write(reinterpret_cast<std::uintptr_t>(buffer.data()), std::as_bytes(std::span(text))));
  EXPECT_STREQ(buffer.data(), "from the host");
  EXPECT_EQ(m.by_address_accesses(), 2u);  // the read and the write above
  std::byte b[8];
  EXPECT_FALSE(m.read(8, b));  // unmapped in the client
}

TEST(GuestMemory, ReadRangeWalksTheFramesOfAnMpbRange) {
  GuestMemory m(0);
  UniqueFd fd = memfd_of(4 * 4096);
  std::vector<unsigned char> data(4 * 4096);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 31);
  ASSERT_EQ(::pwrite(fd.get(), data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
  ASSERT_EQ(m.register_region(0x100000, 4 * 4096, fd.release()), 0);
  // Frames out of order: 0x102 then 0x100, 5000 bytes from offset 3000.
  const std::uint64_t pfns[2] = {0x102, 0x100};
  const vmbus::GpaRange range{5000, 3000, std::as_bytes(std::span(pfns))};
  std::vector<std::byte> out(5000);
  auto n = m.read_range(range, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 5000u);
  EXPECT_EQ(std::memcmp(out.data(), data.data() + 2 * 4096 + 3000, 1096), 0);
  EXPECT_EQ(std::memcmp(out.data() + 1096, data.data(), 5000 - 1096), 0);
  std::vector<std::byte> small(10);
  EXPECT_EQ(m.read_range(range, small).error().code, vmbus::Errc::buffer_too_small);
  const std::uint64_t huge[2] = {~0ULL, 0};
  EXPECT_FALSE(m.read_range({5000, 3000, std::as_bytes(std::span(huge))}, out));
  const std::uint64_t one[1] = {0x100};
  EXPECT_FALSE(m.read_range({5000, 3000, std::as_bytes(std::span(one))}, out));  // frames missing
}

}  // namespace
}  // namespace hvsim
