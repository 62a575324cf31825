// File: sim/dpdk/netvsc_queue_state_fix.cc -> libhvsim_dpdk_queue_state_fix.so
//
// An LD_PRELOAD library for Debian 12's dpdk-testpmd (DPDK 22.11) on a
// net_netvsc port. Without it, testpmd probes the port but forwards nothing.
//
// The bug, in DPDK 22.11.x itself (no hvsim involved):
// - net_netvsc's hn_dev_start and hn_dev_stop never set the ethdev queue
//   state, so every netvsc queue stays RTE_ETH_QUEUE_STATE_STOPPED (0, the
//   initial value) for the life of the port. DPDK fixed it in v23.11:
//   commit 0727d5d0e64 "net/netvsc: set queue state after start/stop", which
//   sets every queue STARTED at the end of hn_dev_start and STOPPED in
//   hn_dev_stop.
// - testpmd 22.11.11 has commit d316924b1f (a backport of upstream 37b68fa1445c
//   "app/testpmd: fix primary process not polling all queues"):
//   update_queue_state() reads each queue's state through
//   rte_eth_rx_queue_info_get / rte_eth_tx_queue_info_get, and the io, txonly
//   and rxonly stream_init functions set fs->disabled for a stream whose queue
//   is STOPPED. With 22.11's netvsc, every stream is disabled: "start" runs
//   and forwards 0 packets.
//
// What this library does: it interposes the two public ethdev calls
// (rte_ethdev.h), calls the real ones (dlsym RTLD_NEXT), and when they
// succeeded on a port whose driver is net_netvsc (rte_eth_dev_info_get ->
// driver_name) and report STOPPED, reports RTE_ETH_QUEUE_STATE_STARTED
// instead. That is what a DPDK with 0727d5d0e64 reports whenever testpmd asks:
// testpmd calls update_queue_state() at the end of start_port and in
// start_packet_forwarding, which refuses to run unless all ports are started,
// so it only asks on a started port. (The one difference: `show rxq info` on
// a stopped port says "started". Nothing else is changed; other drivers and
// failed calls pass through untouched.)
//
// Only public installed headers are used (Debian's libdpdk-dev,
// `pkg-config --cflags libdpdk`); nothing is copied from DPDK's sources.
//
// Usage: LD_PRELOAD="libhvsim_uio_preload.so libhvsim_dpdk_queue_state_fix.so"
// (sim/dpdk/run does it; docs/dpdk.md). Built only when pkg-config finds
// libdpdk, and not under a sanitizer: a sanitized .so preloaded into the
// unsanitized testpmd cannot start.

#include <dlfcn.h>

#include <rte_ethdev.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

#define HVSIM_QSTATE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

// The driver name DPDK registers for the netvsc PMD
// (RTE_PMD_REGISTER_VMBUS(net_netvsc, ...) in drivers/net/netvsc/hn_ethdev.c).
constexpr const char* kNetvscDriver = "net_netvsc";

using RxInfoGet = int(std::uint16_t, std::uint16_t, struct rte_eth_rxq_info*);
using TxInfoGet = int(std::uint16_t, std::uint16_t, struct rte_eth_txq_info*);

// The next definition of `name` (librte_ethdev's), looked up once.
template <typename Function>
Function* next_definition(std::atomic<void*>& cache, const char* name) noexcept {
  void* f = cache.load(std::memory_order_acquire);
  if (f == nullptr) {
    f = dlsym(RTLD_NEXT, name);
    cache.store(f, std::memory_order_release);
  }
  return reinterpret_cast<Function*>(f);
}

bool is_netvsc(std::uint16_t port_id) noexcept {
  struct rte_eth_dev_info info;
  std::memset(&info, 0, sizeof info);
  if (rte_eth_dev_info_get(port_id, &info) != 0 || info.driver_name == nullptr) return false;
  return std::strcmp(info.driver_name, kNetvscDriver) == 0;
}

std::uint8_t fixed_state(std::uint16_t port_id, std::uint8_t state) noexcept {
  if (state == RTE_ETH_QUEUE_STATE_STOPPED && is_netvsc(port_id)) return RTE_ETH_QUEUE_STATE_STARTED;
  return state;
}

std::atomic<void*> real_rx{nullptr};
std::atomic<void*> real_tx{nullptr};

}  // namespace

HVSIM_QSTATE_EXPORT int rte_eth_rx_queue_info_get(std::uint16_t port_id, std::uint16_t queue_id,
                                                  struct rte_eth_rxq_info* qinfo) {
  RxInfoGet* real = next_definition<RxInfoGet>(real_rx, "rte_eth_rx_queue_info_get");
  if (real == nullptr) return -ENOTSUP;  // no librte_ethdev: this library is preloaded into something else
  const int rc = real(port_id, queue_id, qinfo);
  if (rc == 0 && qinfo != nullptr) qinfo->queue_state = fixed_state(port_id, qinfo->queue_state);
  return rc;
}

HVSIM_QSTATE_EXPORT int rte_eth_tx_queue_info_get(std::uint16_t port_id, std::uint16_t queue_id,
                                                  struct rte_eth_txq_info* qinfo) {
  TxInfoGet* real = next_definition<TxInfoGet>(real_tx, "rte_eth_tx_queue_info_get");
  if (real == nullptr) return -ENOTSUP;
  const int rc = real(port_id, queue_id, qinfo);
  if (rc == 0 && qinfo != nullptr) qinfo->queue_state = fixed_state(port_id, qinfo->queue_state);
  return rc;
}
