// Simulator: subchannels. A device host asks for them during an open
// (DeviceHost::offer_subchannels, on its host service thread); the request
// reaches the control thread through SubchannelRequests, and each offer
// then follows what the kernel does with a subchannel offer
// (vmbus_onoffer -> vmbus_process_offer -> vmbus_add_channel_kobj, then
// sc_creation_callback = hv_uio_new_channel):
//   1. at once: a relid, a monitor id if the device is monitored, the
//      channels/<relid>/ directory and the channel_vp_mapping line;
//   2. subchannel_ring_delay_ms later: vmbus_open(SZ_2M, SZ_2M) (fresh ring
//      headers), the host side joins the running DeviceService, and the
//      0600 file channels/<relid>/ring appears (hv_create_ring_sysfs).
// The guest's last close rescinds them all (vmbus_disconnect_ring closes the
// subchannels; hvsim then takes their offers back so the next open starts
// from the primary, as netvsc expects when it sends SUBCH_REQ again).
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "fs_util.h"
#include "monitor_page.h"
#include "simulator_impl.h"
#include "vmbus/hv_monitor_page.h"
#include "vmbus/ring/ring_memory.h"

namespace hvsim {
namespace {

using Clock = std::chrono::steady_clock;

// The kernel's channel lists hold at most this many per device (DPDK
// VMBUS_MAX_CHANNELS, the SDK's Device::kMaxChannels).
constexpr std::uint32_t kMaxChannelsPerDevice = kMaxSubchannels + 1;

// The device of a request, if it is still offered, bound and in the same open.
Device* open_device(const std::vector<std::unique_ptr<Device>>& devices, const Guid& instance, std::uint64_t open_id) {
  for (const auto& d : devices) {
    if (d->spec.instance != instance) continue;
    return d->uio && d->uio->endpoint->open_id() == open_id ? d.get() : nullptr;
  }
  return nullptr;
}

}  // namespace

void Simulator::Impl::start_subchannels() {
  subchannel_requests = std::make_unique<SubchannelRequests>();
  ring_timer = UniqueFd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!ring_timer) throw std::runtime_error("timerfd for subchannel rings: " + fs::errno_text(errno));
  loop->add(subchannel_requests->fd(), EPOLLIN, [this](std::uint32_t) { on_subchannel_requests(); });
  loop->add(ring_timer.get(), EPOLLIN, [this](std::uint32_t) { on_ring_timer(); });
}

void Simulator::Impl::on_subchannel_requests() {
  for (const SubchannelRequest& r : subchannel_requests->take()) {
    // The open that asked may be over (closed, unbound, rescinded): its
    // subchannels would belong to nobody.
    Device* d = open_device(devices, r.instance, r.open_id);
    if (d == nullptr) continue;
    for (std::uint32_t k = r.first; k < r.first + r.count; ++k) offer_subchannel(*d, k, r.open_id);
  }
}

void Simulator::Impl::offer_subchannel(Device& d, std::uint32_t subchannel_id, std::uint64_t open_id) {
  const std::string what = d.label() + ": subchannel " + std::to_string(subchannel_id);
  if (d.channels.size() >= kMaxChannelsPerDevice) {
    log().warn(what + " not offered: the device has " + std::to_string(d.channels.size()) + " channels already");
    return;
  }
  // Hyper-V gives a subchannel a relid of its own: the next above every
  // channel offered (the lowest free if that runs past the int page's
  // bitmap), and a monitor id of its own if the device is monitored.
  std::set<std::uint32_t> relids;
  std::set<std::uint32_t> monitor_ids;
  for (const auto& other : devices) {
    for (const auto& c : other->channels) {
      relids.insert(c->spec.relid);
      if (c->spec.monitor_id) monitor_ids.insert(*c->spec.monitor_id);
    }
  }
  std::uint32_t relid = relids.empty() ? 1 : *relids.rbegin() + 1;
  if (relid > kMaxRelid) {
    relid = 1;
    while (relid <= kMaxRelid && relids.count(relid) != 0) ++relid;
    if (relid > kMaxRelid) {
      log().warn(what + " not offered: no free relid (all " + std::to_string(kMaxRelid) + " are in use)");
      return;
    }
  }
  std::optional<std::uint8_t> monitor_id;
  if (d.spec.monitor_id) {
    for (std::uint32_t id = 0; id <= kMaxMonitorId && !monitor_id; ++id) {
      if (monitor_ids.count(id) == 0) monitor_id = static_cast<std::uint8_t>(id);
    }
    // Without a free id the offer says monitor_allocated = 0: the guest
    // signals it through irqcontrol, as any channel without one.
    if (!monitor_id) log().warn(what + ": no free monitor id (all 128 are in use); offered without one");
  }

  auto owned = std::make_unique<ChannelRecord>();
  ChannelRecord& c = *owned;
  // init_vp_index spreads a device's channels over the vCPUs: subchannel k on VP k.
  c.spec = {.relid = relid, .subchannel_id = subchannel_id, .monitor_id = monitor_id, .cpu = subchannel_id};
  if (monitor_id) {
    monitor::latency(pages.monitor_page.data(), *monitor_id)
        .store(static_cast<std::uint16_t>(options.config.monitor_latency_us * 10), std::memory_order_relaxed);
  }
  try {
    tree->add_channel(d, c);
  } catch (const std::exception& e) {
    log().warn(what + " not offered: " + e.what());
    return;
  }
  d.channels.push_back(std::move(owned));
  try {
    tree->refresh(d);  // channel_vp_mapping
  } catch (const std::exception& e) {
    log().warn(d.label() + ": " + e.what());
  }
  const auto delay = std::chrono::milliseconds(options.config.subchannel_ring_delay_ms);
  pending_rings.push_back({d.spec.instance, open_id, relid, Clock::now() + delay});
  arm_ring_timer();
  log().info("offered " + what + " as relid " + std::to_string(relid) +
             (monitor_id ? ", monitor id " + std::to_string(*monitor_id) : ", no monitor id") + "; its ring opens in " +
             std::to_string(delay.count()) + " ms");
}

void Simulator::Impl::on_ring_timer() {
  std::uint64_t ticks;
  [[maybe_unused]] const ssize_t n = ::read(ring_timer.get(), &ticks, sizeof ticks);
  const Clock::time_point now = Clock::now();
  std::vector<PendingRing> due;
  std::erase_if(pending_rings, [&](const PendingRing& p) {
    if (p.due > now) return false;
    due.push_back(p);
    return true;
  });
  for (const PendingRing& p : due) {
    Device* d = open_device(devices, p.instance, p.open_id);
    if (d == nullptr) continue;
    for (const auto& c : d->channels) {
      if (c->spec.relid == p.relid && c->spec.subchannel_id != 0 && !c->rings) open_subchannel_ring(*d, *c);
    }
  }
  arm_ring_timer();
}

void Simulator::Impl::open_subchannel_ring(Device& d, ChannelRecord& c) noexcept {
  const std::string what = d.label() + " relid " + std::to_string(c.spec.relid);
  const std::filesystem::path staged = fs::unique_temp(paths.staging, "ring");
  try {
    // vmbus_open(new_sc, SZ_2M, SZ_2M): two 2 MiB rings, header pages
    // included, so the file is 2 * SZ_2M (the old fixed size and the exact
    // one agree). hv_ringbuffer_init: both headers zeroed, feature_bits = 1.
    c.rings = SharedMemory::create_file(staged, 2 * kSubchannelRingSize);
    for (std::size_t at : {std::size_t{0}, kSubchannelRingSize}) {
      if (auto ring = vmbus::RingMemory::from(c.rings.bytes().subspan(at, kSubchannelRingSize))) ring->initialize();
    }
  } catch (const std::exception& e) {
    // hv_uio_new_channel: dev_err "vmbus_open subchannel failed"; the
    // channel stays offered without a ring file.
    c.rings = SharedMemory();
    log().warn(what + ": vmbus_open subchannel failed: " + e.what());
    return;
  }
  try {
    // The host serves it before the guest can reach it.
    if (!d.uio->endpoint->add_channel(channel_setup(d, c, c.rings.bytes()))) throw std::runtime_error("the device is not open");
  } catch (const std::exception& e) {
    ::unlink(staged.c_str());
    c.rings = SharedMemory();
    log().warn(what + ": vmbus_open subchannel failed: " + e.what());
    return;
  }
  try {
    tree->publish_ring(d, c.spec.relid, staged);
  } catch (const std::exception& e) {
    // The host side runs; only the guest's way in is missing.
    ::unlink(staged.c_str());
    log().warn(what + ": " + e.what());
    return;
  }
  try {
    tree->refresh(d);  // the channel's ring attributes
  } catch (const std::exception& e) {
    log().warn(d.label() + ": " + e.what());
  }
  log().info(what + " (subchannel " + std::to_string(c.spec.subchannel_id) + ") opened: channels/" +
             std::to_string(c.spec.relid) + "/ring, " + std::to_string(c.rings.size()) + " bytes");
}

void Simulator::Impl::rescind_subchannels(Device& d) noexcept {
  std::erase_if(pending_rings, [&](const PendingRing& p) { return p.instance == d.spec.instance; });
  arm_ring_timer();
  std::size_t taken_back = 0;
  for (auto it = d.channels.begin(); it != d.channels.end();) {
    const ChannelRecord& c = **it;
    if (c.spec.subchannel_id == 0) {
      ++it;
      continue;
    }
    // The host thread that served it is gone (the service stops first).
    tree->remove_channel(d, c.spec.relid);
    if (c.spec.monitor_id) (void)vmbus::take_monitor_bit(pages.monitor_page.data(), *c.spec.monitor_id);
    (void)vmbus::take_int_page_bit(pages.int_page.data(), c.spec.relid);
    it = d.channels.erase(it);  // unmaps its rings; the file went with its directory
    ++taken_back;
  }
  if (taken_back != 0) log().info(d.label() + ": rescinded its " + std::to_string(taken_back) + " subchannels");
}

void Simulator::Impl::arm_ring_timer() noexcept {
  itimerspec when{};  // all zero: disarmed
  if (!pending_rings.empty()) {
    const auto earliest = std::min_element(pending_rings.begin(), pending_rings.end(),
                                           [](const PendingRing& a, const PendingRing& b) { return a.due < b.due; })
                              ->due;
    // steady_clock is CLOCK_MONOTONIC on Linux; a time already past fires at once.
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(earliest.time_since_epoch()).count();
    when.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    when.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    if (when.it_value.tv_sec == 0 && when.it_value.tv_nsec == 0) when.it_value.tv_nsec = 1;
  }
  ::timerfd_settime(ring_timer.get(), TFD_TIMER_ABSTIME, &when, nullptr);
}

}  // namespace hvsim
