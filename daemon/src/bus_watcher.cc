// Offers, rescinds and full rings, found by looking (bus_watcher.h).
#include "bus_watcher.h"

#include "daemon_log.h"
#include "proto_convert.h"

namespace vmbusd {
namespace pb = vmbus::control::v1;

void BusWatcher::start() {
  try {
    for (const DeviceView& d : registry_.list().devices) known_.insert(d.info.instance);
  } catch (const std::exception& e) {
    log_warn(std::string("watching the bus: ") + e.what());
  }
  thread_ = std::thread([this] { run(); });
}

void BusWatcher::stop() noexcept {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void BusWatcher::run() noexcept {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
    lock.unlock();
    look();
    lock.lock();
  }
}

void BusWatcher::look() noexcept {
  DeviceListing listing;
  try {
    listing = registry_.list();
  } catch (const std::exception& e) {
    return;  // the devices directory itself is unreadable: try again next time
  }
  std::set<vmbus::Guid> now;
  for (const DeviceView& d : listing.devices) {
    now.insert(d.info.instance);
    if (!known_.contains(d.info.instance)) {
      pb::Event e;
      e.set_type(pb::EVENT_TYPE_DEVICE_OFFERED);
      to_proto(d, *e.mutable_device_offered()->mutable_device());
      bus_.publish(std::move(e));
    }
    if (d.lease) check_rings(d);
  }
  for (const vmbus::Guid& g : known_) {
    if (now.contains(g)) continue;
    pb::Event e;
    e.set_type(pb::EVENT_TYPE_DEVICE_RESCINDED);
    e.mutable_device_rescinded()->set_device_id(g.str());
    if (auto lease = registry_.forget_rescinded(g)) e.mutable_device_rescinded()->set_lease_id(lease->id);
    bus_.publish(std::move(e));
    log_info("device " + g.str() + " was rescinded");
  }
  known_ = std::move(now);
}

void BusWatcher::check_rings(const DeviceView& device) noexcept {
  LeaseServer* leases = registry_.leases();
  if (leases == nullptr) return;
  const auto now = std::chrono::steady_clock::now();
  auto report = [&](std::uint32_t relid, pb::RingFull::Direction dir, const RingSnapshot& ring) {
    auto& last = last_full_[{device.info.instance, relid, static_cast<int>(dir)}];
    if (last != std::chrono::steady_clock::time_point{} && now - last < std::chrono::seconds(1)) return;
    last = now;
    pb::Event e;
    e.set_type(pb::EVENT_TYPE_RING_FULL);
    pb::RingFull* f = e.mutable_ring_full();
    f->set_device_id(device.info.instance.str());
    f->set_relid(relid);
    f->set_direction(dir);
    to_proto(ring, *f->mutable_ring());
    if (auto counters = leases->channel_counters(device.info.instance, relid)) to_proto(*counters, *f->mutable_counters());
    bus_.publish(std::move(e));
  };
  for (const vmbus::ChannelInfo& c : device.info.channels) {
    std::optional<ChannelRings> rings;
    if (c.subchannel_id == 0) {
      rings = leases->primary_rings(device.info.instance);
    } else if (c.has_ring_file) {
      rings = read_ring_file(device.info.sysfs_dir / "channels" / std::to_string(c.relid) / "ring");
    }
    if (!rings) continue;
    const RingSnapshot& tx = rings->tx;
    if (tx.indices_valid && (tx.pending_send_sz != 0 || tx.bytes_to_write < tx.data_size / kNearlyFullDivisor)) {
      report(c.relid, pb::RingFull::DIRECTION_TX, tx);
    }
    const RingSnapshot& rx = rings->rx;
    if (rx.indices_valid && (rx.pending_send_sz != 0 || rx.bytes_to_write < rx.data_size / kNearlyFullDivisor)) {
      report(c.relid, pb::RingFull::DIRECTION_RX, rx);
    }
  }
}

}  // namespace vmbusd
