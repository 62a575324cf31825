// vmbusctl's tables and JSON (ctl_output.h).
#include "ctl_output.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace vmbusctl {
namespace {

std::string state_name(pb::DeviceState s) {
  switch (s) {
    case pb::DEVICE_STATE_OFFERED: return "offered";
    case pb::DEVICE_STATE_CLAIMED: return "claimed";
    case pb::DEVICE_STATE_LEASED: return "leased";
    default: return "?";
  }
}

std::string monitor_text(bool has, std::uint32_t id) { return has ? std::to_string(id) : "-"; }

}  // namespace

std::string device_state_text(const pb::Device& d) {
  std::string text = state_name(d.state());
  if (!d.driver().empty()) text += ", driver " + d.driver();
  return text;
}

std::string to_json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

std::string to_json_line(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

void print_event(const pb::Event& e) {
  char when[32] = "-";
  const std::time_t t = static_cast<std::time_t>(e.time().seconds());
  std::tm tm {};
  if (e.has_time() && ::localtime_r(&t, &tm) != nullptr) std::strftime(when, sizeof when, "%H:%M:%S", &tm);
  std::string what;
  switch (e.kind_case()) {
    case pb::Event::kDeviceOffered:
      what = "offered    " + e.device_offered().device().device_id() + " " + e.device_offered().device().class_name();
      break;
    case pb::Event::kDeviceRescinded:
      what = "rescinded  " + e.device_rescinded().device_id();
      break;
    case pb::Event::kDeviceClaimed:
      what = "claimed    " + e.device_claimed().device().device_id() + " " + e.device_claimed().device().uio_name();
      break;
    case pb::Event::kDeviceReleased:
      what = "released   " + e.device_released().device_id() + " to " +
             (e.device_released().driver().empty() ? std::string("no driver") : e.device_released().driver());
      break;
    case pb::Event::kLeaseStarted:
      what = "leased     " + e.lease_started().lease().device_id() + " lease " + e.lease_started().lease().lease_id() +
             " pid " + std::to_string(e.lease_started().lease().peer().pid());
      break;
    case pb::Event::kLeaseEnded:
      what = "lease end  " + e.lease_ended().lease().device_id() + " lease " + e.lease_ended().lease().lease_id() +
             " (" + pb::LeaseEndReason_Name(e.lease_ended().lease().end_reason()) + ")";
      break;
    case pb::Event::kRingFull:
      what = "ring full  " + e.ring_full().device_id() + " relid " + std::to_string(e.ring_full().relid()) +
             (e.ring_full().direction() == pb::RingFull::DIRECTION_TX ? " tx (host not reading)"
                                                                       : " rx (guest not reading)");
      break;
    case pb::Event::kEventsDropped:
      what = "DROPPED    " + std::to_string(e.events_dropped().count()) + " events (this client was too slow)";
      break;
    default: what = "?"; break;
  }
  std::printf("%s %6llu %s%s\n", when, static_cast<unsigned long long>(e.sequence()), what.c_str(),
              e.initial() ? " (now)" : "");
}

void print_devices(const google::protobuf::RepeatedPtrField<pb::Device>& devices) {
  std::printf("%-36s  %-10s %5s %7s  %-15s %-8s %8s\n", "DEVICE", "CLASS", "RELID", "MONITOR", "DRIVER", "STATE",
              "CHANNELS");
  for (const pb::Device& d : devices) {
    std::printf("%-36s  %-10s %5u %7s  %-15s %-8s %8u\n", d.device_id().c_str(), d.class_name().c_str(), d.relid(),
                monitor_text(d.has_monitor_id(), d.monitor_id()).c_str(), d.driver().empty() ? "-" : d.driver().c_str(),
                state_name(d.state()).c_str(), d.channel_count());
  }
}

void print_device(const pb::Device& d) {
  std::printf("device    %s\n", d.device_id().c_str());
  std::printf("class     %s (%s)\n", d.class_name().c_str(), d.class_id().c_str());
  std::printf("relid     %u\n", d.relid());
  std::printf("monitor   %s\n", monitor_text(d.has_monitor_id(), d.monitor_id()).c_str());
  std::printf("driver    %s\n", d.driver().empty() ? "(none)" : d.driver().c_str());
  std::printf("state     %s\n", state_name(d.state()).c_str());
  std::printf("sysfs     %s\n", d.sysfs_path().c_str());
  std::printf("channels  %u\n", d.channel_count());
  if (!d.uio_name().empty()) std::printf("uio       %s\n", d.uio_name().c_str());
  if (!d.lease_root().empty()) {
    std::printf("lease     VMBUS_SYSFS_ROOT=%s (endpoint %s)%s\n", d.lease_root().c_str(), d.lease_endpoint().c_str(),
                d.has_lease_id() ? (", held: lease " + d.lease_id()).c_str() : "");
  }
  for (const pb::UioMap& m : d.maps()) {
    std::printf("  map%u %-14s %10llu bytes\n", m.index(), m.name().c_str(), static_cast<unsigned long long>(m.size()));
  }
}

void print_leases(const google::protobuf::RepeatedPtrField<pb::Lease>& leases) {
  std::printf("%-6s %-36s %8s %-16s %s\n", "LEASE", "DEVICE", "PID", "COMMAND", "STATE");
  for (const pb::Lease& l : leases) {
    std::string state = "active";
    if (!l.active()) {
      switch (l.end_reason()) {
        case pb::LEASE_END_REASON_HOLDER_CLOSED: state = "ended: holder closed"; break;
        case pb::LEASE_END_REASON_REVOKED: state = "ended: revoked"; break;
        case pb::LEASE_END_REASON_RELEASED: state = "ended: device released"; break;
        case pb::LEASE_END_REASON_DEVICE_RESCINDED: state = "ended: device rescinded"; break;
        case pb::LEASE_END_REASON_DAEMON_STOPPED: state = "ended: vmbusd stopped"; break;
        default: state = "ended"; break;
      }
      if (!l.end_message().empty()) state += " (" + l.end_message() + ")";
    }
    std::printf("%-6s %-36s %8d %-16s %s\n", l.lease_id().c_str(), l.device_id().c_str(), l.peer().pid(),
                l.peer().comm().c_str(), state.c_str());
  }
}

namespace {

// "w 1234 r 1200 used 34 mask 1 pend 0", or the raw indices of a corrupt ring.
std::string ring_text(const pb::RingState& r) {
  char text[160];
  if (r.indices_valid()) {
    std::snprintf(text, sizeof text, "w %u r %u used %u free %u mask %u pend %u", r.write_index(), r.read_index(),
                  r.bytes_to_read(), r.bytes_to_write(), r.interrupt_mask(), r.pending_send_sz());
  } else {
    std::snprintf(text, sizeof text, "CORRUPT w %u r %u (data %u)", r.write_index(), r.read_index(), r.data_size());
  }
  return text;
}

}  // namespace

void print_channels(const google::protobuf::RepeatedPtrField<pb::Channel>& channels) {
  std::printf("%5s %10s %7s %4s  %s\n", "RELID", "SUBCHANNEL", "MONITOR", "CPU", "RINGS (guest tx / rx)");
  for (const pb::Channel& c : channels) {
    const std::string rings = c.open() ? "tx " + ring_text(c.tx()) + " | rx " + ring_text(c.rx())
                                       : "not live (no lease)";
    std::printf("%5u %10u %7s %4u  %s\n", c.relid(), c.subchannel_id(),
                monitor_text(c.has_monitor_id(), c.monitor_id()).c_str(), c.target_cpu(), rings.c_str());
    if (c.has_counters()) {
      const pb::ChannelCounters& n = c.counters();
      std::printf("%29s  counters: sent %llu pkts %llu B, received %llu pkts %llu B, signals %llu, interrupts %llu, "
                  "ring full %llu, corrupt %llu\n",
                  "", static_cast<unsigned long long>(n.packets_sent()), static_cast<unsigned long long>(n.bytes_sent()),
                  static_cast<unsigned long long>(n.packets_received()),
                  static_cast<unsigned long long>(n.bytes_received()), static_cast<unsigned long long>(n.signals_sent()),
                  static_cast<unsigned long long>(n.interrupts_seen()),
                  static_cast<unsigned long long>(n.ring_full_events()),
                  static_cast<unsigned long long>(n.corrupt_packets()));
    }
  }
}

}  // namespace vmbusctl
