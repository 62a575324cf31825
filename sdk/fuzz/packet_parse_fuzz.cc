// Fuzzes the typed parsers of peer-written packets (transfer pages, GPA
// direct) over arbitrary header bytes: they return an error or ranges that
// lie inside the header, never read past it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "vmbus/packet/gpa_direct.h"
#include "vmbus/packet/transfer_pages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t size) {
  // A private copy with exact bounds, so ASan catches any overread.
  std::vector<std::byte> header(size);
  if (size != 0) std::memcpy(header.data(), input, size);
  vmbus::IncomingPacket packet;
  packet.header = header;

  packet.type = vmbus::PacketType::data_using_transfer_pages;
  if (auto xfer = vmbus::TransferPagePacket::parse(packet)) {
    std::uint64_t sum = 0;
    for (std::uint32_t i = 0; i < xfer->range_count(); ++i) sum += xfer->range(i).byte_count;
    (void)xfer->check_within(sum);
  }

  packet.type = vmbus::PacketType::data_using_gpa_direct;
  if (auto gpa = vmbus::GpaDirectPacket::parse(packet)) {
    std::uint32_t ranges = 0;
    for (vmbus::GpaRange r : *gpa) {
      for (std::uint32_t i = 0; i < r.page_count(); ++i) (void)r.pfn(i);
      ++ranges;
    }
    if (ranges != gpa->range_count()) std::abort();
  }
  return 0;
}
