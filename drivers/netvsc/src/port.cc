// netvsc::Port: the public face of PortCore, closing, and statistics.
#include "netvsc/port.h"

#include <algorithm>
#include <cstdio>

#include "netvsc/protocol/rndis_control.h"
#include "port_core.h"

namespace netvsc {

std::string to_string(const MacAddress& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return buf;
}

Port::Port(std::unique_ptr<PortCore> core) noexcept : core_(std::move(core)) {}
Port::~Port() = default;

std::unique_ptr<Port> Port::open(PortResources resources, PortConfig config) {
  auto core = std::make_unique<PortCore>(std::move(resources), std::move(config));
  core->open();
  return std::unique_ptr<Port>(new Port(std::move(core)));
}

// HALT, then revoke both buffers (rndis_filter_device_remove, then
// netvsc_revoke_buf). Nothing is sent to a rescinded device. The channels
// stay with their Device.
void PortCore::close() noexcept {
  if (closed_.exchange(true)) return;
  if (queues_.empty() || rescinded_.load() || queues_[0]->channel().rescinded() || !control_dma_) return;
  // A host that stopped answering should not hold up the close for a minute.
  if (config.control_timeout > std::chrono::seconds(2)) config.control_timeout = std::chrono::seconds(2);
  const std::uint32_t id = next_rndis_id();
  std::array<std::byte, 16> halt{};
  if (auto n = rndis::write_halt(id, halt)) (void)rndis_request(std::span(halt).first(*n), id, false);
  (void)nvsp_request(nvsp::encode(nvsp::RevokeReceiveBuffer{nvsp::kReceiveBufferId}), false);
  (void)nvsp_request(nvsp::encode(nvsp::RevokeSendBuffer{nvsp::kSendBufferIdLinux}), false);
}

void Port::close() noexcept { core_->close(); }

void PortCore::probe_rescind() noexcept {
  if (!rescind_probe) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  if (now < next_rescind_probe_ns_.load(std::memory_order_relaxed)) return;
  if (probing_rescind_.exchange(true, std::memory_order_acquire)) return;  // another queue is at it
  next_rescind_probe_ns_.store(now + std::chrono::nanoseconds(kRescindProbeInterval).count(),
                               std::memory_order_relaxed);
  rescind_probe();
  probing_rescind_.store(false, std::memory_order_release);
}

namespace {
bool stopped(PortCore& c, internal::Queue& q) noexcept {
  if (c.closed_.load(std::memory_order_relaxed) || c.rescinded_.load(std::memory_order_relaxed)) return true;
  if (q.channel().rescinded()) {
    c.mark_rescinded();
    return true;
  }
  return false;
}
}  // namespace

std::uint16_t Port::rx_burst(std::uint16_t queue, RxPacket* pkts, std::uint16_t n) noexcept {
  internal::Queue* q = core_->queue(queue);
  if (q == nullptr || pkts == nullptr || n == 0 || stopped(*core_, *q)) return 0;
  return q->receive(pkts, n);
}

std::uint16_t Port::tx_burst(std::uint16_t queue, const TxPacket* pkts, std::uint16_t n) noexcept {
  internal::Queue* q = core_->queue(queue);
  if (q == nullptr || pkts == nullptr || n == 0 || stopped(*core_, *q)) return 0;
  return q->transmit(pkts, n);
}

std::uint16_t Port::tx_reclaim(std::uint16_t queue, std::uint64_t* cookies, std::uint16_t n) noexcept {
  internal::Queue* q = core_->queue(queue);
  if (q == nullptr || cookies == nullptr || n == 0 || stopped(*core_, *q)) return 0;
  return q->reclaim_cookies(cookies, n);
}

std::uint32_t Port::tx_outstanding(std::uint16_t queue) const noexcept {
  internal::Queue* q = core_->queue(queue);
  return q == nullptr ? 0 : q->outstanding();
}

std::uint16_t Port::queue_count() const noexcept { return static_cast<std::uint16_t>(core_->queues_.size()); }
const PortInfo& Port::info() const noexcept { return core_->info; }
const PortConfig& Port::config() const noexcept { return core_->config; }

LinkState Port::link() const noexcept {
  return {core_->link_up.load(std::memory_order_relaxed), core_->link_speed_bps.load(std::memory_order_relaxed),
          core_->link_mtu.load(std::memory_order_relaxed)};
}

PortStats Port::stats() const noexcept {
  PortStats s;
  s.queues.reserve(core_->queues_.size());
  for (const auto& q : core_->queues_) {
    QueueStatsSnapshot one = q->stats().snapshot();
    one.signals = q->channel().counters().signals_sent.load(std::memory_order_relaxed);
    s.total += one;
    s.queues.push_back(one);
  }
  return s;
}

bool Port::rescinded() const noexcept {
  if (core_->rescinded_.load(std::memory_order_acquire)) return true;
  return !core_->queues_.empty() && core_->queues_[0]->channel().rescinded();
}

std::array<std::uint32_t, nvsp::kSendIndirectionTableEntries> Port::host_send_table() const noexcept {
  std::array<std::uint32_t, nvsp::kSendIndirectionTableEntries> t{};
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = core_->send_table_[i].load(std::memory_order_relaxed);
  return t;
}

vmbus::Status Port::set_packet_filter(std::uint32_t filter) noexcept {
  if (core_->closed_.load() || rescinded()) return vmbus::Error{vmbus::Errc::rescinded, 0};
  if (auto s = core_->rndis_set(ndis::Oid::gen_current_packet_filter, wire::bytes_of(filter)); !s) return s;
  return {};
}

}  // namespace netvsc
