// Where DMA memory comes from, on each backing:
//   - the kernel's (any character device opens as one: /dev/null stands in
//     for /dev/uioN, since allocating touches no device): locked memfd pages
//     translated through this machine's /proc/self/pagemap, then the errors
//     a user meets (size, RLIMIT_MEMLOCK, hidden frame numbers, hugepages),
//     the last ones in forked children that drop a capability;
//   - pagemap entries the kernel never shows (fake pagemap files);
//   - an endpoint's (FakeHost, a thread speaking the endpoint protocol):
//     registration at GPA = address, and the mapping kept until the
//     connection ends;
//   - Device::allocate_dma over an endpoint, before and after a rescind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "../../src/backing/pagemap.h"
#include "../channel/device_test_support.h"
#include "device_test_util.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/device/device.h"
#include "vmbus/device/dma_region.h"

namespace {

namespace fs = std::filesystem;
using vmbus::DeviceError;
using vmbus::DmaAddressing;
using vmbus::DmaOptions;
using vmbus::DmaRegion;
using vmbus::kHvPageSize;
using vmbus::test::error_of;

constexpr std::uint64_t kPfnMask = (std::uint64_t{1} << 55) - 1;

// This machine's pagemap entry for the page holding `address`.
std::uint64_t pagemap_entry(const void* address) {
  const int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::uint64_t entry = 0;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const auto offset = static_cast<off_t>(reinterpret_cast<std::uintptr_t>(address) / page * sizeof entry);
  if (::pread(fd, &entry, sizeof entry, offset) != static_cast<ssize_t>(sizeof entry)) entry = 0;
  ::close(fd);
  return entry;
}

// Frame numbers are hidden without CAP_SYS_ADMIN (Linux 4.2): nothing to check then.
bool pagemap_shows_frames() {
  static int probe = 0;
  probe = 1;  // resident
  return (pagemap_entry(&probe) & kPfnMask) != 0;
}

// A field of /proc/self/status or /proc/meminfo, e.g. "VmLck:" (the number only).
std::uint64_t proc_field(const char* file, const std::string& name) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) == 0) return std::stoull(line.substr(name.size()));
  }
  return 0;
}

// Clears `cap` from this process's effective capabilities (in a forked child).
bool drop_effective_capability(unsigned cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  data[cap / 32].effective &= ~(1u << (cap % 32));
  return ::syscall(SYS_capset, &header, data) == 0;
}

// ---- The kernel's backing -------------------------------------------------

TEST(KernelDma, FramesComeFromThisMachinesPagemap) {
  if (!pagemap_shows_frames()) GTEST_SKIP() << "/proc/self/pagemap shows zero frame numbers (no CAP_SYS_ADMIN)";
  auto backing = vmbus::open_backing("/dev/null");
  const std::uint64_t locked_before = proc_field("/proc/self/status", "VmLck:");
  DmaRegion dma = backing->allocate_dma(5 * kHvPageSize + 1, DmaOptions{});
  ASSERT_TRUE(dma);
  EXPECT_EQ(dma.addressing(), DmaAddressing::physical);
  EXPECT_EQ(dma.size(), 6 * kHvPageSize);  // rounded up to whole pages
  EXPECT_EQ(dma.page_count(), 6u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(dma.data()) % static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE)), 0u);
  EXPECT_GE(proc_field("/proc/self/status", "VmLck:") - locked_before, dma.size() / 1024) << "mlock'ed, in KiB";

  std::set<std::uint64_t> distinct;
  for (std::size_t i = 0; i < dma.page_count(); ++i) {
    const std::uint64_t frame = *dma.pfn(i);
    EXPECT_NE(frame, 0u) << "page " << i;
    distinct.insert(frame);
    // What the kernel says now, read independently (4 KiB system pages here).
    if (::sysconf(_SC_PAGESIZE) == static_cast<long>(kHvPageSize)) {
      EXPECT_EQ(pagemap_entry(dma.data() + i * kHvPageSize) & kPfnMask, frame) << "page " << i;
    }
    EXPECT_EQ(*dma.gpa(i * kHvPageSize + 123), (frame << 12) + 123);
  }
  EXPECT_EQ(distinct.size(), dma.page_count()) << "every page has its own frame";
  // The memory is ours to use, zeroed.
  for (std::size_t i = 0; i < dma.size(); i += 997) EXPECT_EQ(dma.data()[i], std::byte{0});
  std::memset(dma.data(), 0x5a, dma.size());
}

TEST(KernelDma, TheRegionOutlivesTheBacking) {
  if (!pagemap_shows_frames()) GTEST_SKIP() << "/proc/self/pagemap shows zero frame numbers (no CAP_SYS_ADMIN)";
  DmaRegion dma = vmbus::open_backing("/dev/null")->allocate_dma(kHvPageSize, DmaOptions{});
  dma.data()[100] = std::byte{7};  // still mapped
  EXPECT_EQ(dma.data()[100], std::byte{7});
}

TEST(KernelDma, SizesAreChecked) {
  auto backing = vmbus::open_backing("/dev/null");
  const std::string zero = error_of([&] { (void)backing->allocate_dma(0, DmaOptions{}); });
  EXPECT_NE(zero.find("uio /dev/null: DMA memory of 0 bytes: the size must be at least 1 byte"), std::string::npos)
      << zero;
  const std::string huge = error_of([&] { (void)backing->allocate_dma(SIZE_MAX, DmaOptions{}); });
  EXPECT_NE(huge.find("more than the 140737488355328 bytes a region can hold"), std::string::npos) << huge;
}

TEST(KernelDma, HugepagesWhenFreeOtherwise4KiB) {
  if (!pagemap_shows_frames()) GTEST_SKIP() << "/proc/self/pagemap shows zero frame numbers (no CAP_SYS_ADMIN)";
  auto backing = vmbus::open_backing("/dev/null");
  const std::uint64_t free = proc_field("/proc/meminfo", "HugePages_Free:");
  DmaRegion dma = backing->allocate_dma(100 * 1000, DmaOptions{.hugepages = true});
  if (free == 0) {
    EXPECT_EQ(dma.page_size(), static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))) << "fell back";
    EXPECT_EQ(dma.size(), 25 * kHvPageSize);
    const std::string required =
        error_of([&] { (void)backing->allocate_dma(4096, DmaOptions{.hugepages = true, .require_hugepages = true}); });
    EXPECT_NE(required.find("not enough free hugepages"), std::string::npos) << required;
    EXPECT_NE(required.find("vm.nr_hugepages"), std::string::npos) << required;
  } else {
    EXPECT_GT(dma.page_size(), kHvPageSize);
    EXPECT_EQ(dma.size() % dma.page_size(), 0u);
    // Inside one hugepage the frames run on.
    const std::size_t per_huge = dma.page_size() / kHvPageSize;
    for (std::size_t i = 1; i < per_huge; ++i) EXPECT_EQ(*dma.pfn(i), *dma.pfn(0) + i) << "page " << i;
  }
}

// Forked children (EXPECT_EXIT): print the error allocate_dma throws, exit 0.
[[noreturn]] void allocate_over_a_small_memlock_limit(vmbus::DeviceBacking& backing) {
  // CAP_IPC_LOCK would let root lock past the limit.
  if (!drop_effective_capability(CAP_IPC_LOCK)) std::_Exit(2);
  const rlimit limit{64 * 1024, 64 * 1024};
  if (::setrlimit(RLIMIT_MEMLOCK, &limit) != 0) std::_Exit(3);
  std::fprintf(stderr, "%s\n", error_of([&] { (void)backing.allocate_dma(1 << 20, DmaOptions{}); }).c_str());
  std::_Exit(0);
}
[[noreturn]] void allocate_without_cap_sys_admin(vmbus::DeviceBacking& backing) {
  // pagemap_read shows frames only to an opener with CAP_SYS_ADMIN.
  if (!drop_effective_capability(CAP_SYS_ADMIN)) std::_Exit(2);
  std::fprintf(stderr, "%s\n", error_of([&] { (void)backing.allocate_dma(8192, DmaOptions{}); }).c_str());
  std::_Exit(0);
}

TEST(KernelDma, LockingOverRlimitMemlockNamesTheLimit) {
  // Re-executes the test in the child: fork() alone warns under TSan (its own thread).
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto backing = vmbus::open_backing("/dev/null");
  EXPECT_EXIT(allocate_over_a_small_memlock_limit(*backing), ::testing::ExitedWithCode(0),
              "mlock refused .*RLIMIT_MEMLOCK is 65536 bytes; raise it");
}

TEST(KernelDma, HiddenFrameNumbersAreAClearError) {
  // Re-executes the test in the child: fork() alone warns under TSan (its own thread).
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto backing = vmbus::open_backing("/dev/null");
  EXPECT_EXIT(allocate_without_cap_sys_admin(*backing), ::testing::ExitedWithCode(0),
              "frame numbers read as 0: reading them needs CAP_SYS_ADMIN");
}

// ---- Pagemap entries the kernel would not show ------------------------------

// A sparse file with `entries` at the offsets pagemap gives `data`.
struct FakePagemap {
  vmbus::test::TempDir dir;
  fs::path path = dir.path() / "pagemap";
  FakePagemap(const void* data, const std::vector<std::uint64_t>& entries) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const auto offset = static_cast<off_t>(reinterpret_cast<std::uintptr_t>(data) / page * 8);
    EXPECT_EQ(::pwrite(fd, entries.data(), entries.size() * 8, offset), static_cast<ssize_t>(entries.size() * 8));
    ::close(fd);
  }
};

TEST(Pagemap, EntriesBecomeHyperVFrames) {
  if (::sysconf(_SC_PAGESIZE) != static_cast<long>(kHvPageSize)) GTEST_SKIP() << "written for 4 KiB pages";
  alignas(4096) static std::byte memory[3 * 4096];
  constexpr std::uint64_t kPresent = std::uint64_t{1} << 63;
  // Bits 55-61 (soft-dirty, exclusive, file) are not part of the frame.
  const FakePagemap map(memory, {kPresent | 0x1234, kPresent | (std::uint64_t{1} << 56) | 99, kPresent | 5});
  const auto frames = vmbus::detail::physical_frames("test", memory, sizeof memory, map.path);
  EXPECT_EQ(frames, (std::vector<std::uint64_t>{0x1234, 99, 5}));
}

TEST(Pagemap, WhatTheKernelShouldNeverSayIsAnError) {
  if (::sysconf(_SC_PAGESIZE) != static_cast<long>(kHvPageSize)) GTEST_SKIP() << "written for 4 KiB pages";
  alignas(4096) static std::byte memory[2 * 4096];
  constexpr std::uint64_t kPresent = std::uint64_t{1} << 63;
  constexpr std::uint64_t kSwapped = std::uint64_t{1} << 62;
  auto error = [&](std::vector<std::uint64_t> entries) {
    const FakePagemap map(memory, entries);
    return error_of([&] { (void)vmbus::detail::physical_frames("test", memory, sizeof memory, map.path); });
  };
  EXPECT_NE(error({kPresent | 1, kPresent}).find("needs CAP_SYS_ADMIN"), std::string::npos);
  EXPECT_NE(error({kPresent | 1, 0}).find("page 1 of the region is not present"), std::string::npos);
  EXPECT_NE(error({kSwapped | 77, kPresent | 1}).find("page 0 of the region is swapped out"), std::string::npos);
  // A file that ends early, and none at all.
  const std::string short_file = error({kPresent | 1});
  EXPECT_NE(short_file.find("returned 0 bytes"), std::string::npos) << short_file;
  const std::string missing =
      error_of([&] { (void)vmbus::detail::physical_frames("test", memory, sizeof memory, "/nonexistent/pagemap"); });
  EXPECT_NE(missing.find("test: /nonexistent/pagemap: cannot open"), std::string::npos) << missing;
  const std::string ragged = error_of([&] { (void)vmbus::detail::physical_frames("test", memory + 8, 4096); });
  EXPECT_NE(ragged.find("not whole system pages"), std::string::npos) << ragged;
}

// ---- An endpoint's backing ------------------------------------------------

// The line of /proc/self/maps that starts at `address`, or "".
std::string maps_line(const void* address) {
  std::ostringstream start;
  start << std::hex << reinterpret_cast<std::uintptr_t>(address) << "-";
  std::ifstream in("/proc/self/maps");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(start.str(), 0) == 0) return line;
  }
  return "";
}

TEST(EndpointDma, RegisteredAtItsOwnAddress) {
  vmbus::test::FakeHost host(vmbus::test::small_maps());
  auto backing = vmbus::open_backing(host.path());
  DmaRegion dma = backing->allocate_dma(3 * kHvPageSize - 100, DmaOptions{});
  ASSERT_TRUE(dma);
  EXPECT_EQ(dma.addressing(), DmaAddressing::registered);
  EXPECT_EQ(dma.size(), 3 * kHvPageSize);
  const auto base = reinterpret_cast<std::uintptr_t>(dma.data());
  for (std::size_t i = 0; i < dma.page_count(); ++i) EXPECT_EQ(*dma.pfn(i), base / kHvPageSize + i);
  EXPECT_EQ(*dma.gpa(5000), base + 5000);  // GPA = VA
  const auto registered = host.registered();
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_EQ(registered[0].first, base);
  EXPECT_EQ(registered[0].second, dma.size());
  EXPECT_NE(maps_line(dma.data()).find("/memfd:vmbus-dma"), std::string::npos) << maps_line(dma.data());
}

TEST(EndpointDma, RegisteredMemoryStaysMappedUntilTheConnectionEnds) {
  vmbus::test::FakeHost host(vmbus::test::small_maps());
  auto backing = vmbus::open_backing(host.path());
  const void* address = nullptr;
  {
    DmaRegion dma = backing->allocate_dma(kHvPageSize, DmaOptions{});
    address = dma.data();
  }
  // The host may still resolve those GPAs to its copy: the addresses stay taken.
  EXPECT_NE(maps_line(address).find("/memfd:vmbus-dma"), std::string::npos) << "unmapped while registered";
  backing.reset();
  EXPECT_EQ(maps_line(address), "") << "still mapped after the connection closed";
}

TEST(EndpointDma, TheRegionOutlivesTheBacking) {
  vmbus::test::FakeHost host(vmbus::test::small_maps());
  auto backing = vmbus::open_backing(host.path());
  DmaRegion dma = backing->allocate_dma(2 * kHvPageSize, DmaOptions{});
  backing.reset();
  std::memset(dma.data(), 0x33, dma.size());  // still mapped
  EXPECT_EQ(dma.data()[dma.size() - 1], std::byte{0x33});
  EXPECT_NE(maps_line(dma.data()), "");
}

TEST(DeviceDma, AllocatesThroughItsBackingUntilRescinded) {
  vmbus::test::TempDir root;
  const fs::path sysfs_dir = root.path() / "sys/bus/vmbus/devices" / vmbus::test::kDeviceGuid;
  fs::create_directories(sysfs_dir / "channels");
  vmbus::test::FakeHost host(vmbus::test::small_maps());
  auto dev = vmbus::Device::open(vmbus::test::uio_device_info(sysfs_dir, host.path(), vmbus::test::small_maps()));
  DmaRegion dma = dev->allocate_dma(10000);
  EXPECT_EQ(dma.addressing(), DmaAddressing::registered);
  EXPECT_EQ(host.registered().size(), 1u);

  host.rescind();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!dev->rescinded() && std::chrono::steady_clock::now() < deadline) (void)dev->wait(std::chrono::milliseconds(50));
  ASSERT_TRUE(dev->rescinded());
  const std::string after = error_of([&] { (void)dev->allocate_dma(4096); });
  EXPECT_NE(after.find("the device was rescinded"), std::string::npos) << after;
  dev.reset();
  dma.data()[0] = std::byte{1};  // outlives the Device
}

// ---- A provider without DMA memory ----------------------------------------

class NoDmaBacking final : public vmbus::DeviceBacking {
 public:
  vmbus::MappedRegion map(std::uint32_t, std::size_t) override { return {}; }
  int event_fd() const noexcept override { return -1; }
  vmbus::Result<std::uint32_t> take_interrupts() noexcept override { return std::uint32_t{0}; }
  vmbus::Status irqcontrol(std::int32_t) noexcept override { return {}; }
  std::string describe() const override { return "test backing"; }
};

TEST(DeviceBackingDma, AProviderWithoutItSaysSo) {
  NoDmaBacking backing;
  const std::string e = error_of([&] { (void)backing.allocate_dma(4096, DmaOptions{}); });
  EXPECT_NE(e.find("test backing: cannot allocate DMA memory (4096 bytes)"), std::string::npos) << e;
}

}  // namespace
