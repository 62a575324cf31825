// vmbus_channel: a device's vmbus::Channel (vmbus/channel/channel.h) as C
// calls: inband sends, receives into the caller's buffer, the interrupt mask.
#include <cstring>
#include <span>
#include <string>

#include "c_api.h"
#include "vmbus/packet/builders.h"

namespace {

int null_channel(const char* what) { return vmbus_c::fail(-EINVAL, std::string(what) + ": channel is NULL"); }

}  // namespace

extern "C" int vmbus_channel_send_inband(vmbus_channel* channel, const void* data, size_t len, uint64_t trans_id,
                                         uint32_t flags) {
  constexpr const char* what = "vmbus_channel_send_inband";
  if (channel == nullptr) return null_channel(what);
  if (data == nullptr && len != 0) return vmbus_c::fail(-EINVAL, "vmbus_channel_send_inband: data is NULL");
  const std::span<const std::byte> payload(static_cast<const std::byte*>(data), len);
  const vmbus::OutgoingPacket packet =
      vmbus::packet::inband(payload, trans_id, (flags & VMBUS_SEND_COMPLETION_REQUESTED) != 0);
  if ((flags & VMBUS_SEND_NO_FLUSH) != 0) return vmbus_c::from_status(channel->channel->write(packet), what);
  return vmbus_c::from_status(channel->channel->send(packet), what);
}

extern "C" int vmbus_channel_flush(vmbus_channel* channel) {
  if (channel == nullptr) return null_channel("vmbus_channel_flush");
  return vmbus_c::from_status(channel->channel->flush(), "vmbus_channel_flush");
}

extern "C" int vmbus_channel_receive(vmbus_channel* channel, void* buffer, size_t capacity,
                                     vmbus_packet_info* info) {
  constexpr const char* what = "vmbus_channel_receive";
  if (channel == nullptr) return null_channel(what);
  if (buffer == nullptr && capacity != 0) return vmbus_c::fail(-EINVAL, "vmbus_channel_receive: buffer is NULL");
  if (info != nullptr && info->struct_size < sizeof(vmbus_packet_info)) {
    return vmbus_c::fail(-EINVAL, "vmbus_channel_receive: info->struct_size is smaller than version 1's");
  }
  const std::span<std::byte> bytes(static_cast<std::byte*>(buffer), capacity);
  const vmbus::Result<vmbus::IncomingPacket> p = channel->channel->receive(bytes);
  if (!p) {
    const vmbus::Error e = p.error();
    if (e.code == vmbus::Errc::empty) return -EAGAIN;  // flow control: no message, as on the data path
    return vmbus_c::from_error(e, what);
  }
  if (p->payload.size() > INT32_MAX) return vmbus_c::fail(-EMSGSIZE, "vmbus_channel_receive: payload over 2 GiB");
  if (info != nullptr) {
    vmbus_packet_info full{};
    full.struct_size = info->struct_size;
    full.type = static_cast<uint16_t>(p->type);
    full.flags = p->flags;
    full.trans_id = p->trans_id;
    full.header_length = static_cast<uint32_t>(p->header.size());
    (void)vmbus_c::write_output(info, full, sizeof(vmbus_packet_info), what);
  }
  // The payload is a window into `buffer` (after the descriptor and header).
  if (!p->payload.empty()) std::memmove(buffer, p->payload.data(), p->payload.size());
  return static_cast<int>(p->payload.size());
}

extern "C" int vmbus_channel_finish_receive(vmbus_channel* channel) {
  if (channel == nullptr) return null_channel("vmbus_channel_finish_receive");
  return vmbus_c::from_status(channel->channel->finish_receive(), "vmbus_channel_finish_receive");
}

extern "C" int vmbus_channel_arm_interrupts(vmbus_channel* channel) {
  if (channel == nullptr) return null_channel("vmbus_channel_arm_interrupts");
  return channel->channel->arm_interrupts() ? 1 : 0;
}

extern "C" int vmbus_channel_set_poll_mode(vmbus_channel* channel) {
  if (channel == nullptr) return null_channel("vmbus_channel_set_poll_mode");
  channel->channel->set_poll_mode();
  return 0;
}

extern "C" int vmbus_channel_relid(const vmbus_channel* channel) {
  if (channel == nullptr) return null_channel("vmbus_channel_relid");
  return static_cast<int>(channel->channel->relid());
}

extern "C" int vmbus_channel_counters_get(const vmbus_channel* channel, vmbus_channel_counters* counters) {
  if (channel == nullptr) return null_channel("vmbus_channel_counters_get");
  const vmbus::ChannelCounters& c = channel->channel->counters();
  vmbus_channel_counters full{};
  full.struct_size = sizeof full;
  full.packets_sent = c.packets_sent.load(std::memory_order_relaxed);
  full.bytes_sent = c.bytes_sent.load(std::memory_order_relaxed);
  full.ring_full_events = c.ring_full_events.load(std::memory_order_relaxed);
  full.signals_sent = c.signals_sent.load(std::memory_order_relaxed);
  full.packets_received = c.packets_received.load(std::memory_order_relaxed);
  full.bytes_received = c.bytes_received.load(std::memory_order_relaxed);
  full.corrupt_packets = c.corrupt_packets.load(std::memory_order_relaxed);
  full.interrupts_seen = c.interrupts_seen.load(std::memory_order_relaxed);
  return vmbus_c::write_output(counters, full, sizeof(vmbus_channel_counters), "vmbus_channel_counters_get");
}
