// SDK types to vmbus.control.v1 messages (proto_convert.h).
#include "proto_convert.h"

namespace vmbusd {

void to_proto(SystemClock::time_point t, google::protobuf::Timestamp& out) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  out.set_seconds(ns / 1'000'000'000);
  out.set_nanos(static_cast<std::int32_t>(ns % 1'000'000'000));
}

void to_proto(const DeviceView& view, pb::Device& out) {
  const vmbus::DeviceInfo& d = view.info;
  out.set_device_id(d.instance.str());
  out.set_class_id(d.class_id.str());
  out.set_class_name(d.class_name);
  out.set_relid(d.relid);
  if (d.monitor_id) out.set_monitor_id(*d.monitor_id);
  switch (d.owner) {
    case vmbus::DeviceOwner::none: out.set_owner(pb::DEVICE_OWNER_NONE); break;
    case vmbus::DeviceOwner::uio_hv_generic: out.set_owner(pb::DEVICE_OWNER_UIO_HV_GENERIC); break;
    case vmbus::DeviceOwner::kernel_driver: out.set_owner(pb::DEVICE_OWNER_KERNEL_DRIVER); break;
  }
  out.set_driver(d.driver);
  out.set_state(view.lease ? pb::DEVICE_STATE_LEASED
                           : view.claimed ? pb::DEVICE_STATE_CLAIMED : pb::DEVICE_STATE_OFFERED);
  out.set_sysfs_path(d.sysfs_dir.string());
  out.set_uio_name(d.uio_name);
  for (const vmbus::UioMapInfo& m : d.maps) {
    pb::UioMap* map = out.add_maps();
    map->set_index(m.index);
    map->set_name(m.name);
    map->set_size(m.size);
    map->set_offset(m.offset);
  }
  out.set_channel_count(static_cast<std::uint32_t>(d.channels.size()));
  if (view.claimed) to_proto(view.claimed_at, *out.mutable_claimed_at());
  out.set_lease_endpoint(view.lease_endpoint.string());
  out.set_lease_root(view.lease_root.string());
  if (view.lease) out.set_lease_id(view.lease->id);
}

void to_proto(const LeaseRecord& l, pb::Lease& out) {
  out.set_lease_id(l.id);
  out.set_device_id(l.device.str());
  out.set_active(l.active);
  out.mutable_peer()->set_pid(l.pid);
  out.mutable_peer()->set_uid(l.uid);
  out.mutable_peer()->set_gid(l.gid);
  out.mutable_peer()->set_comm(l.comm);
  to_proto(l.started, *out.mutable_started_at());
  if (!l.active) {
    to_proto(l.ended, *out.mutable_ended_at());
    switch (l.end) {
      case LeaseEnd::none: break;
      case LeaseEnd::holder_closed: out.set_end_reason(pb::LEASE_END_REASON_HOLDER_CLOSED); break;
      case LeaseEnd::revoked: out.set_end_reason(pb::LEASE_END_REASON_REVOKED); break;
      case LeaseEnd::released: out.set_end_reason(pb::LEASE_END_REASON_RELEASED); break;
      case LeaseEnd::device_rescinded: out.set_end_reason(pb::LEASE_END_REASON_DEVICE_RESCINDED); break;
      case LeaseEnd::daemon_stopped: out.set_end_reason(pb::LEASE_END_REASON_DAEMON_STOPPED); break;
    }
    out.set_end_message(l.end_message);
  }
}

void to_proto(const vmbus::ChannelInfo& c, const std::string& device_id, pb::Channel& out) {
  out.set_device_id(device_id);
  out.set_relid(c.relid);
  out.set_subchannel_id(c.subchannel_id);
  out.set_primary(c.subchannel_id == 0);
  if (c.monitor_id) out.set_monitor_id(*c.monitor_id);
  out.set_target_cpu(c.cpu);
  out.set_has_ring_file(c.has_ring_file);
}

void to_proto(const RingSnapshot& r, pb::RingState& out) {
  out.set_write_index(r.write_index);
  out.set_read_index(r.read_index);
  out.set_interrupt_mask(r.interrupt_mask);
  out.set_pending_send_sz(r.pending_send_sz);
  out.set_feature_bits(r.feature_bits);
  out.set_data_size(r.data_size);
  out.set_indices_valid(r.indices_valid);
  out.set_bytes_to_read(r.bytes_to_read);
  out.set_bytes_to_write(r.bytes_to_write);
}

void to_proto(const vmbus::ChannelCountersSnapshot& c, pb::ChannelCounters& out) {
  out.set_packets_sent(c.packets_sent);
  out.set_bytes_sent(c.bytes_sent);
  out.set_ring_full_events(c.ring_full_events);
  out.set_signals_sent(c.signals_sent);
  out.set_packets_received(c.packets_received);
  out.set_bytes_received(c.bytes_received);
  out.set_corrupt_packets(c.corrupt_packets);
  out.set_interrupts_seen(c.interrupts_seen);
}

grpc::Status to_status(const ControlError& e) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (e.code) {
    case ControlCode::invalid_argument: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case ControlCode::not_found: code = grpc::StatusCode::NOT_FOUND; break;
    case ControlCode::failed_precondition: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case ControlCode::permission_denied: code = grpc::StatusCode::PERMISSION_DENIED; break;
    case ControlCode::unavailable: code = grpc::StatusCode::UNAVAILABLE; break;
    case ControlCode::internal: code = grpc::StatusCode::INTERNAL; break;
  }
  return {code, e.what()};
}

}  // namespace vmbusd
