// DMA memory end to end: the guest (this process) allocates a DmaRegion from
// the echo device that hvsim (a separate process) serves, names bytes in it
// with GPA-direct packets (page buffers and MPB ranges, across page
// boundaries, several per packet), and the echo host replies with the bytes
// it read at those GPAs (an inband packet), then completes the send (0xb).
//
// Which path hvsim used: a registered region is read through hvsim's own
// mapping of the memfd (it shows in hvsim's /proc/<pid>/maps), so it reads
// correctly even while the guest's own pages are PROT_NONE; memory nobody
// registered is read by address (process_vm_readv, IOVA = VA), which fails on
// PROT_NONE pages and makes echo drop the packet. hvsim logs nothing and
// counts nothing per path, so that difference is the evidence.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hvsim_process.h"
#include "open_echo.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"
#include "vmbus/device/dma_region.h"
#include "vmbus/hv_page.h"

namespace vmbus_it {
namespace {

using vmbus::kHvPageSize;


// Byte `i` of what the tests write into a region.
std::byte dma_pattern(std::size_t i) { return static_cast<std::byte>((i * 131u + (i >> 12) * 7u + 1u) & 0xffu); }

// A byte span of the region, by offset.
struct Span {
  std::size_t offset;
  std::uint32_t len;
};

// The next packet on the channel, waiting up to 5 s; nullopt on timeout.
std::optional<vmbus::IncomingPacket> next_packet(vmbus::Channel& ch, std::span<std::byte> buffer,
                                                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (std::uint64_t polls = 0;; ++polls) {
    vmbus::Result<vmbus::IncomingPacket> p = ch.receive(buffer);
    if (p) return *p;
    EXPECT_EQ(p.error().code, vmbus::Errc::empty) << p.error().message();
    if (p.error().code != vmbus::Errc::empty || std::chrono::steady_clock::now() > deadline) return std::nullopt;
    // Two CPUs may be all there is: leave the host thread room to run.
    if (polls % 64 == 0) std::this_thread::yield();
  }
}

// Sends `ranges` with a small payload and checks the echo: the bytes of
// `expected`, in order, then the completion carrying the payload back.
::testing::AssertionResult echoes(vmbus::Channel& ch, vmbus::GpaDirectHeader& ranges,
                                  const std::vector<std::byte>& expected, std::uint64_t trans_id,
                                  const HvsimProcess& sim) {
  const std::byte payload[8] = {std::byte{'r'}, std::byte{'n'}, std::byte{'d'}, std::byte{'i'},
                                std::byte{'s'}, std::byte{0},   std::byte{0},   std::byte{static_cast<unsigned char>(trans_id)}};
  if (vmbus::Status s = ch.send_gpa_direct(ranges, payload, trans_id); !s) {
    return ::testing::AssertionFailure() << "send_gpa_direct: " << s.error().message();
  }
  alignas(8) static std::byte buffer[64 * 1024];
  std::optional<vmbus::IncomingPacket> data = next_packet(ch, buffer);
  if (!data) return ::testing::AssertionFailure() << "no echo of packet " << trans_id << " within 5 s; hvsim log:\n" << sim.log();
  if (data->type != vmbus::PacketType::data_inband || data->trans_id != trans_id) {
    return ::testing::AssertionFailure() << "expected the inband echo of " << trans_id << ", got type "
                                         << static_cast<int>(data->type) << " trans_id " << data->trans_id;
  }
  // The echo's payload is padded to 8 bytes.
  if (data->payload.size() < expected.size() || data->payload.size() >= expected.size() + 8) {
    return ::testing::AssertionFailure() << "echo of " << trans_id << ": " << data->payload.size() << " bytes, named "
                                         << expected.size();
  }
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (data->payload[i] != expected[i]) {
      return ::testing::AssertionFailure() << "echo of " << trans_id << ": byte " << i << " is "
                                           << static_cast<int>(data->payload[i]) << ", expected "
                                           << static_cast<int>(expected[i]);
    }
  }
  std::optional<vmbus::IncomingPacket> done = next_packet(ch, buffer);
  if (!done) return ::testing::AssertionFailure() << "no completion of " << trans_id;
  if (done->type != vmbus::PacketType::completion || done->trans_id != trans_id || done->payload.size() != 8 ||
      std::memcmp(done->payload.data(), payload, 8) != 0) {
    return ::testing::AssertionFailure() << "expected the completion of " << trans_id << ", got type "
                                         << static_cast<int>(done->type) << " trans_id " << done->trans_id;
  }
  if (vmbus::Status s = ch.finish_receive(); !s) return ::testing::AssertionFailure() << s.error().message();
  return ::testing::AssertionSuccess();
}

std::vector<std::byte> bytes_of(const vmbus::DmaRegion& dma, const std::vector<Span>& spans) {
  std::vector<std::byte> out;
  for (const Span& s : spans) out.insert(out.end(), dma.data() + s.offset, dma.data() + s.offset + s.len);
  return out;
}

std::uint64_t echo_counter(const HvsimProcess& sim, const char* name) {
  const nlohmann::json stats = sim.ctl({"stats", "echo"});
  return stats.at("devices").at(0).at("channels").at(0).at("counters").at(name).get<std::uint64_t>();
}

// hvsim's mappings of our DMA memfds ("/memfd:vmbus-dma (deleted)").
std::size_t hvsim_dma_mappings(const HvsimProcess& sim) {
  std::ifstream maps("/proc/" + std::to_string(sim.pid()) + "/maps");
  std::string line;
  std::size_t n = 0;
  while (std::getline(maps, line)) n += line.find("/memfd:vmbus-dma") != std::string::npos;
  return n;
}

TEST(Dma, EchoReadsTheRegionAcrossPagesAndRanges) {
  HvsimProcess sim;
  OpenEcho e = open_echo(sim);
  vmbus::Channel& ch = e.device->channel(0);
  vmbus::DmaRegion dma = e.device->allocate_dma(16 * kHvPageSize);
  ASSERT_EQ(dma.addressing(), vmbus::DmaAddressing::registered);
  ASSERT_EQ(dma.size(), 16 * kHvPageSize);
  for (std::size_t i = 0; i < dma.size(); ++i) dma.data()[i] = dma_pattern(i);

  // Page buffers: three spans, two of them crossing page boundaries.
  {
    const std::vector<Span> spans = {{4000, 5000}, {20000, 100}, {3 * 4096 - 1, 2}};
    vmbus::GpaDirectHeader ranges;
    for (const Span& s : spans) ASSERT_TRUE(dma.add_page_buffers(ranges, s.offset, s.len).ok());
    EXPECT_EQ(ranges.range_count(), 3u + 1u + 2u);  // one entry per frame touched
    EXPECT_TRUE(echoes(ch, ranges, bytes_of(dma, spans), 1, sim));
  }
  // MPB: two multi-page ranges, the first over four pages.
  {
    const std::vector<Span> spans = {{100, 12000}, {40000, 3000}};
    vmbus::GpaDirectHeader ranges;
    for (const Span& s : spans) ASSERT_TRUE(dma.add_mpb_range(ranges, s.offset, s.len).ok());
    EXPECT_EQ(ranges.range_count(), 2u);
    EXPECT_TRUE(echoes(ch, ranges, bytes_of(dma, spans), 2, sim));
  }
  // Both encodings in one packet, spans given as memory, the last page's last byte.
  {
    const std::vector<Span> spans = {{8 * 4096 + 17, 4096}, {dma.size() - 1, 1}, {0, 1}};
    vmbus::GpaDirectHeader ranges;
    ASSERT_TRUE(dma.add_mpb_range(ranges, dma.memory().subspan(spans[0].offset, spans[0].len)).ok());
    ASSERT_TRUE(dma.add_page_buffers(ranges, dma.memory().subspan(spans[1].offset, spans[1].len)).ok());
    ASSERT_TRUE(dma.add_page_buffers(ranges, dma.memory().subspan(spans[2].offset, spans[2].len)).ok());
    EXPECT_TRUE(echoes(ch, ranges, bytes_of(dma, spans), 3, sim));
  }
  // New contents after the completion: the host reads the memory, not a copy.
  for (std::size_t i = 0; i < dma.size(); ++i) dma.data()[i] = ~dma_pattern(i);
  {
    const std::vector<Span> spans = {{4090, 20}};
    vmbus::GpaDirectHeader ranges;
    ASSERT_TRUE(dma.add_page_buffers(ranges, spans[0].offset, spans[0].len).ok());
    EXPECT_TRUE(echoes(ch, ranges, bytes_of(dma, spans), 4, sim));
  }
  EXPECT_EQ(echo_counter(sim, "packets_dropped"), 0u) << sim.log();
}

TEST(Dma, HvsimReadsTheRegisteredRegionThroughItsOwnMapping) {
  HvsimProcess sim;
  OpenEcho e = open_echo(sim);
  vmbus::Channel& ch = e.device->channel(0);
  vmbus::DmaRegion dma = e.device->allocate_dma(4 * kHvPageSize);
  for (std::size_t i = 0; i < dma.size(); ++i) dma.data()[i] = dma_pattern(i);
  EXPECT_EQ(hvsim_dma_mappings(sim), 1u) << "hvsim maps the registered memfd";

  // Memory nobody registered, named by its address (IOVA = VA).
  void* plain_memory = ::mmap(nullptr, 2 * kHvPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(plain_memory, MAP_FAILED);
  auto* plain = static_cast<std::byte*>(plain_memory);
  for (std::size_t i = 0; i < 2 * kHvPageSize; ++i) plain[i] = dma_pattern(i + 12345);
  const auto plain_gpa = reinterpret_cast<std::uintptr_t>(plain);

  // One packet naming both: the two paths agree on what a GPA is.
  {
    vmbus::GpaDirectHeader ranges;
    ASSERT_TRUE(dma.add_page_buffers(ranges, 4000, 200).ok());
    ASSERT_TRUE(ranges.add_buffer(plain_gpa + 4000, 200).ok());
    std::vector<std::byte> expected(dma.data() + 4000, dma.data() + 4200);
    expected.insert(expected.end(), plain + 4000, plain + 4200);
    EXPECT_TRUE(echoes(ch, ranges, expected, 10, sim));
  }

  // The guest's own view of the region gone: hvsim still reads it, so it
  // does not read by address.
  ASSERT_EQ(::mprotect(dma.data(), dma.size(), PROT_NONE), 0);
  {
    vmbus::GpaDirectHeader ranges;
    ASSERT_TRUE(dma.add_mpb_range(ranges, 100, 3 * 4096).ok());
    std::vector<std::byte> expected;
    for (std::size_t i = 100; i < 100 + 3 * 4096; ++i) expected.push_back(dma_pattern(i));
    EXPECT_TRUE(echoes(ch, ranges, expected, 11, sim));
  }
  ASSERT_EQ(::mprotect(dma.data(), dma.size(), PROT_READ | PROT_WRITE), 0);

  // The same for unregistered memory: reading by address fails, echo drops it.
  ASSERT_EQ(::mprotect(plain, 2 * kHvPageSize, PROT_NONE), 0);
  {
    vmbus::GpaDirectHeader ranges;
    ASSERT_TRUE(ranges.add_buffer(plain_gpa + 100, 300).ok());
    const std::byte payload[8] = {};
    ASSERT_TRUE(ch.send_gpa_direct(ranges, payload, 12).ok());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (echo_counter(sim, "packets_dropped") == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(echo_counter(sim, "packets_dropped"), 1u) << sim.log();
    EXPECT_NE(sim.log().find("cannot read the guest memory it names"), std::string::npos) << sim.log();
    alignas(8) static std::byte buffer[4096];
    EXPECT_FALSE(next_packet(ch, buffer, std::chrono::milliseconds(200))) << "a dropped packet has no echo";
  }
  ::munmap(plain, 2 * kHvPageSize);
}

TEST(Dma, TheRegionOutlivesTheDevice) {
  HvsimProcess sim;
  std::optional<vmbus::DmaRegion> dma;
  {
    OpenEcho e = open_echo(sim);
    dma = e.device->allocate_dma(2 * kHvPageSize);
  }  // the Device closes, and the claim is released
  std::memset(dma->data(), 0x42, dma->size());
  EXPECT_EQ(dma->data()[dma->size() - 1], std::byte{0x42});
}

}  // namespace
}  // namespace vmbus_it
