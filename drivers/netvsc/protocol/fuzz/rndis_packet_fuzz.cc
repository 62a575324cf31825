// Fuzzes the parsers of peer-written RNDIS bytes: REMOTE_NDIS_PACKET_MSG
// (the guest's receive path, the host's transmit path), the framing of
// messages packed back to back, the control replies and requests, and the
// NDIS objects inside their buffers. Each returns an error or windows that
// lie inside the bytes given; every byte of every window is read, so ASan
// catches any window that does not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "netvsc/protocol/ndis_offload.h"
#include "netvsc/protocol/ndis_rss.h"
#include "netvsc/protocol/nvsp_codec.h"
#include "netvsc/protocol/rndis_control.h"
#include "netvsc/protocol/rndis_packet.h"

namespace {

volatile std::uint8_t sink;

// Reads every byte of `window` and checks it lies inside `whole`.
void touch(std::span<const std::byte> window, std::span<const std::byte> whole) {
  if (window.empty()) return;
  if (window.data() < whole.data() || window.data() + window.size() > whole.data() + whole.size()) std::abort();
  std::uint8_t x = 0;
  for (std::byte b : window) x = static_cast<std::uint8_t>(x ^ std::to_integer<std::uint8_t>(b));
  sink = x;
}

void packet(const netvsc::rndis::MessageView& m) {
  auto p = netvsc::rndis::parse_packet(m);
  if (!p) return;
  if (p->frame.empty() || p->msg_len != m.length()) std::abort();
  touch(p->frame, m.bytes);
  touch(p->per_packet_info, m.bytes);
  touch(p->oob, m.bytes);
  std::size_t records = 0;
  for (netvsc::ppi::Record r : p->records()) {
    touch(r.value, p->per_packet_info);
    if (++records > p->per_packet_info.size() / netvsc::ppi::kHeaderSize) std::abort();
  }
}

void control(const netvsc::rndis::MessageView& m) {
  using netvsc::rndis::MessageType;
  switch (static_cast<MessageType>(m.type)) {
    case MessageType::initialize_complete:
      (void)netvsc::rndis::parse_initialize_complete(m);
      break;
    case MessageType::query_complete:
      if (auto r = netvsc::rndis::parse_query_complete(m)) {
        touch(r->info, m.bytes);
        (void)netvsc::ndis::parse_offload(r->info);
        (void)netvsc::ndis::parse_rss_capabilities(r->info);
      }
      break;
    case MessageType::indicate_status:
      if (auto s = netvsc::rndis::parse_indicate_status(m)) {
        touch(s->buffer, m.bytes);
        (void)netvsc::rndis::link_speed(*s);
      }
      break;
    case MessageType::query:
      if (auto q = netvsc::rndis::parse_query_request(m)) touch(q->info, m.bytes);
      break;
    case MessageType::set:
      if (auto s = netvsc::rndis::parse_set_request(m)) {
        touch(s->info, m.bytes);
        if (auto rss = netvsc::ndis::parse_rss_parameters(s->info)) {
          if (rss->table().size() > netvsc::ndis::kRssTableMaxEntries) std::abort();
          if (rss->key().size() > netvsc::ndis::kRssKeyMaxSize) std::abort();
        }
        (void)netvsc::ndis::parse_offload_parameters(s->info);
      }
      break;
    default:
      (void)netvsc::rndis::request_id(m);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t size) {
  // A private copy with exact bounds, so ASan catches any overread.
  std::vector<std::byte> bytes(size);
  if (size != 0) std::memcpy(bytes.data(), input, size);
  const std::span<const std::byte> whole(bytes);

  // One message, as a receive range holds it.
  if (auto m = netvsc::rndis::frame(whole)) {
    if (m->length() > size) std::abort();
    packet(*m);
    control(*m);
  }

  // Messages back to back, as a send-buffer section holds them.
  std::size_t seen = 0;
  for (netvsc::rndis::MessageCursor c(whole); !c.done();) {
    auto m = c.next();
    if (!m) break;
    if (++seen > size / netvsc::rndis::kHeaderSize) std::abort();  // every message is >= 8 bytes
    packet(*m);
  }

  // The NVSP table the host sends, under both offset rules.
  (void)netvsc::nvsp::parse_send_indirection_table(whole, netvsc::nvsp::Version::v6);
  (void)netvsc::nvsp::parse_send_indirection_table(whole, netvsc::nvsp::Version::v61);
  return 0;
}
