// EchoHost: returns what the guest sent (see hvsim/echo_host.h for the rules).
#include "hvsim/echo_host.h"

#include "hvsim/host_channel.h"
#include "vmbus/packet/builders.h"
#include "vmbus/packet/gpa_direct.h"

namespace hvsim {

void EchoHost::on_open(HostChannel& channel) {
  // Once per open, on the primary: the subchannels' own on_open follow later.
  if (channel.spec().subchannel_id == 0) (void)offer_subchannels(subchannels_granted());
}

PacketResult EchoHost::on_packet(HostChannel& channel, const vmbus::IncomingPacket& packet) {
  switch (packet.type) {
    case vmbus::PacketType::data_inband:
      return echo_inband(channel, packet);
    case vmbus::PacketType::data_using_gpa_direct:
      return echo_gpa_direct(channel, packet);
    case vmbus::PacketType::completion:
      return PacketResult::done();
    default:
      channel.drop("echo does not handle packet type " + std::to_string(static_cast<unsigned>(packet.type)));
      return PacketResult::done();
  }
}

PacketResult EchoHost::echo_inband(HostChannel& channel, const vmbus::IncomingPacket& packet) {
  const std::uint32_t need = ring_bytes_for(0, packet.payload.size());
  switch (channel.room_for(need)) {
    case Room::full: return PacketResult::blocked(need);
    case Room::never: channel.drop("its echo is larger than the guest's RX ring"); return PacketResult::done();
    case Room::ok: break;
  }
  // A completion echoes trans_id (vmbus_sendpacket(VM_PKT_COMP)); it carries
  // the payload too, so a test sees what came back.
  const vmbus::OutgoingPacket reply = packet.completion_requested()
                                          ? vmbus::packet::completion(packet.trans_id, packet.payload)
                                          : vmbus::packet::inband(packet.payload, packet.trans_id);
  (void)channel.send(reply);
  return PacketResult::done();
}

PacketResult EchoHost::echo_gpa_direct(HostChannel& channel, const vmbus::IncomingPacket& packet) {
  auto gpa = vmbus::GpaDirectPacket::parse(packet);
  if (!gpa) {
    channel.drop("malformed GPA-direct header: " + gpa.error().message());
    return PacketResult::done();
  }
  // Size the replies before reading guest memory: nothing is sent unless
  // both fit.
  std::uint64_t named = 0;
  for (const vmbus::GpaRange r : *gpa) named += r.len;
  const std::span<std::byte> scratch = channel.scratch();
  if (named > scratch.size()) {
    channel.drop("its ranges name " + std::to_string(named) + " bytes, more than 32 pages");
    return PacketResult::done();
  }
  const std::uint32_t data_need = ring_bytes_for(0, named);
  const std::uint32_t completion_need = packet.completion_requested() ? ring_bytes_for(0, packet.payload.size()) : 0;
  const std::uint64_t need = std::uint64_t{data_need} + completion_need;
  const Room room = need > UINT32_MAX ? Room::never : channel.room_for(static_cast<std::uint32_t>(need));
  if (room == Room::never) {
    channel.drop("its echo is larger than the guest's RX ring");
    return PacketResult::done();
  }
  if (room == Room::full) return PacketResult::blocked(static_cast<std::uint32_t>(need));

  std::size_t at = 0;
  for (const vmbus::GpaRange r : *gpa) {
    auto n = channel.guest_memory().read_range(r, scratch.subspan(at));
    if (!n) {
      channel.drop("cannot read the guest memory it names (" + n.error().message() + ")");
      return PacketResult::done();
    }
    at += *n;
  }
  (void)channel.send(vmbus::packet::inband(scratch.first(at), packet.trans_id));
  if (packet.completion_requested()) (void)channel.send(vmbus::packet::completion(packet.trans_id, packet.payload));
  return PacketResult::done();
}

}  // namespace hvsim
