// NicHost: the device host's entry points and the packet dispatch.
#include "nic_host.h"

#include <algorithm>

#include "netvsc/protocol/nvsp_codec.h"
#include "nic.h"

namespace hvsim {

std::unique_ptr<DeviceHost> make_nic_host(const DeviceSpec& spec) { return std::make_unique<netvsc::NicHost>(spec); }

}  // namespace hvsim

namespace hvsim::netvsc {

namespace nvsp = ::netvsc::nvsp;

NicHost::NicHost(const DeviceSpec& spec)
    : spec_(spec), shared_(attach_nic(spec.instance, spec.nic)), rndis_(spec.nic, rss_) {
  const NicShared::Link link = shared_->link();
  rndis_.link_up = link.up;
  rndis_.link_speed_mbps = link.speed_mbps;
  message_.resize(slot_size());
}

NicHost::~NicHost() = default;

void NicHost::on_open(HostChannel& channel) {
  const std::uint32_t id = channel.spec().subchannel_id;
  if (id < channels_.size()) channels_[id] = &channel;
  // The wire comes up with the device (a TAP interface appears now).
  if (id == 0 && !backend_) backend_ = make_frame_backend(spec_.nic, channel.log());
}

void NicHost::on_close(HostChannel& channel) {
  const std::uint32_t id = channel.spec().subchannel_id;
  if (id < channels_.size()) channels_[id] = nullptr;
  if (id == 0) backend_.reset();
}

std::uint32_t NicHost::poll_interval_us() const noexcept {
  // 1 ms for `hvsim ctl link`; the backend's own pace when it has one.
  const std::uint32_t backend = backend_ ? backend_->poll_interval_us() : 0;
  return backend != 0 ? std::min<std::uint32_t>(backend, 1000) : 1000;
}

std::uint32_t NicHost::open_queues() const noexcept {
  std::uint32_t n = 0;
  while (n < channels_.size() && channels_[n] != nullptr) ++n;
  return n;
}

void NicHost::guest_error(HostChannel& ch, NicCounter counter, std::string_view why) noexcept {
  shared_->add(counter);
  ch.drop(why);
}

PacketResult NicHost::on_packet(HostChannel& ch, const vmbus::IncomingPacket& p) {
  switch (p.type) {
    case vmbus::PacketType::completion: {
      // The guest returns a transfer-page packet's slots: {108, status}, 8
      // bytes from Linux (send_recv_completions), 40 from DPDK.
      auto done = nvsp::parse<nvsp::SendRndisPacketComplete>(p.payload);
      if (!done) {
        guest_error(ch, NicCounter::drop_malformed, "a completion that is not SEND_RNDIS_PKT_COMPLETE: " + done.error().message());
      } else if (!rx_.complete(p.trans_id)) {
        guest_error(ch, NicCounter::drop_malformed, "a completion of no transfer-page packet in flight (trans_id " +
                                                         std::to_string(p.trans_id) + ")");
      }
      shared_->set_slots(rx_.slots_in_use(), rx_.slot_count());
      return PacketResult::done();
    }
    case vmbus::PacketType::data_inband:
      return on_nvsp(ch, p);
    case vmbus::PacketType::data_using_gpa_direct:
      return on_gpa_direct(ch, p);
    default:
      guest_error(ch, NicCounter::drop_malformed,
                  "a packet of type " + std::to_string(static_cast<unsigned>(p.type)) + ", which netvsc never sends");
      return PacketResult::done();
  }
}

void NicHost::on_poll() {
  if (auto link = shared_->take_link_change(link_seen_)) indicate_link(*link);
  if (backend_) backend_->poll(*this);
  rx_.flush(channels_);
  shared_->set_slots(rx_.slots_in_use(), rx_.slot_count());
}

}  // namespace hvsim::netvsc
