// Fuzzes IncomingRing (and the writer's view of a hostile reader) with
// arbitrary control words and data: whatever a peer writes into shared
// memory, reads stay in bounds, terminate and report valid packets or errors.
//
// Input layout: u32 write_index | u32 read_index | u32 pending_send_sz |
// u8 ops | ring data (up to 3 pages, zero-filled).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "vmbus/packet/builders.h"
#include "vmbus/ring/incoming_ring.h"
#include "vmbus/ring/outgoing_ring.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t size) {
  if (size < 13) return 0;
  constexpr std::size_t kData = 3 * 4096;
  alignas(4096) static std::array<std::byte, 4096 + kData> ring;
  ring.fill(std::byte{0});
  auto memory = vmbus::RingMemory::from(ring);
  check(memory.ok());
  memory->initialize();
  std::uint32_t words[3];
  std::memcpy(words, input, sizeof words);
  const std::uint8_t ops = input[12];
  std::memcpy(memory->data(), input + 13, std::min(size - 13, kData));
  std::memcpy(memory->header_page() + 0, &words[0], 4);
  std::memcpy(memory->header_page() + 4, &words[1], 4);
  std::memcpy(memory->header_page() + 12, &words[2], 4);

  // Reader side: the peer wrote write_index and the data.
  if (auto rx = vmbus::IncomingRing::attach(*memory)) {
    alignas(8) std::array<std::byte, 4096> buffer;
    // Every packet takes at least 24 bytes: this bound is never what stops the loop.
    for (int i = 0; i < 1 + static_cast<int>(kData / 24); ++i) {
      if (ops & 1) {
        auto view = rx->peek();
        if (!view) break;
        check(view->header.size() + view->payload.size() + 16 + 8 == view->ring_size);
        check(view->ring_size <= kData);
        std::byte sink[64];
        (void)view->payload.copy_to(sink);
        check(rx->consume(*view));
      } else {
        auto p = rx->read(buffer);
        if (!p) {
          check(p.error().is_corruption() || p.error().is_flow_control());
          break;
        }
        check(p->payload.data() + p->payload.size() <= buffer.data() + buffer.size());
        (void)vmbus::GpaDirectPacket::parse(*p);
      }
    }
    (void)rx->commit();
    (void)rx->unmask_interrupts();
  }

  // Writer side: the peer wrote read_index, pending_send_sz and the mask.
  if (auto tx = vmbus::OutgoingRing::attach(*memory)) {
    std::array<std::byte, 1500> payload{};
    for (int i = 0; i < (ops >> 1); ++i) {
      if (!tx->write(vmbus::packet::inband(payload, static_cast<std::uint64_t>(i))).ok()) break;
    }
    (void)tx->commit();
    (void)tx->bytes_free();
    (void)tx->request_space_signal(words[2]);
  }
  return 0;
}
