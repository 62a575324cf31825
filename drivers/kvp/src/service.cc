// kvp::Service: the KVP device's channel loop around RequestHandler
// (kvp/service.h).
#include "kvp/service.h"

#include <array>
#include <cstring>
#include <mutex>
#include <thread>

#include "request_handler.h"
#include "running_system.h"
#include "vmbus/backing/device_backing.h"
#include "vmbus/device/device.h"

namespace kvp {
namespace {

// hv_kvp.c's receive buffer (HV_HYP_PAGE_SIZE * 4): the largest message a
// guest reads. A packet is copied here (descriptor first) and answered in place.
constexpr std::size_t kReceiveBuffer = 16 * 1024 + 64;

}  // namespace

struct Service::State {
  ServiceOptions options;
  pool::PoolStore pools;
  RunningSystem system;
  std::unique_ptr<vmbus::Device> device;
  mutable std::mutex handler_mutex;  // versions() and stats() from other threads
  RequestHandler handler;
  alignas(8) std::array<std::byte, kReceiveBuffer> buffer{};
  alignas(8) std::array<std::byte, kReceiveBuffer> reply{};

  explicit State(ServiceOptions o)
      : options(std::move(o)),
        pools(options.pool_directory),
        system(options.system_paths, options.hooks.log),
        handler(pools, system, options.hooks, options.framework_versions, options.kvp_versions) {}
};

Service::Service(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
Service::~Service() = default;

std::unique_ptr<Service> Service::open(const vmbus::DeviceInfo& device, ServiceOptions options) {
  auto state = std::make_unique<State>(std::move(options));
  if (auto created = state->pools.create_files(); !created) {
    throw vmbus::DeviceError("KVP pools: " + created.error().message());
  }
  state->device = vmbus::Device::open(device);
  vmbus::Channel& channel = state->device->channel(0);
  if (!state->options.poll_mode) {
    // Interrupt mode: the host signals once data lands in an empty ring. A
    // packet already waiting is answered by the first poll().
    (void)channel.arm_interrupts();
  }
  return std::unique_ptr<Service>(new Service(std::move(state)));
}

vmbus::Result<std::uint32_t> Service::poll(std::chrono::milliseconds timeout) {
  State& s = *state_;
  vmbus::Channel& channel = s.device->channel(0);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint32_t answered = 0;
  for (;;) {
    // Drain: one transaction at a time from the host, but be ready for more.
    for (;;) {
      auto packet = channel.receive(s.buffer);
      if (!packet) {
        if (packet.error().code == vmbus::Errc::empty) break;
        if (packet.error().code == vmbus::Errc::buffer_too_small) {
          // Longer than any KVP message (hv_kvp.c's buffer): skip it unread.
          if (auto view = channel.peek()) (void)channel.consume(*view);
          std::lock_guard lock(s.handler_mutex);
          s.handler.dropped("a host packet of " + std::to_string(packet.error().detail) +
                            " bytes, longer than any KVP message");
          continue;
        }
        // A rescind, or a damaged ring (nothing after it can be trusted).
        return packet.error();
      }
      if (packet->type != vmbus::PacketType::data_inband) {
        std::lock_guard lock(s.handler_mutex);
        s.handler.dropped("a host packet of type " + std::to_string(static_cast<unsigned>(packet->type)) +
                          " (KVP reads inband data only)");
        continue;
      }
      const std::size_t size = packet->payload.size();
      std::memcpy(s.reply.data(), packet->payload.data(), size);
      std::size_t n;
      {
        std::lock_guard lock(s.handler_mutex);
        n = s.handler.answer(std::span<std::byte>(s.reply.data(), size));
      }
      if (n > 0) {
        // vmbus_sendpacket(channel, recv_buffer, recvlen, requestid, VM_PKT_DATA_INBAND, 0).
        if (auto sent = channel.send_inband(std::span<const std::byte>(s.reply.data(), n), packet->trans_id); !sent) {
          (void)channel.finish_receive();
          return sent.error();
        }
      }
      ++answered;
    }
    if (auto f = channel.finish_receive(); !f) return f.error();
    if (answered > 0 || stop_.load(std::memory_order_relaxed)) return answered;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return answered;
    if (s.options.poll_mode) {
      std::this_thread::yield();
      continue;
    }
    if (channel.arm_interrupts()) continue;  // data arrived while arming
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    auto woken = s.device->wait(std::max(left, std::chrono::milliseconds(1)));
    if (!woken) return woken.error();
  }
}

vmbus::Status Service::run() {
  while (!stop_.load(std::memory_order_relaxed)) {
    // A bounded wait, so stop() is seen within it.
    auto n = poll(std::chrono::milliseconds(100));
    if (!n) return n.error();
  }
  return {};
}

std::optional<ic::NegotiatedVersions> Service::versions() const {
  std::lock_guard lock(state_->handler_mutex);
  return state_->handler.versions();
}

const ServiceStats& Service::stats() const noexcept { return state_->handler.stats(); }

pool::PoolResult<pool::Update> Service::set(std::string_view key, std::string_view value) {
  return state_->pools.set(raw(Pool::guest), key, value);
}

pool::PoolResult<pool::Update> Service::remove(std::string_view key) {
  return state_->pools.remove(raw(Pool::guest), key);
}

pool::PoolResult<pool::Lookup> Service::get(Pool pool, std::string_view key) const {
  return state_->pools.get(raw(pool), key);
}

pool::PoolResult<pool::Listing> Service::list(Pool pool) const { return state_->pools.list(raw(pool)); }

const pool::PoolStore& Service::pools() const noexcept { return state_->pools; }

}  // namespace kvp
