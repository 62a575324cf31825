// vmbus.control.v1's DeviceService and LeaseService (control_service.h).
#include "control_service.h"

#include <algorithm>
#include <exception>
#include <set>

#include "proto_convert.h"

namespace vmbusd {
namespace pb = vmbus::control::v1;

namespace {

// Runs `body`, turning what it throws into a status.
template <typename Body>
grpc::Status guarded(Body&& body) noexcept {
  try {
    body();
    return grpc::Status::OK;
  } catch (const ControlError& e) {
    return to_status(e);
  } catch (const std::exception& e) {
    return {grpc::StatusCode::INTERNAL, std::string("vmbusd: ") + e.what()};
  } catch (...) {
    return {grpc::StatusCode::INTERNAL, "vmbusd: unexpected exception"};
  }
}

const vmbus::ChannelInfo& find_channel(const DeviceView& device, std::uint32_t relid) {
  for (const vmbus::ChannelInfo& c : device.info.channels) {
    if (c.relid == relid) return c;
  }
  std::string relids;
  for (const vmbus::ChannelInfo& c : device.info.channels) relids += (relids.empty() ? "" : ", ") + std::to_string(c.relid);
  throw ControlError(ControlCode::not_found, "device " + device.info.instance.str() + " has no channel with relid " +
                                                 std::to_string(relid) + " (its channels: " + relids + ")");
}

// The channel's rings and the holder's counters for it, read now, if its
// device is leased (the rings are live only while a driver holds the device).
void add_ring_state(DeviceRegistry& registry, const DeviceView& device, const vmbus::ChannelInfo& c, pb::Channel& out) {
  if (!device.lease || registry.leases() == nullptr) return;
  std::optional<ChannelRings> rings;
  if (c.subchannel_id == 0) {
    rings = registry.leases()->primary_rings(device.info.instance);
  } else if (c.has_ring_file) {
    rings = read_ring_file(device.info.sysfs_dir / "channels" / std::to_string(c.relid) / "ring");
  }
  if (!rings) return;
  out.set_open(true);
  to_proto(rings->tx, *out.mutable_tx());
  to_proto(rings->rx, *out.mutable_rx());
  if (auto counters = registry.leases()->channel_counters(device.info.instance, c.relid)) {
    to_proto(*counters, *out.mutable_counters());
  }
  to_proto(SystemClock::now(), *out.mutable_sampled_at());
}

// The device an event is about, for WatchEventsRequest.device_ids.
std::string device_of(const pb::Event& e) {
  switch (e.kind_case()) {
    case pb::Event::kDeviceOffered: return e.device_offered().device().device_id();
    case pb::Event::kDeviceRescinded: return e.device_rescinded().device_id();
    case pb::Event::kDeviceClaimed: return e.device_claimed().device().device_id();
    case pb::Event::kDeviceReleased: return e.device_released().device_id();
    case pb::Event::kLeaseStarted: return e.lease_started().lease().device_id();
    case pb::Event::kLeaseEnded: return e.lease_ended().lease().device_id();
    case pb::Event::kRingFull: return e.ring_full().device_id();
    default: return "";
  }
}

}  // namespace

const char* role_name(Role r) noexcept {
  switch (r) {
    case Role::reader: return "reader";
    case Role::admin: return "admin";
    case Role::certificate: return "TCP (role by client certificate)";
  }
  return "?";
}

grpc::Status DeviceServiceImpl::ListDevices(grpc::ServerContext*, const pb::ListDevicesRequest* request,
                                            pb::ListDevicesResponse* response) {
  return guarded([&] {
    const std::set<std::string> classes(request->class_names().begin(), request->class_names().end());
    std::set<int> states;
    for (const int s : request->states()) states.insert(s);
    const DeviceListing listing = registry_.list();
    for (const DeviceView& v : listing.devices) {
      pb::Device d;
      to_proto(v, d);
      if (!classes.empty() && !classes.contains(d.class_name())) continue;
      if (!states.empty() && !states.contains(d.state())) continue;
      *response->add_devices() = std::move(d);
    }
    for (const std::string& p : listing.problems) response->add_problems(p);
  });
}

grpc::Status DeviceServiceImpl::GetDevice(grpc::ServerContext*, const pb::GetDeviceRequest* request,
                                          pb::Device* response) {
  return guarded([&] { to_proto(registry_.get(request->device_id()), *response); });
}

grpc::Status DeviceServiceImpl::ListChannels(grpc::ServerContext*, const pb::ListChannelsRequest* request,
                                             pb::ListChannelsResponse* response) {
  return guarded([&] {
    const DeviceView device = registry_.get(request->device_id());
    const std::string id = device.info.instance.str();
    for (const vmbus::ChannelInfo& c : device.info.channels) {
      pb::Channel* out = response->add_channels();
      to_proto(c, id, *out);
      if (request->include_ring_state()) add_ring_state(registry_, device, c, *out);
    }
  });
}

grpc::Status DeviceServiceImpl::GetChannel(grpc::ServerContext*, const pb::GetChannelRequest* request,
                                           pb::Channel* response) {
  return guarded([&] {
    if (request->relid() == 0) {
      throw ControlError(ControlCode::invalid_argument, "relid 0 names no channel (relids start at 1)");
    }
    const DeviceView device = registry_.get(request->device_id());
    const vmbus::ChannelInfo& c = find_channel(device, request->relid());
    to_proto(c, device.info.instance.str(), *response);
    add_ring_state(registry_, device, c, *response);
  });
}

grpc::Status DeviceServiceImpl::WatchEvents(grpc::ServerContext* context, const pb::WatchEventsRequest* request,
                                            grpc::ServerWriter<pb::Event>* writer) {
  if (bus_ == nullptr) return {grpc::StatusCode::UNIMPLEMENTED, "this vmbusd publishes no events"};
  std::set<int> types;
  for (const int t : request->types()) {
    if (!pb::EventType_IsValid(t) || t == pb::EVENT_TYPE_UNSPECIFIED) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "unknown event type " + std::to_string(t)};
    }
    types.insert(t);
  }
  std::set<std::string> devices;
  for (const std::string& d : request->device_ids()) {
    const auto guid = vmbus::Guid::parse(d);
    if (!guid) return {grpc::StatusCode::INVALID_ARGUMENT, "'" + d + "' is not a device GUID"};
    devices.insert(guid->str());
  }
  auto wanted = [&](const pb::Event& e) {
    if (e.type() == pb::EVENT_TYPE_EVENTS_DROPPED) return true;  // always: the client must know
    if (!types.empty() && !types.contains(e.type())) return false;
    return devices.empty() || devices.contains(device_of(e));
  };
  // Live events start after this; the initial state is read after it, so
  // nothing that happens in between is missed (it may be seen twice).
  std::uint64_t cursor = bus_->last_sequence();
  // The stream is live from here: its response headers say so, so a client
  // that waits for them (WaitForInitialMetadata) misses nothing after.
  writer->SendInitialMetadata();
  if (request->send_initial_state()) {
    try {
      const DeviceListing listing = registry_.list();
      std::vector<pb::Event> initial;
      for (const DeviceView& v : listing.devices) {
        pb::Event e;
        e.set_initial(true);
        e.set_type(pb::EVENT_TYPE_DEVICE_OFFERED);
        to_proto(v, *e.mutable_device_offered()->mutable_device());
        initial.push_back(e);
        if (v.claimed) {
          e.set_type(pb::EVENT_TYPE_DEVICE_CLAIMED);
          to_proto(v, *e.mutable_device_claimed()->mutable_device());
          initial.push_back(e);
        }
        if (v.lease) {
          e.set_type(pb::EVENT_TYPE_LEASE_STARTED);
          to_proto(*v.lease, *e.mutable_lease_started()->mutable_lease());
          initial.push_back(e);
        }
      }
      for (const pb::Event& e : initial) {
        if (wanted(e) && !writer->Write(e)) return grpc::Status::OK;  // the client went away
      }
    } catch (const ControlError& e) {
      return to_status(e);
    }
  }
  EventBus::Batch batch;
  while (!context->IsCancelled()) {
    if (!bus_->wait_after(cursor, batch, std::chrono::milliseconds(250))) {
      return {grpc::StatusCode::UNAVAILABLE, "vmbusd is stopping"};
    }
    if (batch.dropped != 0) {
      pb::Event e;
      e.set_type(pb::EVENT_TYPE_EVENTS_DROPPED);
      e.mutable_events_dropped()->set_count(batch.dropped);
      e.mutable_events_dropped()->set_first_sequence(batch.first_dropped);
      if (!writer->Write(e)) return grpc::Status::OK;
    }
    for (const pb::Event& e : batch.events) {
      if (wanted(e) && !writer->Write(e)) return grpc::Status::OK;
    }
    cursor = batch.next_after;
  }
  return grpc::Status::OK;
}

grpc::Status LeaseServiceImpl::require_admin(grpc::ServerContext* context, const char* call) const {
  if (role_ == Role::admin) return grpc::Status::OK;
  if (role_ == Role::certificate) {
    // The TLS handshake verified the chain against the client CA; the name
    // decides the role.
    const auto auth = context->auth_context();
    if (auth && auth->IsPeerAuthenticated()) {
      for (const auto& cn : auth->FindPropertyValues("x509_common_name")) {
        if (admin_names_.contains(std::string(cn.data(), cn.size()))) return grpc::Status::OK;
      }
    }
    return {grpc::StatusCode::PERMISSION_DENIED,
            std::string(call) + " changes the bus: over TCP it needs a client certificate whose name vmbusd lists "
                                "as an admin (--tcp-admin-client)"};
  }
  return {grpc::StatusCode::PERMISSION_DENIED,
          std::string(call) + " changes the bus: call it on vmbusd's admin socket, not the reader socket"};
}

grpc::Status LeaseServiceImpl::ClaimDevice(grpc::ServerContext* context, const pb::ClaimDeviceRequest* request,
                                           pb::Device* response) {
  if (auto s = require_admin(context, "ClaimDevice"); !s.ok()) return s;
  return guarded([&] {
    if (request->device().empty()) {
      throw ControlError(ControlCode::invalid_argument, "ClaimDevice needs a device: an instance GUID or a class");
    }
    to_proto(registry_.claim(request->device()), *response);
  });
}

grpc::Status LeaseServiceImpl::ReleaseDevice(grpc::ServerContext* context, const pb::ReleaseDeviceRequest* request,
                                             pb::ReleaseDeviceResponse* response) {
  if (auto s = require_admin(context, "ReleaseDevice"); !s.ok()) return s;
  return guarded([&] {
    std::optional<LeaseRecord> ended;
    to_proto(registry_.release(request->device_id(), &ended), *response->mutable_device());
    if (ended) to_proto(*ended, *response->mutable_ended_lease());
  });
}

grpc::Status LeaseServiceImpl::ListLeases(grpc::ServerContext*, const pb::ListLeasesRequest* request,
                                          pb::ListLeasesResponse* response) {
  return guarded([&] {
    // By id only: the ended leases of a device rescinded since are still listed.
    std::string device;
    if (!request->device_id().empty()) device = DeviceRegistry::parse_instance(request->device_id()).str();
    if (registry_.leases() == nullptr) return;
    for (const LeaseRecord& l : registry_.leases()->list(request->include_ended())) {
      if (device.empty() || l.device.str() == device) to_proto(l, *response->add_leases());
    }
  });
}

grpc::Status LeaseServiceImpl::RevokeLease(grpc::ServerContext* context, const pb::RevokeLeaseRequest* request,
                                           pb::Lease* response) {
  if (auto s = require_admin(context, "RevokeLease"); !s.ok()) return s;
  return guarded([&] {
    std::optional<LeaseRecord> ended;
    if (registry_.leases() != nullptr) ended = registry_.leases()->revoke(request->lease_id(), request->reason());
    if (!ended) {
      throw ControlError(ControlCode::not_found,
                         "no active lease '" + request->lease_id() + "' (vmbusctl leases lists them)");
    }
    to_proto(*ended, *response);
  });
}

}  // namespace vmbusd
