// KvpHost: version negotiation, then the control plane's operations one
// transaction at a time, with timeouts, on the device's host service thread.
#include "kvp_host.h"

#include <array>
#include <chrono>
#include <deque>
#include <optional>
#include <vector>

#include "hvsim/host_channel.h"
#include "kvp/protocol/host.h"
#include "kvp/protocol/ic_message.h"
#include "kvp/protocol/negotiate.h"
#include "kvp_exchange.h"
#include "kvp_names.h"
#include "kvp_outcomes.h"
#include "kvp_shared.h"
#include "vmbus/packet/builders.h"

namespace hvsim::kvp_host {
namespace {

namespace ic = ::kvp::ic;
using Clock = std::chrono::steady_clock;

// How often the host looks for queued operations and timeouts: every 1 ms
// (the NIC host's pace) while it has work, every 10 ms when idle, so an idle
// KVP device costs 100 wake-ups a second and a request from `hvsim ctl` goes
// out within 10 ms.
constexpr std::uint32_t kBusyPollUs = 1000;
constexpr std::uint32_t kIdlePollUs = 10'000;

// The NEGOTIATE request goes out with VMBus trans_id 0 (OpenVMM's pipe
// writes every packet with transaction_id 0); requests then count up from 1.
constexpr std::uint64_t kNegotiateTransId = 0;

std::vector<ic::Version> wire_versions(const std::vector<IcVersion>& versions) {
  std::vector<ic::Version> v;
  for (IcVersion x : versions) v.push_back(ic::Version{x.major, x.minor});
  return v;
}

std::string ms_text(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

class KvpHost final : public DeviceHost {
 public:
  explicit KvpHost(const DeviceSpec& spec)
      : spec_(spec), shared_(attach_kvp(spec.instance, spec.name, spec.kvp)) {}
  ~KvpHost() override { close_all(); }

  void on_open(HostChannel& channel) override;
  PacketResult on_packet(HostChannel& channel, const vmbus::IncomingPacket& packet) override;
  void on_close(HostChannel& channel) override;
  void on_poll() override;
  std::uint32_t poll_interval_us() const noexcept override {
    const bool busy = current_ || !waiting_.empty() || negotiation_.state == Negotiation::State::not_sent;
    return busy ? kBusyPollUs : kIdlePollUs;
  }

 private:
  struct InFlight {
    Exchange exchange;
    bool sent = false;
    std::uint64_t trans_id = 0;
    Clock::time_point deadline{};
  };

  void send_negotiate(HostChannel& ch);
  void on_negotiate_reply(HostChannel& ch, const vmbus::IncomingPacket& packet);
  void on_kvp_reply(HostChannel& ch, const vmbus::IncomingPacket& packet);
  // Runs every pass: timeouts, the next operation, the next request.
  void serve(Clock::time_point now);
  void send_current(HostChannel& ch, Clock::time_point now);
  void fail(const Operation& op, const std::string& error);
  void fail_current(const std::string& error);
  void set_negotiation(Negotiation n);
  std::string negotiation_pending_text(Clock::time_point now) const;
  // The device closed: every operation fails, saying so.
  void close_all();
  void publish_activity();

  const DeviceSpec spec_;
  std::shared_ptr<KvpShared> shared_;
  HostChannel* primary_ = nullptr;
  Negotiation negotiation_;
  Clock::time_point negotiate_sent_{};
  ic::NegotiatedVersions versions_{};
  std::deque<Operation> waiting_;  // taken from shared_, not started
  std::optional<InFlight> current_;
  std::uint64_t next_trans_id_ = 1;
  bool closed_ = false;
  std::string published_current_;
  std::size_t published_waiting_ = SIZE_MAX;
  std::array<std::byte, ::kvp::host::kMaxRequestSize> out_{};
};

// What every reply must carry before its message is read: a well-framed IC
// message with IC transaction id 0 and TRANSACTION | RESPONSE (OpenVMM
// common.rs read_message: "invalid transaction response" otherwise; a
// Linux guest answers in the request's own buffer, so both come back).
std::optional<std::string> transaction_problem(std::span<const std::byte> payload) {
  auto m = ic::parse_ic_message(payload);
  if (!m) return m.error().message();
  if (m->header.ictransaction_id != 0) {
    return "icmsg_hdr.ictransaction_id: unexpected value (value " + std::to_string(m->header.ictransaction_id) +
           "); the host sent 0";
  }
  if ((m->header.icflags & ic::kFlagTransaction) == 0 || (m->header.icflags & ic::kFlagResponse) == 0) {
    return ::kvp::FieldError{::kvp::Field::icflags, ::kvp::Violation::unexpected_value, m->header.icflags}.message() +
           "; a reply carries TRANSACTION | RESPONSE";
  }
  return std::nullopt;
}

void KvpHost::on_open(HostChannel& channel) {
  if (channel.spec().subchannel_id != 0) return;  // the IC framework has no subchannels
  primary_ = &channel;
  send_negotiate(channel);  // HostChannel::open publishes it
  publish_activity();
}

void KvpHost::on_close(HostChannel& channel) {
  if (channel.spec().subchannel_id != 0) return;
  close_all();
  primary_ = nullptr;
}

void KvpHost::on_poll() {
  if (primary_ == nullptr) return;
  serve(Clock::now());
  primary_->publish();
}

void KvpHost::send_negotiate(HostChannel& ch) {
  const auto framework = wire_versions(spec_.kvp.framework_versions);
  const auto service = wire_versions(spec_.kvp.kvp_versions);
  auto n = ic::write_negotiate_request(out_, framework, service, 0);
  if (!n) {
    set_negotiation({Negotiation::State::failed, {}, {}, "cannot build the NEGOTIATE request: " + n.error().message()});
    return;
  }
  const std::uint32_t need = ring_bytes_for(0, *n);
  const Room room = ch.room_for(need);
  if (room == Room::full) return;  // tried again on the next pass
  if (room == Room::never) {
    set_negotiation({Negotiation::State::failed, {}, {}, "the NEGOTIATE request is larger than the guest's RX ring"});
    return;
  }
  if (auto s = ch.send(vmbus::packet::inband(std::span(out_).first(*n), kNegotiateTransId)); !s) {
    set_negotiation({Negotiation::State::failed, {}, {}, "cannot write the NEGOTIATE request: " + s.error().message()});
    return;
  }
  negotiate_sent_ = Clock::now();
  set_negotiation({Negotiation::State::waiting, {}, {}, {}});
  ch.log().info(std::string(ch.label()) + ": KVP: sent NEGOTIATE offering framework " +
                versions_text(spec_.kvp.framework_versions) + ", KVP " + versions_text(spec_.kvp.kvp_versions));
}

PacketResult KvpHost::on_packet(HostChannel& ch, const vmbus::IncomingPacket& packet) {
  if (packet.type != vmbus::PacketType::data_inband) {
    shared_->add(KvpCounter::malformed_replies);
    ch.drop("KVP: a packet of type " + std::to_string(static_cast<unsigned>(packet.type)) +
            "; IC messages are inband packets (type 6)");
  } else if (negotiation_.state == Negotiation::State::waiting && packet.trans_id == kNegotiateTransId) {
    on_negotiate_reply(ch, packet);
  } else if (current_ && current_->sent && packet.trans_id == current_->trans_id) {
    on_kvp_reply(ch, packet);
  } else {
    shared_->add(KvpCounter::unexpected_replies);
    ch.drop("KVP: trans_id " + std::to_string(packet.trans_id) +
            " answers nothing the host is waiting for (a late reply to a request that timed out?)");
  }
  serve(Clock::now());  // the next request goes out with this drain
  return PacketResult::done();
}

void KvpHost::on_negotiate_reply(HostChannel& ch, const vmbus::IncomingPacket& packet) {
  if (auto problem = transaction_problem(packet.payload)) {
    shared_->add(KvpCounter::malformed_replies);
    ch.drop("KVP: malformed answer to NEGOTIATE: " + *problem);
    set_negotiation({Negotiation::State::failed, {}, {}, "malformed answer: " + *problem});
    return;
  }
  const auto header = ic::parse_ic_message(packet.payload)->header;
  if (header.icmsgtype != ic::raw(ic::MessageType::negotiate)) {
    // OpenVMM IcPipe::negotiate: "dropping unexpected message while negotiating versions".
    shared_->add(KvpCounter::unexpected_replies);
    ch.drop("KVP: message type " + std::to_string(header.icmsgtype) + " while the host waits for NEGOTIATE's answer");
    return;
  }
  auto answer = ic::parse_negotiate_response(packet.payload);
  if (!answer) {
    shared_->add(KvpCounter::malformed_replies);
    ch.drop("KVP: malformed answer to NEGOTIATE: " + answer.error().message());
    set_negotiation({Negotiation::State::failed, {}, {}, "malformed answer: " + answer.error().message()});
  } else if (!*answer) {
    // vmbus_prep_negotiate_resp found nothing it supports: counts 0/0.
    // OpenVMM fails the channel ("no supported versions").
    set_negotiation({Negotiation::State::no_common_version, {}, {}, {}});
    ch.log().warn(std::string(ch.label()) + ": KVP: the guest found no common version in the host's offer (0/0)");
  } else {
    versions_ = **answer;
    set_negotiation({Negotiation::State::done, {versions_.framework.major, versions_.framework.minor},
                     {versions_.service.major, versions_.service.minor}, {}});
    ch.log().info(std::string(ch.label()) + ": KVP: negotiated framework " +
                  ic_version_text(negotiation_.framework) + ", KVP " + ic_version_text(negotiation_.kvp));
  }
}

void KvpHost::on_kvp_reply(HostChannel& ch, const vmbus::IncomingPacket& packet) {
  Exchange::Step step;
  if (auto problem = transaction_problem(packet.payload)) {
    step = Exchange::Step{Exchange::Step::Kind::malformed, nullptr,
                          "the guest's reply to " + current_->exchange.what() + " is malformed: " + *problem};
  } else {
    step = current_->exchange.on_reply(packet.payload);
  }
  switch (step.kind) {
    case Exchange::Step::Kind::next:
      shared_->add(KvpCounter::replies);
      current_->sent = false;  // serve() sends the next index
      return;
    case Exchange::Step::Kind::done:
      shared_->add(KvpCounter::replies);
      finish_request(current_->exchange.operation().id, std::move(step.result));
      current_.reset();
      return;
    case Exchange::Step::Kind::malformed:
      shared_->add(KvpCounter::malformed_replies);
      ch.drop("KVP: " + step.error);
      fail_current(step.error);
      return;
    case Exchange::Step::Kind::failed:
      shared_->add(KvpCounter::replies);
      fail_current(step.error);
      return;
  }
}

void KvpHost::serve(Clock::time_point now) {
  if (closed_ || primary_ == nullptr) return;
  HostChannel& ch = *primary_;
  if (ch.corrupt()) {
    // The guest broke its ring: nothing more goes out until it opens the device again.
    for (Operation& op : shared_->take_queued()) waiting_.push_back(std::move(op));
    const std::string why = ": the guest corrupted the channel's ring; it is closed until the guest opens the device again";
    if (current_) fail_current(current_->exchange.what() + why);
    for (const Operation& op : waiting_) fail(op, op.description + why);
    waiting_.clear();
    publish_activity();
    return;
  }
  if (negotiation_.state == Negotiation::State::not_sent) send_negotiate(ch);
  for (Operation& op : shared_->take_queued()) waiting_.push_back(std::move(op));

  if (current_ && current_->sent && now >= current_->deadline) {
    shared_->add(KvpCounter::timeouts);
    const std::string error = "the guest did not answer " + current_->exchange.what() + " within " +
                              ms_text(current_->exchange.operation().timeout) + " (trans_id " +
                              std::to_string(current_->trans_id) + "); the host goes on with the next request";
    ch.log().warn(std::string(ch.label()) + ": KVP: " + error);
    fail_current(error);
  }

  if (negotiation_.state == Negotiation::State::no_common_version || negotiation_.state == Negotiation::State::failed) {
    const std::string why = negotiation_.state == Negotiation::State::failed
                                ? "version negotiation failed (" + negotiation_.detail + ")"
                                : "the guest found no common IC version in the host's offer (it answered 0/0)";
    for (const Operation& op : waiting_) fail(op, op.description + ": " + why + "; nothing can be sent to this guest");
    waiting_.clear();
  }
  // Operations that waited their whole timeout without being sent.
  std::erase_if(waiting_, [&](const Operation& op) {
    if (now - op.submitted < op.timeout) return false;
    shared_->add(KvpCounter::timeouts);
    const std::string why = negotiation_.state != Negotiation::State::done
                                ? negotiation_pending_text(now)
                                : current_ ? "it waited behind " + current_->exchange.what() : "it was not started";
    fail(op, op.description + ": not sent within " + ms_text(op.timeout) + ": " + why);
    return true;
  });

  if (!current_ && negotiation_.state == Negotiation::State::done && !waiting_.empty()) {
    current_.emplace(InFlight{Exchange(std::move(waiting_.front()))});
    waiting_.pop_front();
  }
  if (current_ && !current_->sent) send_current(ch, now);
  publish_activity();
}

std::string KvpHost::negotiation_pending_text(Clock::time_point now) const {
  if (negotiation_.state == Negotiation::State::not_sent) {
    return "version negotiation did not finish: the NEGOTIATE request could not be sent yet (the guest's RX ring is full)";
  }
  return "version negotiation did not finish: the guest has not answered the host's NEGOTIATE request (sent " +
         ms_text(now - negotiate_sent_) + " ago)";
}

void KvpHost::send_current(HostChannel& ch, Clock::time_point now) {
  auto n = ::kvp::host::write_request(out_, current_->exchange.request(), versions_);
  if (!n) return fail_current("cannot build " + current_->exchange.what() + ": " + n.error().message());
  const std::uint32_t need = ring_bytes_for(0, *n);
  switch (ch.room_for(need)) {
    case Room::full: return;  // the guest has not made room yet: the next pass tries again
    case Room::never:
      return fail_current(current_->exchange.what() + ": the request (" + std::to_string(need) +
                          " ring bytes) is larger than the guest's RX ring");
    case Room::ok: break;
  }
  const std::uint64_t trans_id = next_trans_id_++;
  if (auto s = ch.send(vmbus::packet::inband(std::span(out_).first(*n), trans_id)); !s) {
    return fail_current(current_->exchange.what() + ": cannot write to the guest's RX ring: " + s.error().message());
  }
  current_->sent = true;
  current_->trans_id = trans_id;
  current_->deadline = now + current_->exchange.operation().timeout;
  current_->exchange.sent();
  shared_->add(KvpCounter::requests_sent);
}

void KvpHost::fail(const Operation& op, const std::string& error) {
  shared_->add(KvpCounter::failures);
  fail_request(op.id, error);
}

void KvpHost::fail_current(const std::string& error) {
  fail(current_->exchange.operation(), error);
  current_.reset();
}

void KvpHost::set_negotiation(Negotiation n) {
  negotiation_ = n;
  shared_->set_negotiation(std::move(n));
}

void KvpHost::close_all() {
  if (closed_) return;
  closed_ = true;
  const std::string reason = shared_->closing_reason();
  const std::string was = "device \"" + spec_.name + "\" was " +
                          (reason.empty() ? "closed (by the guest, or rescinded or unbound by the host)" : reason);
  if (current_) {
    fail_current(current_->exchange.what() + ": " + was + (current_->sent ? " while the request waited for the guest's answer"
                                                                          : " before the request was sent"));
  }
  for (Operation& op : shared_->close()) waiting_.push_back(std::move(op));
  for (const Operation& op : waiting_) fail(op, op.description + ": " + was + " before the request was sent");
  waiting_.clear();
}

void KvpHost::publish_activity() {
  std::string current = current_ ? current_->exchange.what() : std::string();
  if (current == published_current_ && waiting_.size() == published_waiting_) return;
  published_current_ = current;
  published_waiting_ = waiting_.size();
  shared_->set_activity(std::move(current), waiting_.size());
}

}  // namespace
}  // namespace hvsim::kvp_host

namespace hvsim {

std::unique_ptr<DeviceHost> make_kvp_host(const DeviceSpec& spec) { return std::make_unique<kvp_host::KvpHost>(spec); }


}  // namespace hvsim
