// File: netvsc/port.h
//
// The poll-mode netvsc driver: a synthetic Hyper-V NIC as a DPDK-style port
// with N queues and burst calls, on the public vmbus SDK only. Start here.
//
// Open does what Linux's rndis_filter_device_add and DPDK's eth_hn_dev_init
// do, synchronously on the primary channel: NVSP INIT (newest version the
// host accepts), NDIS config and version, receive buffer (pageset 0xCAFE) and
// send buffer, RNDIS INITIALIZE, queries (MTU, MAC, link, offload and RSS
// capabilities), offload parameters, subchannels and RSS, the packet filter.
// Every reply is validated; a bad one fails the open with a PortError naming
// the step and the field.
//
// Data path, per queue (queue i is subchannel i; 0 the primary channel):
//   rx_burst  copies up to n frames into the caller's RxPackets and completes
//             each transfer-page packet as soon as its frames are out;
//   tx_burst  copies small frames into send-buffer sections (several per
//             section when the host allows) or names large ones in place
//             (GPA direct from a vmbus::DmaRegion); one signal per burst;
//   tx_reclaim  the cookies of GPA-direct frames the host is done with.
// No allocation, lock or system call per packet; the one signal per burst is
// a syscall only on channels without a monitor id.
//
// Threads: a queue belongs to one thread at a time: its rx_burst, tx_burst
// and tx_reclaim must not run concurrently with each other. Different
// queues run on different threads freely. Control calls after open
// (set_packet_filter) poll the primary channel: make them from queue 0's
// thread. stats(), link(), info() and rescinded() may be called from anywhere.
//
// Errors: open throws PortError. The data path returns counts: a burst cut
// short (ring full, no send section) returns fewer and counts why in
// stats(); a malformed host message is dropped and counted by kind. After a
// rescind, bursts return 0 and rescinded() is true; destroy the port (and
// then the Device).
//
// Usage:
//   auto device = vmbus::Device::open(vmbus::find_device(root, "network"));
//   netvsc::PortConfig config;
//   config.queues = 2;
//   std::unique_ptr<netvsc::Port> port = netvsc::Port::open(*device, config);
//   std::printf("%s, %u queues\n", netvsc::to_string(port->mac()).c_str(), port->queue_count());
//   netvsc::RxPacket rx[32];  // each with a .buffer of 1536+ bytes
//   for (;;) {
//     std::uint16_t n = port->rx_burst(0, rx, 32);
//     for (std::uint16_t i = 0; i < n; ++i) tx[i] = netvsc::TxPacket{.frame = rx[i].frame()};
//     port->tx_burst(0, tx, n);
//     if (port->rescinded()) break;
//   }
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "netvsc/link.h"
#include "netvsc/packet.h"
#include "netvsc/port_config.h"
#include "netvsc/port_resources.h"
#include "netvsc/stats.h"
#include "vmbus/device/claim.h"
#include "vmbus/device/device.h"
#include "vmbus/device/guid.h"
#include "vmbus/device/sysfs.h"

namespace netvsc {

using MacAddress = std::array<std::uint8_t, 6>;
std::string to_string(const MacAddress& mac);  // "00:15:5d:01:02:03"

// Open failed: the message names the step ("RNDIS query OID 0x1010106") and
// what was wrong with the host's answer, or the timeout.
class PortError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What open negotiated and learned.
struct PortInfo {
  nvsp::Version nvsp_version = nvsp::Version::v1;
  std::uint32_t ndis_version = 0;  // 0x00060001 or 0x0006001e
  std::uint64_t ndis_capabilities = 0;  // what SEND_NDIS_CONFIG announced
  // Receive buffer (SEND_RECV_BUF completion).
  std::uint32_t recv_section_size = 0;
  std::uint32_t recv_section_count = 0;
  // Send buffer (SEND_SEND_BUF completion): count = buffer size / section size.
  std::uint32_t send_section_size = 0;
  std::uint32_t send_section_count = 0;
  // RNDIS INITIALIZE_CMPLT: the aggregation limits.
  std::uint32_t rndis_max_packets_per_message = 0;
  std::uint32_t rndis_max_transfer_size = 0;
  std::uint32_t rndis_alignment = 0;  // bytes (1 << pkt_alignment_factor)
  // Aggregation as used: 0 packets means off.
  std::uint32_t tx_aggregation_packets = 0;
  std::uint32_t tx_aggregation_bytes = 0;
  // The MTU in effect: PortConfig::mtu lowered to the host's maximum frame
  // size (LinkState::mtu). Receive buffers need mtu + 18 bytes (VLAN tag).
  std::uint32_t mtu = 0;
  MacAddress permanent_mac{};
  MacAddress current_mac{};
  std::uint32_t host_rss_queues = 0;        // RSS capabilities num_recv_que (0: not offered)
  std::uint32_t subchannels_granted = 0;
  std::uint16_t queues = 1;
  // Offloads enabled (asked for and offered by the host).
  bool tx_checksum = false;
  bool rx_checksum = false;
  bool lso_v4 = false;
  bool lso_v6 = false;
  std::uint32_t lso_max_size = 0;
};

class PortCore;

class Port {
 public:
  // Opens a port on a device already claimed and opened (vmbus::Device::open
  // with the shared buffers mapped). Throws PortError.
  static std::unique_ptr<Port> open(vmbus::Device& device, PortConfig config = {});
  // Opens a port on resources gathered some other way (port_resources.h).
  static std::unique_ptr<Port> open(PortResources resources, PortConfig config = {});

  // Closes (close()) and releases everything the port holds. The channels
  // belong to the Device, which must outlive the port.
  ~Port();
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  // RNDIS HALT, REVOKE_RECV_BUF, REVOKE_SEND_BUF (netvsc_device_remove,
  // DPDK hn_dev_close). Skipped after a rescind. Bursts return 0 afterwards.
  // Frames still in flight are not reported by tx_reclaim any more.
  void close() noexcept;

  std::uint16_t rx_burst(std::uint16_t queue, RxPacket* pkts, std::uint16_t n) noexcept;
  std::uint16_t tx_burst(std::uint16_t queue, const TxPacket* pkts, std::uint16_t n) noexcept;
  // Writes up to n cookies of GPA-direct frames the host completed (in
  // completion order; failures too, counted in tx_errors). Also flushes a
  // burst's leftover section if the ring had been full.
  std::uint16_t tx_reclaim(std::uint16_t queue, std::uint64_t* cookies, std::uint16_t n) noexcept;
  // Sends on `queue` not yet completed by the host.
  std::uint32_t tx_outstanding(std::uint16_t queue) const noexcept;

  std::uint16_t queue_count() const noexcept;
  const PortInfo& info() const noexcept;
  // The configuration the port was opened with (change_mtu re-opens with it).
  const PortConfig& config() const noexcept;
  MacAddress mac() const noexcept { return info().current_mac; }
  LinkState link() const noexcept;
  PortStats stats() const noexcept;
  // True once the host rescinded the device (seen by a burst or a control
  // call). A port opened on a vmbus::Device probes it from idle bursts
  // (Device::take_interrupts, at most every 10 ms), so a polling loop sees
  // a rescind without calling the Device itself.
  bool rescinded() const noexcept;
  // The host's send indirection table (NVSP SEND_INDIRECTION_TABLE, v5+):
  // the queue the host suggests for hash bucket i (Linux netvsc_select_queue
  // uses tx_table[hash & 15]); all zeros until the host sends one.
  std::array<std::uint32_t, nvsp::kSendIndirectionTableEntries> host_send_table() const noexcept;

  // OID_GEN_CURRENT_PACKET_FILTER. From queue 0's thread. Errors: the
  // host's refusal (malformed_packet with the RNDIS status as detail),
  // rescinded, empty on timeout.
  vmbus::Status set_packet_filter(std::uint32_t filter) noexcept;

 private:
  explicit Port(std::unique_ptr<PortCore> core) noexcept;
  std::unique_ptr<PortCore> core_;
};

// Convenience: discover the device with this instance GUID under `root`,
// claim it for uio_hv_generic if needed, open it, open the port. The
// returned OpenedPort owns all three, destroyed in the right order.
struct OpenedPort {
  vmbus::Claim claim;
  std::unique_ptr<vmbus::Device> device;
  std::unique_ptr<Port> port;  // declared last: destroyed first
};
OpenedPort open_port(const vmbus::SysfsRoot& root, const vmbus::Guid& instance, PortConfig config = {});

// Changes the MTU of an open port the way Linux's netvsc_change_mtu does:
// the port is closed (RNDIS HALT, buffers revoked), the device's channels
// closed and re-opened, and the port opened again with the same PortConfig
// but `mtu`. Every queue is new: stop the queue threads first, and drop
// frames and cookies still in flight (the host completes nothing of the
// old port). Throws PortError if `mtu` is outside kPortMinMtu..kPortMaxMtu
// (port untouched), or if the re-open fails: then the old MTU is restored
// and the error says why; if even that fails, `opened.port` is null.
// Returns the MTU in effect (PortInfo::mtu: the host may lower it).
std::uint32_t change_mtu(OpenedPort& opened, std::uint32_t mtu);

}  // namespace netvsc
