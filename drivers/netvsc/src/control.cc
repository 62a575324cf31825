// Control requests on the primary channel: synchronous, one at a time, with
// a timeout, as DPDK's __hn_nvs_execute and hn_rndis_execute do. While a
// request waits, queue 0 keeps running in control mode: RX data is
// completed and dropped, status indications are processed, send
// completions are matched, and every reply is validated before it is used.
#include <cstring>
#include <thread>

#include "netvsc/protocol/nvsp_codec.h"
#include "netvsc/protocol/rndis_control.h"
#include "port_core.h"
#include "vmbus/packet/builders.h"
#include "vmbus/packet/gpa_direct.h"

namespace netvsc {

using internal::ControlWaiter;

vmbus::Status PortCore::wait_for(ControlWaiter& waiter) noexcept {
  internal::Queue& q0 = *queues_[0];
  q0.waiter = &waiter;
  const auto deadline = std::chrono::steady_clock::now() + config.control_timeout;
  auto pause = std::chrono::microseconds(10);
  vmbus::Status result;
  for (;;) {
    (void)q0.receive(nullptr, 0);
    if (waiter.satisfied()) break;
    if (rescinded_.load(std::memory_order_acquire) || q0.channel().rescinded()) {
      mark_rescinded();
      result = vmbus::Error{vmbus::Errc::rescinded, 0};
      break;
    }
    if (q0.broken()) {
      result = vmbus::Error{vmbus::Errc::corrupt_index, 0};
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      result = vmbus::Error{vmbus::Errc::empty, 0};  // timed out
      break;
    }
    // DPDK polls every 100 us; start faster, back off to that.
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::microseconds(100)) pause *= 2;
  }
  q0.waiter = nullptr;
  return result;
}

vmbus::Result<PortCore::NvspReply> PortCore::nvsp_request(const nvsp::Message& message, bool wait_reply) noexcept {
  const std::uint64_t id = next_control_trans_id();
  ControlWaiter waiter;
  waiter.want_nvsp = wait_reply;
  waiter.nvsp_trans_id = id;
  if (auto s = queues_[0]->channel().send_inband(message.bytes(), id, wait_reply); !s) return s.error();
  NvspReply reply;
  if (!wait_reply) return reply;
  if (auto s = wait_for(waiter); !s) return s.error();
  reply.size = waiter.nvsp_len;
  std::memcpy(reply.bytes.data(), waiter.nvsp_reply.data(), waiter.nvsp_len);
  return reply;
}

vmbus::Result<std::span<const std::byte>> PortCore::rndis_request(std::span<const std::byte> message,
                                                                  std::uint32_t req_id,
                                                                  bool expect_reply) noexcept {
  // The message lives at the start of the control page: one GPA range,
  // never across a page (DPDK hn_nvs_send_rndis_ctrl requires it).
  std::span<std::byte> page = control_page();
  if (message.size() > page.size()) return vmbus::Error{vmbus::Errc::packet_too_large, message.size()};
  if (message.data() != page.data()) std::memcpy(page.data(), message.data(), message.size());
  vmbus::GpaDirectHeader ranges;
  if (auto s = control_dma_.add_page_buffers(ranges, 0, static_cast<std::uint32_t>(message.size())); !s) {
    return s.error();
  }
  const std::uint64_t id = next_control_trans_id();
  ControlWaiter& waiter = control_waiter_;  // 4 KiB reply buffer: a member, not the stack
  waiter = ControlWaiter{};
  waiter.want_rndis = expect_reply;
  waiter.rndis_req_id = req_id;
  // HALT has no reply: wait for the send's own completion, so the control
  // page is not released while the host may still read it.
  waiter.want_nvsp = !expect_reply;
  waiter.nvsp_trans_id = id;
  const nvsp::Message m = nvsp::encode(
      nvsp::SendRndisPacket{nvsp::raw(nvsp::ChannelType::control), nvsp::kSendSectionIndexNone, 0});
  if (auto s = queues_[0]->channel().send(vmbus::packet::gpa_direct(ranges, m.bytes(), id)); !s) return s.error();
  if (auto s = wait_for(waiter); !s) return s.error();
  return std::span<const std::byte>(waiter.rndis_reply).first(waiter.rndis_len);
}

vmbus::Result<std::span<const std::byte>> PortCore::rndis_query(ndis::Oid oid,
                                                                std::span<const std::byte> request_info) noexcept {
  const std::uint32_t id = next_rndis_id();
  std::array<std::byte, 256> buf{};
  auto n = rndis::write_query(id, oid, request_info, buf);
  if (!n) return n.error();
  auto reply = rndis_request(std::span(buf).first(*n), id, true);
  if (!reply) return reply.error();
  auto framed = rndis::frame(*reply);
  if (!framed) return framed.error().to_error();
  auto q = rndis::parse_query_complete(*framed);
  if (!q) return q.error().to_error();
  if (q->status != rndis::status::kSuccess) return vmbus::Error{vmbus::Errc::malformed_packet, q->status};
  return q->info;
}

vmbus::Status PortCore::rndis_set(ndis::Oid oid, std::span<const std::byte> request_info) noexcept {
  const std::uint32_t id = next_rndis_id();
  std::array<std::byte, kControlMessageMax> buf{};
  auto n = rndis::write_set(id, oid, request_info, buf);
  if (!n) return n.error();
  auto reply = rndis_request(std::span(buf).first(*n), id, true);
  if (!reply) return reply.error();
  auto framed = rndis::frame(*reply);
  if (!framed) return framed.error().to_error();
  auto done = rndis::parse_body<rndis::SetComplete>(*framed);
  if (!done) return done.error().to_error();
  if (done->status != rndis::status::kSuccess) return vmbus::Error{vmbus::Errc::malformed_packet, done->status};
  return {};
}

}  // namespace netvsc
