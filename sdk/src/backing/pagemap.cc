// physical_frames: /proc/self/pagemap, read once per region. See pagemap.h.
#include "pagemap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "backing_errors.h"
#include "unique_fd.h"
#include "vmbus/hv_page.h"

namespace vmbus::detail {

namespace {

// Documentation/admin-guide/mm/pagemap.rst
constexpr std::uint64_t kPresent = std::uint64_t{1} << 63;
constexpr std::uint64_t kSwapped = std::uint64_t{1} << 62;
constexpr std::uint64_t kPfnMask = (std::uint64_t{1} << 55) - 1;

// Entries read per pread: 4 KiB of buffer covers 2 MiB of 4 KiB pages.
constexpr std::size_t kChunk = 512;

}  // namespace

std::vector<std::uint64_t> physical_frames(std::string_view what, const std::byte* data, std::size_t size,
                                           const std::filesystem::path& pagemap) {
  const long system_page = ::sysconf(_SC_PAGESIZE);
  const std::size_t page = system_page > 0 ? static_cast<std::size_t>(system_page) : std::size_t{kHvPageSize};
  const auto address = reinterpret_cast<std::uintptr_t>(data);
  const std::string where = pagemap.string();
  auto fail = [&](const std::string& detail) { throw_device_error(what, where + ": " + detail); };
  if (address % page != 0 || size % page != 0) {
    fail("asked for " + std::to_string(size) + " bytes at " + std::to_string(address) +
         ", not whole system pages of " + std::to_string(page));
  }

  UniqueFd fd(::open(pagemap.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) fail("cannot open: " + errno_text(errno));

  // HV_HYP_PAGE_SIZE frames per system page: 1 on x86, 16 with 64 KiB pages.
  const std::size_t per_page = page / kHvPageSize;
  const std::size_t pages = size / page;
  std::vector<std::uint64_t> frames;
  frames.reserve(pages * per_page);
  std::uint64_t entries[kChunk];
  for (std::size_t done = 0; done < pages;) {
    const std::size_t want = pages - done < kChunk ? pages - done : kChunk;
    const auto offset = static_cast<off_t>((address / page + done) * sizeof(std::uint64_t));
    ssize_t n;
    do {
      n = ::pread(fd.get(), entries, want * sizeof(std::uint64_t), offset);
    } while (n < 0 && errno == EINTR);
    if (n < 0) fail("read at " + std::to_string(offset) + ": " + errno_text(errno));
    if (n == 0 || n % static_cast<ssize_t>(sizeof(std::uint64_t)) != 0) {
      fail("read at " + std::to_string(offset) + " returned " + std::to_string(n) + " bytes, expected whole entries");
    }
    const std::size_t got = static_cast<std::size_t>(n) / sizeof(std::uint64_t);
    for (std::size_t i = 0; i < got; ++i) {
      const std::uint64_t e = entries[i];
      auto which = [&] { return "page " + std::to_string(done + i) + " of the region"; };
      if ((e & kSwapped) != 0) fail(which() + " is swapped out although it was locked");
      if ((e & kPresent) == 0) fail(which() + " is not present although it was locked and touched");
      const std::uint64_t pfn = e & kPfnMask;
      if (pfn == 0) {
        fail("frame numbers read as 0: reading them needs CAP_SYS_ADMIN (Linux 4.2 and later hide them "
             "otherwise): run the driver as root or give it CAP_SYS_ADMIN");
      }
      for (std::size_t k = 0; k < per_page; ++k) frames.push_back(pfn * per_page + k);
    }
    done += got;
  }
  return frames;
}

}  // namespace vmbus::detail
