// File: daemon/src/control_service.h
//
// The gRPC services of vmbus.control.v1 over a DeviceRegistry. One pair of
// service objects per socket, each built with that socket's role: the
// reader socket's LeaseService refuses every change with PERMISSION_DENIED
// before looking at the request, so a reader learns nothing by trying.
//
// Every handler catches: a ControlError becomes its status code
// (proto_convert.h), anything else INTERNAL with the exception's text; no
// exception reaches gRPC.
//
// Usage:
//   DeviceServiceImpl devices(registry);
//   LeaseServiceImpl leases(registry, Role::reader);
//   builder.RegisterService(&devices); builder.RegisterService(&leases);
#pragma once

#include <set>
#include <string>

#include "device_registry.h"
#include "event_bus.h"
#include "vmbus/control/v1/control.grpc.pb.h"

namespace vmbusd {

// reader and admin: the UNIX sockets. certificate: a TCP client, admin if
// its verified certificate's common name is one of the admin names.
enum class Role { reader, admin, certificate };
const char* role_name(Role r) noexcept;

class DeviceServiceImpl final : public vmbus::control::v1::DeviceService::Service {
 public:
  // `bus` null: WatchEvents answers UNIMPLEMENTED.
  DeviceServiceImpl(DeviceRegistry& registry, EventBus* bus) : registry_(registry), bus_(bus) {}

  grpc::Status ListDevices(grpc::ServerContext*, const vmbus::control::v1::ListDevicesRequest* request,
                           vmbus::control::v1::ListDevicesResponse* response) override;
  grpc::Status GetDevice(grpc::ServerContext*, const vmbus::control::v1::GetDeviceRequest* request,
                         vmbus::control::v1::Device* response) override;
  grpc::Status ListChannels(grpc::ServerContext*, const vmbus::control::v1::ListChannelsRequest* request,
                            vmbus::control::v1::ListChannelsResponse* response) override;
  grpc::Status GetChannel(grpc::ServerContext*, const vmbus::control::v1::GetChannelRequest* request,
                          vmbus::control::v1::Channel* response) override;
  // Blocks a gRPC thread per stream: a stream is a person or a tool
  // watching, a handful at a time.
  grpc::Status WatchEvents(grpc::ServerContext* context, const vmbus::control::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<vmbus::control::v1::Event>* writer) override;

 private:
  DeviceRegistry& registry_;
  EventBus* bus_;
};

class LeaseServiceImpl final : public vmbus::control::v1::LeaseService::Service {
 public:
  LeaseServiceImpl(DeviceRegistry& registry, Role role, std::set<std::string> admin_names = {})
      : registry_(registry), role_(role), admin_names_(std::move(admin_names)) {}

  grpc::Status ClaimDevice(grpc::ServerContext*, const vmbus::control::v1::ClaimDeviceRequest* request,
                           vmbus::control::v1::Device* response) override;
  grpc::Status ReleaseDevice(grpc::ServerContext*, const vmbus::control::v1::ReleaseDeviceRequest* request,
                             vmbus::control::v1::ReleaseDeviceResponse* response) override;
  grpc::Status ListLeases(grpc::ServerContext*, const vmbus::control::v1::ListLeasesRequest* request,
                          vmbus::control::v1::ListLeasesResponse* response) override;
  grpc::Status RevokeLease(grpc::ServerContext*, const vmbus::control::v1::RevokeLeaseRequest* request,
                           vmbus::control::v1::Lease* response) override;

 private:
  // PERMISSION_DENIED on the reader socket, naming the call and the socket to use.
  grpc::Status require_admin(grpc::ServerContext* context, const char* call) const;

  DeviceRegistry& registry_;
  Role role_;
  std::set<std::string> admin_names_;
};

}  // namespace vmbusd
