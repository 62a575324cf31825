// File: tests/fake_host.h
//
// A scripted netvsc host (VSP) for the driver's tests, until hvsim's NIC
// host exists: real VMBus rings in plain memory, the guest's real
// vmbus::Channel on one end and the SDK's own OutgoingRing/IncomingRing on
// the host's end, a receive and a send buffer, and DMA memory whose GPA is
// its address (as hvsim registers it). It answers the handshake the way
// Linux/DPDK expect a Hyper-V host to, completes every send, and lets a test
// inject frames, indications and hostile packets.
//
// It runs either on its own thread (start()/stop(), for Port::open, whose
// control requests block) or driven by the test (poll()), never both.
//
// Usage:
//   netvsc::test::FakeHost host;
//   host.start();
//   auto port = netvsc::Port::open(host.resources(), config);
//   host.stop();
//   host.send_frames(0, {frame});              // a transfer-page packet
//   port->rx_burst(0, rx, 8);
//   host.poll();                               // reads the guest's completions
//   EXPECT_TRUE(host.receive_sections_outstanding() == 0);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <thread>
#include <vector>

#include "netvsc/port_resources.h"
#include "netvsc/protocol/nvsp.h"
#include "netvsc/protocol/ppi.h"
#include "vmbus/channel/channel.h"
#include "vmbus/channel/signaller.h"
#include "vmbus/ring/incoming_ring.h"
#include "vmbus/ring/outgoing_ring.h"

namespace netvsc::test {

class CountingSignaller final : public vmbus::Signaller {
 public:
  vmbus::Status signal() noexcept override {
    count.fetch_add(1, std::memory_order_relaxed);
    return {};
  }
  std::atomic<int> count{0};
};

// Page-aligned memory from mmap, released with munmap.
struct PageMemory {
  explicit PageMemory(std::size_t bytes);
  ~PageMemory();
  PageMemory(const PageMemory&) = delete;
  PageMemory& operator=(const PageMemory&) = delete;
  std::span<std::byte> bytes() const noexcept { return {data, size}; }
  std::byte* data = nullptr;
  std::size_t size = 0;
};

// One channel: the guest's Channel and the host's ring ends.
struct HostChannel {
  HostChannel(std::uint32_t relid, std::uint32_t ring_data_size);
  std::unique_ptr<PageMemory> to_host;   // guest TX ring
  std::unique_ptr<PageMemory> to_guest;  // guest RX ring
  CountingSignaller signaller;
  std::unique_ptr<vmbus::Channel> guest;
  std::optional<vmbus::IncomingRing> host_rx;
  std::optional<vmbus::OutgoingRing> host_tx;
};

// A frame the guest sent, as the host parsed it.
struct SentFrame {
  std::uint32_t channel = 0;
  std::vector<std::byte> bytes;
  ppi::PacketInfo info;
  bool gpa_direct = false;
  std::uint32_t section = 0;  // for copied frames
};

struct HostOptions {
  std::uint32_t max_version = nvsp::raw(nvsp::Version::v61);  // INIT above this fails
  std::uint32_t ring_data_size = 64 * 1024;
  std::size_t recv_buffer_size = 1 << 20;
  std::size_t send_buffer_size = 1 << 20;
  std::uint32_t recv_section_size = 1728;
  std::uint32_t send_section_size = 6144;
  std::uint32_t max_pkt_per_msg = 8;
  std::uint32_t max_xfer_size = 0x4000;
  std::uint32_t alignment_factor = 3;
  std::uint32_t mtu = 1500;
  std::array<std::uint8_t, 6> mac{0x00, 0x15, 0x5d, 0x01, 0x02, 0x03};
  bool link_up = true;
  std::uint32_t link_speed_100bps = 100000000;  // 10 Gb/s
  std::uint32_t rss_queues = 8;
  std::uint32_t subchannels_offered = 8;
  bool complete_sends = true;  // false: hold guest sends until complete_held()
  // The receive-buffer completion: lie about the sections (hostile tests).
  std::optional<std::uint32_t> recv_num_sections;
};

class FakeHost {
 public:
  explicit FakeHost(HostOptions options = {});
  ~FakeHost();

  PortResources resources();

  void start();
  void stop();
  // One pass over every channel: answers requests, records frames, takes
  // the guest's completions. Returns the packets handled.
  int poll();

  // --- Injection (host stopped) ---
  // One transfer-page packet on `channel`, one range per frame. Returns its trans_id.
  std::uint64_t send_frames(std::uint32_t channel, const std::vector<std::vector<std::byte>>& frames,
                            std::optional<ppi::PacketInfo> info = std::nullopt);
  // A transfer-page packet with these exact fields, ranges as given.
  std::uint64_t send_transfer_page(std::uint32_t channel, std::uint16_t pageset,
                                   const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ranges_len_offset,
                                   bool nvsp_ok = true);
  // Copies `bytes` into receive section `section` (for send_transfer_page).
  std::uint32_t put_in_section(std::uint32_t section, std::span<const std::byte> bytes);
  void send_indication(std::uint32_t channel, std::uint32_t status, std::span<const std::byte> buffer = {});
  // Any raw packet on a channel.
  void send_raw(std::uint32_t channel, const vmbus::OutgoingPacket& packet);
  void complete_held();

  // --- Observations ---
  std::vector<SentFrame> frames;  // what the guest sent
  std::set<std::uint64_t> outstanding_rx;  // transfer-page trans_ids not yet completed by the guest
  std::map<std::uint64_t, std::uint32_t> rx_completion_status;  // trans_id -> NVSP status
  std::vector<std::uint32_t> versions_offered;
  std::uint32_t negotiated = 0;
  std::uint32_t ndis_config_mtu = 0;
  std::uint64_t ndis_config_caps = 0;
  std::uint32_t packet_filter = 0;
  bool offload_set = false;
  bool rss_set = false;
  std::vector<std::uint32_t> rss_table;
  bool halted = false;
  bool recv_revoked = false;
  bool send_revoked = false;
  std::uint32_t subchannels_requested = 0;
  int split_header_failures = 0;  // GPA sends whose RNDIS header spanned ranges

  HostChannel& channel(std::uint32_t i);
  std::size_t channel_count();
  std::span<std::byte> recv_buffer() { return recv_->bytes(); }

 private:
  void handle(std::uint32_t ch, const vmbus::IncomingPacket& p);
  void handle_inband(std::uint32_t ch, const vmbus::IncomingPacket& p);
  void handle_gpa(std::uint32_t ch, const vmbus::IncomingPacket& p);
  void handle_control(std::uint32_t ch, std::span<const std::byte> message);
  void reply_rndis(std::uint32_t ch, std::span<const std::byte> message);
  void complete(std::uint32_t ch, std::uint64_t trans_id, std::span<const std::byte> payload);
  void complete_send(std::uint32_t ch, std::uint64_t trans_id, std::uint32_t status);
  std::uint32_t next_section();
  void add_channel();

  HostOptions opt_;
  std::mutex mu_;  // channels_ list
  std::deque<std::unique_ptr<HostChannel>> channels_;
  std::unique_ptr<PageMemory> recv_;
  std::unique_ptr<PageMemory> send_;
  std::vector<std::shared_ptr<void>> dma_keep_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::uint64_t next_trans_id_ = 1000;
  std::uint32_t section_cursor_ = 0;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> held_;
  alignas(8) std::byte buffer_[16384]{};
};

std::vector<std::byte> make_frame(std::size_t len, std::uint8_t seed);

}  // namespace netvsc::test
